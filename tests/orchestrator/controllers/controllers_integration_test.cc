// The controllers against a real API server in the test process (no scheduler, no kubelet:
// where pods must be running and ready, the test writes their status as a kubelet would).
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/time/clock.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/text.h"
#include "orchestrator/client/api_error.h"
#include "orchestrator/client/client.h"
#include "orchestrator/controllers/controller_manager.h"
#include "orchestrator/controllers/node_lifecycle_logic.h"
#include "orchestrator/controllers/pod_template_hash.h"
#include "tests/orchestrator/harness/eventually.h"
#include "tests/orchestrator/harness/in_process_apiserver.h"

namespace orch::controllers {
namespace {

using api::Json;

const api::ResourceInfo& Pods() {
  return api::ResourceFor(api::Kind::kPod);
}
const api::ResourceInfo& ReplicaSets() {
  return api::ResourceFor(api::Kind::kReplicaSet);
}
const api::ResourceInfo& Deployments() {
  return api::ResourceFor(api::Kind::kDeployment);
}
const api::ResourceInfo& Namespaces() {
  return api::ResourceFor(api::Kind::kNamespace);
}
const api::ResourceInfo& Nodes() {
  return api::ResourceFor(api::Kind::kNode);
}
const api::ResourceInfo& Leases() {
  return api::ResourceFor(api::Kind::kLease);
}

constexpr char kNamespace[] = "apps";

Json PodTemplate(const std::string& app, const std::string& version) {
  return {{"metadata", {{"labels", {{"app", app}}}}},
          {"spec",
           {{"containers",
             Json::array({{{"name", "main"},
                           {"image", "http-server"},
                           {"env", Json::array({{{"name", "VERSION"}, {"value", version}}})}}})}}}};
}

Json ReplicaSetObject(const std::string& name, int64_t replicas) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "ReplicaSet"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"replicas", replicas},
            {"selector", {{"matchLabels", {{"app", name}}}}},
            {"template", PodTemplate(name, "1")}}}};
}

Json DeploymentObject(const std::string& name, int64_t replicas, Json max_surge,
                      Json max_unavailable) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"replicas", replicas},
            {"selector", {{"matchLabels", {{"app", name}}}}},
            {"strategy",
             {{"type", "RollingUpdate"},
              {"rollingUpdate", {{"maxSurge", max_surge}, {"maxUnavailable", max_unavailable}}}}},
            {"template", PodTemplate(name, "1")}}}};
}

ControllerOptions FastOptions() {
  ControllerOptions options;
  options.workers = 2;
  options.node_monitor_grace_period = absl::Seconds(2);
  options.pod_eviction_timeout = absl::Seconds(1);
  options.node_monitor_period = absl::Milliseconds(100);
  options.namespace_recheck_delay = absl::Milliseconds(200);
  return options;
}

class ControllersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<testing::InProcessApiServer>> server =
        testing::InProcessApiServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    client_ = std::make_unique<client::Client>(server_->client_config());
    CreateNamespace(kNamespace);
  }

  void TearDown() override {
    manager_.reset();
    client_.reset();
    server_.reset();
  }

  void StartControllers(const std::string& list) {
    absl::StatusOr<std::set<std::string>> enabled = ParseControllerList(list);
    ASSERT_TRUE(enabled.ok()) << enabled.status();
    manager_ = std::make_unique<ControllerManager>(*client_, *enabled, FastOptions());
    ASSERT_TRUE(manager_->Start(absl::Seconds(10)).ok());
  }

  void CreateNamespace(const std::string& name) {
    ASSERT_TRUE(
        client_
            ->Create(Namespaces(), "",
                     {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}})
            .ok());
  }

  Json MustCreate(const api::ResourceInfo& resource, const Json& object,
                  const std::string& namespace_name = kNamespace) {
    absl::StatusOr<Json> created = client_->Create(resource, namespace_name, object);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : Json();
  }

  std::vector<Json> List(const api::ResourceInfo& resource, const std::string& selector = "",
                         const std::string& namespace_name = kNamespace) {
    client::ListOptions options;
    options.label_selector = selector;
    absl::StatusOr<Json> list = client_->List(resource, namespace_name, options);
    if (!list.ok()) return {};
    return (*list)["items"].get<std::vector<Json>>();
  }

  std::vector<Json> ActivePods(const std::string& selector) {
    std::vector<Json> pods = List(Pods(), selector);
    std::erase_if(pods, [](const Json& pod) { return api::IsBeingDeleted(pod); });
    return pods;
  }

  static bool WaitUntil(const std::function<bool()>& done,
                        absl::Duration timeout = absl::Seconds(15)) {
    return orch::testing::Eventually(done, timeout, absl::Milliseconds(50));
  }

  // What a kubelet writes once the pod's containers run and pass readiness.
  absl::Status MarkReady(const Json& pod) {
    Json updated = pod;
    const std::string now = api::FormatTimestamp(absl::Now());
    updated["status"] = {
        {"phase", "Running"},
        {"startTime", now},
        {"conditions",
         Json::array(
             {{{"type", "PodScheduled"}, {"status", "True"}, {"lastTransitionTime", now}},
              {{"type", "Initialized"}, {"status", "True"}, {"lastTransitionTime", now}},
              {{"type", "ContainersReady"}, {"status", "True"}, {"lastTransitionTime", now}},
              {{"type", "Ready"}, {"status", "True"}, {"lastTransitionTime", now}}})}};
    return client_->UpdateStatus(Pods(), updated).status();
  }

  void MarkAllReady(const std::string& selector) {
    for (const Json& pod : ActivePods(selector)) {
      if (api::ConditionStatus(pod, "Ready") != "True") (void)MarkReady(pod);
    }
  }

  Json Get(const api::ResourceInfo& resource, const std::string& name,
           const std::string& namespace_name = kNamespace) {
    absl::StatusOr<Json> object = client_->Get(resource, namespace_name, name);
    return object.ok() ? *object : Json();
  }

  absl::Status MergePatch(const api::ResourceInfo& resource, const std::string& name,
                          const Json& patch, const std::string& namespace_name = kNamespace) {
    return client_->Patch(resource, namespace_name, name, client::PatchType::kMerge, patch.dump())
        .status();
  }

  bool DeploymentComplete(const std::string& name, int64_t replicas) {
    const Json deployment = Get(Deployments(), name);
    const Json& status = api::ObjectAt(deployment, {"status"});
    return api::IntAt(status, {"observedGeneration"}).value_or(0) >=
               api::GenerationOf(deployment) &&
           api::IntAt(status, {"updatedReplicas"}).value_or(0) == replicas &&
           api::IntAt(status, {"replicas"}).value_or(0) == replicas &&
           api::IntAt(status, {"availableReplicas"}).value_or(0) == replicas;
  }

  std::unique_ptr<testing::InProcessApiServer> server_;
  std::unique_ptr<client::Client> client_;
  std::unique_ptr<ControllerManager> manager_;
};

TEST_F(ControllersTest, ReplicaSetScalesUpAndDownKeepingTheReadyPods) {
  StartControllers("replicaset");
  const Json rs = MustCreate(ReplicaSets(), ReplicaSetObject("web", 3));
  ASSERT_TRUE(WaitUntil([&] { return ActivePods("app=web").size() == 3; }));
  for (const Json& pod : ActivePods("app=web")) {
    EXPECT_EQ(api::NameOf(pod).rfind("web-", 0), 0u) << api::NameOf(pod);
    const Json* owner = api::ControllerRefOf(pod);
    ASSERT_NE(owner, nullptr);
    EXPECT_EQ(api::StringAt(*owner, {"uid"}), api::UidOf(rs));
    EXPECT_TRUE(api::BoolAt(*owner, {"blockOwnerDeletion"}));
  }
  ASSERT_TRUE(WaitUntil([&] {
    return api::IntAt(Get(ReplicaSets(), "web"), {"status", "replicas"}) == 3;
  }));

  // One pod ready; scaling to 1 keeps it.
  const Json keep = ActivePods("app=web").front();
  ASSERT_TRUE(MarkReady(keep).ok());
  ASSERT_TRUE(WaitUntil([&] {
    return api::IntAt(Get(ReplicaSets(), "web"), {"status", "readyReplicas"}) == 1;
  }));
  ASSERT_TRUE(MergePatch(ReplicaSets(), "web", {{"spec", {{"replicas", 1}}}}).ok());
  ASSERT_TRUE(WaitUntil([&] { return ActivePods("app=web").size() == 1; }));
  EXPECT_EQ(api::NameOf(ActivePods("app=web").front()), api::NameOf(keep));
  ASSERT_TRUE(WaitUntil([&] {
    const Json status = Get(ReplicaSets(), "web")["status"];
    return api::IntAt(status, {"replicas"}) == 1 &&
           api::IntAt(status, {"availableReplicas"}) == 1 &&
           api::IntAt(status, {"observedGeneration"}) ==
               api::GenerationOf(Get(ReplicaSets(), "web"));
  }));

  // Up again: exactly 5, never more (the controller waits for its cache to see its writes).
  ASSERT_TRUE(MergePatch(ReplicaSets(), "web", {{"spec", {{"replicas", 5}}}}).ok());
  ASSERT_TRUE(WaitUntil([&] { return ActivePods("app=web").size() == 5; }));
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(ActivePods("app=web").size(), 5u);
}

TEST_F(ControllersTest, ReplicaSetAdoptsOrphansAndReleasesPodsThatStopMatching) {
  StartControllers("replicaset");
  Json orphan = {{"apiVersion", "v1"},
                 {"kind", "Pod"},
                 {"metadata", {{"name", "orphan"}, {"labels", {{"app", "web"}}}}},
                 {"spec", PodTemplate("web", "1")["spec"]}};
  MustCreate(Pods(), orphan);
  const Json rs = MustCreate(ReplicaSets(), ReplicaSetObject("web", 1));
  ASSERT_TRUE(WaitUntil([&] {
    const Json pod = Get(Pods(), "orphan");
    const Json* owner = api::ControllerRefOf(pod);
    return owner != nullptr && api::StringAt(*owner, {"uid"}) == api::UidOf(rs);
  }));
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(ActivePods("app=web").size(), 1u);

  // Relabelled: released, and a replacement is made.
  ASSERT_TRUE(MergePatch(Pods(), "orphan", {{"metadata", {{"labels", {{"app", "other"}}}}}}).ok());
  ASSERT_TRUE(WaitUntil([&] { return api::ControllerRefOf(Get(Pods(), "orphan")) == nullptr; }));
  ASSERT_TRUE(WaitUntil([&] { return ActivePods("app=web").size() == 1; }));
  EXPECT_NE(api::NameOf(ActivePods("app=web").front()), "orphan");
}

TEST_F(ControllersTest, DeploymentCreatesAReplicaSetPerTemplateAndReportsStatus) {
  StartControllers("deployment,replicaset");
  const Json deployment = MustCreate(Deployments(), DeploymentObject("web", 2, "25%", "25%"));
  ASSERT_TRUE(WaitUntil([&] { return List(ReplicaSets(), "app=web").size() == 1; }));
  const Json rs = List(ReplicaSets(), "app=web").front();
  const std::string hash = api::StringAt(api::LabelsOf(rs), {"pod-template-hash"});
  EXPECT_EQ(hash, ComputePodTemplateHash(deployment["spec"]["template"], std::nullopt));
  EXPECT_EQ(api::NameOf(rs), "web-" + hash);
  EXPECT_EQ(api::StringAt(api::AnnotationsOf(rs), {"deployment.kubernetes.io/revision"}), "1");
  EXPECT_EQ(api::StringAt(api::AnnotationsOf(rs), {"deployment.kubernetes.io/desired-replicas"}),
            "2");
  EXPECT_EQ(api::StringAt(api::AnnotationsOf(rs), {"deployment.kubernetes.io/max-replicas"}), "3");
  EXPECT_EQ(api::StringAt(*api::ControllerRefOf(rs), {"uid"}), api::UidOf(deployment));
  EXPECT_EQ(rs["spec"]["selector"]["matchLabels"]["pod-template-hash"], hash);
  ASSERT_TRUE(WaitUntil([&] { return ActivePods("app=web").size() == 2; }));
  for (const Json& pod : ActivePods("app=web")) {
    EXPECT_EQ(api::StringAt(api::LabelsOf(pod), {"pod-template-hash"}), hash);
  }
  MarkAllReady("app=web");
  ASSERT_TRUE(WaitUntil([&] { return DeploymentComplete("web", 2); }));
  ASSERT_TRUE(WaitUntil([&] {
    const Json d = Get(Deployments(), "web");
    const Json* progressing =
        api::FindCondition(api::ArrayAt(d, {"status", "conditions"}), "Progressing");
    return api::ConditionStatus(d, "Available") == "True" && progressing != nullptr &&
           api::StringAt(*progressing, {"reason"}) == "NewReplicaSetAvailable";
  }));
  const Json d = Get(Deployments(), "web");
  EXPECT_EQ(api::StringAt(api::AnnotationsOf(d), {"deployment.kubernetes.io/revision"}), "1");
  EXPECT_EQ(api::IntAt(d, {"status", "readyReplicas"}), 2);
  EXPECT_FALSE(d["status"].contains("unavailableReplicas"));

  // Scale: the same ReplicaSet grows.
  ASSERT_TRUE(MergePatch(Deployments(), "web", {{"spec", {{"replicas", 4}}}}).ok());
  ASSERT_TRUE(WaitUntil([&] { return ActivePods("app=web").size() == 4; }));
  EXPECT_EQ(List(ReplicaSets(), "app=web").size(), 1u);

  // Paused: a new template makes no ReplicaSet, but scaling still applies.
  ASSERT_TRUE(MergePatch(Deployments(), "web", {{"spec", {{"paused", true}}}}).ok());
  ASSERT_TRUE(WaitUntil([&] {
    const Json d = Get(Deployments(), "web");
    const Json* progressing =
        api::FindCondition(api::ArrayAt(d, {"status", "conditions"}), "Progressing");
    return progressing != nullptr &&
           api::StringAt(*progressing, {"reason"}) == "DeploymentPaused" &&
           api::StringAt(*progressing, {"status"}) == "Unknown";
  }));
  ASSERT_TRUE(MergePatch(Deployments(), "web",
                         {{"spec", {{"replicas", 3}, {"template", PodTemplate("web", "2")}}}})
                  .ok());
  ASSERT_TRUE(WaitUntil([&] { return ActivePods("app=web").size() == 3; }));
  EXPECT_EQ(List(ReplicaSets(), "app=web").size(), 1u);
  // Resumed: the rollout starts.
  ASSERT_TRUE(MergePatch(Deployments(), "web", {{"spec", {{"paused", false}}}}).ok());
  ASSERT_TRUE(WaitUntil([&] { return List(ReplicaSets(), "app=web").size() == 2; }));
}

TEST_F(ControllersTest, RollingUpdateNeverGoesBelowTheMinimumAvailableAndRollsBack) {
  StartControllers("deployment,replicaset");
  constexpr int64_t kReplicas = 4;  // maxUnavailable 1: at least 3 ready at every moment
  MustCreate(Deployments(), DeploymentObject("web", kReplicas, 1, 1));

  // The test's kubelet: a pod turns ready 150 ms after it is first seen; meanwhile it
  // samples how many pods are ready and not being deleted.
  std::atomic<bool> stop{false};
  std::atomic<bool> measuring{false};
  std::atomic<int64_t> min_ready{kReplicas};
  std::thread kubelet([&] {
    std::map<std::string, absl::Time> first_seen;
    while (!stop) {
      int64_t ready = 0;
      for (const Json& pod : ActivePods("app=web")) {
        if (api::ConditionStatus(pod, "Ready") == "True") {
          ++ready;
          continue;
        }
        auto [it, inserted] = first_seen.try_emplace(api::UidOf(pod), absl::Now());
        if (absl::Now() - it->second > absl::Milliseconds(150)) (void)MarkReady(pod);
      }
      if (measuring) min_ready = std::min<int64_t>(min_ready, ready);
      absl::SleepFor(absl::Milliseconds(10));
    }
  });
  ASSERT_TRUE(WaitUntil([&] { return DeploymentComplete("web", kReplicas); }));
  measuring = true;

  Json updated = Get(Deployments(), "web");
  updated["spec"]["template"] = PodTemplate("web", "2");
  ASSERT_TRUE(client_->Update(Deployments(), updated).ok());
  ASSERT_TRUE(WaitUntil(
      [&] {
        return DeploymentComplete("web", kReplicas) && List(ReplicaSets(), "app=web").size() == 2 &&
               ActivePods("app=web").size() == static_cast<size_t>(kReplicas);
      },
      absl::Seconds(30)));
  EXPECT_GE(min_ready.load(), kReplicas - 1);

  // The revisions kubectl rollout history reads.
  std::map<std::string, Json> by_revision;
  for (const Json& rs : List(ReplicaSets(), "app=web")) {
    by_revision[api::StringAt(api::AnnotationsOf(rs), {"deployment.kubernetes.io/revision"})] = rs;
  }
  ASSERT_TRUE(by_revision.contains("1") && by_revision.contains("2"));
  EXPECT_EQ(by_revision["1"]["spec"]["replicas"], 0);
  EXPECT_EQ(by_revision["2"]["spec"]["replicas"], kReplicas);
  EXPECT_EQ(api::StringAt(api::AnnotationsOf(Get(Deployments(), "web")),
                          {"deployment.kubernetes.io/revision"}),
            "2");

  // kubectl rollout undo (1.32, client-side): the revision-1 template, without the hash label,
  // and the annotations, as one JSON patch.
  const Json deployment = Get(Deployments(), "web");
  Json annotations = Json::object();
  for (const auto& [key, value] : api::AnnotationsOf(deployment).items()) {
    if (key == "deployment.kubernetes.io/revision") annotations[key] = value;
  }
  Json old_template = TemplateWithoutHash(by_revision["1"]["spec"]["template"]);
  old_template["metadata"]["creationTimestamp"] = nullptr;  // as Go serializes it
  const Json patch =
      Json::array({{{"op", "replace"}, {"path", "/spec/template"}, {"value", old_template}},
                   {{"op", "replace"}, {"path", "/metadata/annotations"}, {"value", annotations}}});
  ASSERT_TRUE(
      client_->Patch(Deployments(), kNamespace, "web", client::PatchType::kJson, patch.dump())
          .ok());
  ASSERT_TRUE(WaitUntil(
      [&] {
        const Json old_rs = Get(ReplicaSets(), api::NameOf(by_revision["1"]));
        return DeploymentComplete("web", kReplicas) &&
               api::IntAt(old_rs, {"spec", "replicas"}) == kReplicas &&
               ActivePods("app=web").size() == static_cast<size_t>(kReplicas);
      },
      absl::Seconds(30)));
  stop = true;
  kubelet.join();
  EXPECT_GE(min_ready.load(), kReplicas - 1);
  const Json rolled_back = Get(ReplicaSets(), api::NameOf(by_revision["1"]));
  EXPECT_EQ(api::StringAt(api::AnnotationsOf(rolled_back), {"deployment.kubernetes.io/revision"}),
            "3");
  EXPECT_EQ(
      api::StringAt(api::AnnotationsOf(rolled_back), {"deployment.kubernetes.io/revision-history"}),
      "1");
  EXPECT_EQ(List(ReplicaSets(), "app=web").size(), 2u);
  for (const Json& pod : ActivePods("app=web")) {
    EXPECT_EQ(api::StringAt(api::LabelsOf(pod), {"pod-template-hash"}),
              api::StringAt(api::LabelsOf(rolled_back), {"pod-template-hash"}));
  }
}

TEST_F(ControllersTest, RecreateDeletesEveryOldPodBeforeMakingNewOnes) {
  StartControllers("deployment,replicaset");
  Json object = DeploymentObject("web", 3, 1, 1);
  object["spec"]["strategy"] = {{"type", "Recreate"}};
  object["spec"]["revisionHistoryLimit"] = 0;
  MustCreate(Deployments(), object);
  ASSERT_TRUE(WaitUntil([&] { return ActivePods("app=web").size() == 3; }));
  MarkAllReady("app=web");
  ASSERT_TRUE(WaitUntil([&] { return DeploymentComplete("web", 3); }));
  const std::string old_hash =
      api::StringAt(api::LabelsOf(ActivePods("app=web").front()), {"pod-template-hash"});

  Json updated = Get(Deployments(), "web");
  updated["spec"]["template"] = PodTemplate("web", "2");
  ASSERT_TRUE(client_->Update(Deployments(), updated).ok());
  // Never old and new pods at once.
  bool mixed = false;
  ASSERT_TRUE(WaitUntil([&] {
    std::set<std::string> hashes;
    for (const Json& pod : List(Pods(), "app=web")) {
      hashes.insert(api::StringAt(api::LabelsOf(pod), {"pod-template-hash"}));
    }
    mixed = mixed || hashes.size() > 1;
    const std::vector<Json> pods = ActivePods("app=web");
    return pods.size() == 3 &&
           api::StringAt(api::LabelsOf(pods.front()), {"pod-template-hash"}) != old_hash;
  }));
  EXPECT_FALSE(mixed);
  // revisionHistoryLimit 0: the old ReplicaSet goes once the rollout is done.
  MarkAllReady("app=web");
  ASSERT_TRUE(WaitUntil([&] { return List(ReplicaSets(), "app=web").size() == 1; }));
}

TEST_F(ControllersTest, GarbageCollectorDeletesThePodsOfADeletedReplicaSet) {
  StartControllers("replicaset,garbagecollector");
  MustCreate(ReplicaSets(), ReplicaSetObject("web", 3));
  ASSERT_TRUE(WaitUntil([&] { return ActivePods("app=web").size() == 3; }));
  // Also a pod owned by the ReplicaSet and something that still exists: it only loses the
  // reference to the deleted owner.
  const Json rs = Get(ReplicaSets(), "web");
  const Json keeper = MustCreate(ReplicaSets(), ReplicaSetObject("keeper", 0));
  Json shared = {{"apiVersion", "v1"},
                 {"kind", "Pod"},
                 {"metadata",
                  {{"name", "shared"},
                   {"ownerReferences", Json::array({{{"apiVersion", "apps/v1"},
                                                     {"kind", "ReplicaSet"},
                                                     {"name", "web"},
                                                     {"uid", api::UidOf(rs)}},
                                                    {{"apiVersion", "apps/v1"},
                                                     {"kind", "ReplicaSet"},
                                                     {"name", "keeper"},
                                                     {"uid", api::UidOf(keeper)}}})}}},
                 {"spec", PodTemplate("x", "1")["spec"]}};
  MustCreate(Pods(), shared);

  ASSERT_TRUE(client_->Delete(ReplicaSets(), kNamespace, "web").ok());
  ASSERT_TRUE(WaitUntil([&] { return List(Pods(), "app=web").empty(); }));
  ASSERT_TRUE(WaitUntil([&] {
    const Json pod = Get(Pods(), "shared");
    const Json& references = api::ArrayAt(pod, {"metadata", "ownerReferences"});
    return references.size() == 1 && api::StringAt(references[0], {"name"}) == "keeper";
  }));
}

TEST_F(ControllersTest, OrphanDeletionKeepsTheDependentsAndForegroundDeletesThemFirst) {
  StartControllers("deployment,replicaset,garbagecollector");
  MustCreate(ReplicaSets(), ReplicaSetObject("kept", 2));
  ASSERT_TRUE(WaitUntil([&] { return ActivePods("app=kept").size() == 2; }));
  client::DeleteOptions orphan;
  orphan.propagation_policy = "Orphan";
  ASSERT_TRUE(client_->Delete(ReplicaSets(), kNamespace, "kept", orphan).ok());
  ASSERT_TRUE(WaitUntil([&] {
    return client::IsNotFound(client_->Get(ReplicaSets(), kNamespace, "kept").status());
  }));
  const std::vector<Json> orphans = ActivePods("app=kept");
  ASSERT_EQ(orphans.size(), 2u);
  for (const Json& pod : orphans) {
    EXPECT_TRUE(api::ArrayAt(pod, {"metadata", "ownerReferences"}).empty()) << pod.dump();
  }

  MustCreate(Deployments(), DeploymentObject("web", 2, 1, 1));
  ASSERT_TRUE(WaitUntil([&] { return ActivePods("app=web").size() == 2; }));
  client::DeleteOptions foreground;
  foreground.propagation_policy = "Foreground";
  ASSERT_TRUE(client_->Delete(Deployments(), kNamespace, "web", foreground).ok());
  // The Deployment goes last: while it exists, so may its ReplicaSet; once it is gone,
  // nothing of it is left.
  ASSERT_TRUE(WaitUntil(
      [&] { return client::IsNotFound(client_->Get(Deployments(), kNamespace, "web").status()); }));
  EXPECT_TRUE(List(ReplicaSets(), "app=web").empty());
  EXPECT_TRUE(List(Pods(), "app=web").empty());
}

TEST_F(ControllersTest, DeletingANamespaceDeletesEverythingInItAndThenTheNamespace) {
  StartControllers("*");
  CreateNamespace("doomed");
  MustCreate(Deployments(), DeploymentObject("web", 2, 1, 1), "doomed");
  ASSERT_TRUE(WaitUntil([&] { return List(Pods(), "app=web", "doomed").size() == 2; }));
  absl::StatusOr<Json> deleted = client_->Delete(Namespaces(), "", "doomed");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  const Json after = Get(Namespaces(), "doomed");
  if (api::StringAt(after, {"status", "phase"}) != "Terminating") {
    GTEST_SKIP() << "the API server does not keep deleted namespaces Terminating yet";
  }
  ASSERT_TRUE(WaitUntil(
      [&] { return client::IsNotFound(client_->Get(Namespaces(), "", "doomed").status()); }));
  EXPECT_TRUE(List(Pods(), "", "doomed").empty());
  EXPECT_TRUE(List(ReplicaSets(), "", "doomed").empty());
  EXPECT_TRUE(List(Deployments(), "", "doomed").empty());
}

TEST_F(ControllersTest, NodesThatStopRenewingTheirLeaseGoUnknownAndLoseTheirPods) {
  // The node lifecycle controller runs with a 2 s grace period and a 1 s eviction timeout;
  // the live node renews every 200 ms.
  CreateNamespace("kube-node-lease");
  for (const std::string node : {"alive", "dead"}) {
    MustCreate(
        Nodes(),
        {{"apiVersion", "v1"},
         {"kind", "Node"},
         {"metadata", {{"name", node}}},
         {"status",
          {{"conditions",
            Json::array({{{"type", "Ready"}, {"status", "True"}, {"reason", "KubeletReady"}}})}}}},
        "");
    MustCreate(Leases(),
               {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", node}}},
                {"spec",
                 {{"holderIdentity", node},
                  {"leaseDurationSeconds", 40},
                  {"renewTime", "2026-01-01T00:00:00.000000Z"}}}},
               "kube-node-lease");
    Json pod = {
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata", {{"name", "on-" + node}}},
        {"spec",
         {{"nodeName", node}, {"containers", Json::array({{{"name", "c"}, {"image", "sh"}}})}}}};
    ASSERT_TRUE(MarkReady(MustCreate(Pods(), pod)).ok());
  }
  std::atomic<bool> stop{false};
  std::thread heartbeat([&] {
    for (int beat = 0; !stop; ++beat) {
      Json lease = Get(Leases(), "alive", "kube-node-lease");
      lease["spec"]["renewTime"] =
          api::Cat("2026-01-01T00:00:", beat % 60 < 10 ? "0" : "", beat % 60, ".", beat, "Z");
      (void)client_->Update(Leases(), lease);
      absl::SleepFor(absl::Milliseconds(200));
    }
  });
  StartControllers("nodelifecycle");

  auto taint_keys = [&](const std::string& node) {
    std::set<std::string> keys;
    const Json object = Get(Nodes(), node, "");
    for (const Json& taint : api::ArrayAt(object, {"spec", "taints"})) {
      keys.insert(api::StringAt(taint, {"key"}) + ":" + api::StringAt(taint, {"effect"}));
    }
    return keys;
  };
  ASSERT_TRUE(WaitUntil(
      [&] {
        return api::ConditionStatus(Get(Nodes(), "dead", ""), "Ready") == "Unknown" &&
               taint_keys("dead") ==
                   std::set<std::string>{"node.kubernetes.io/unreachable:NoExecute",
                                         "node.kubernetes.io/unreachable:NoSchedule"};
      },
      absl::Seconds(10)));
  // Evicted: deleted gracefully (bound and running, so it stays until a kubelet confirms).
  ASSERT_TRUE(WaitUntil(
      [&] {
        const Json pod = Get(Pods(), "on-dead");
        return pod.is_null() || api::IsBeingDeleted(pod);
      },
      absl::Seconds(10)));
  EXPECT_EQ(api::ConditionStatus(Get(Nodes(), "alive", ""), "Ready"), "True");
  EXPECT_TRUE(taint_keys("alive").empty());
  EXPECT_FALSE(api::IsBeingDeleted(Get(Pods(), "on-alive")));

  // Cordon and uncordon.
  ASSERT_TRUE(MergePatch(Nodes(), "alive", {{"spec", {{"unschedulable", true}}}}, "").ok());
  ASSERT_TRUE(WaitUntil([&] {
    return taint_keys("alive") ==
           std::set<std::string>{"node.kubernetes.io/unschedulable:NoSchedule"};
  }));
  ASSERT_TRUE(MergePatch(Nodes(), "alive", {{"spec", {{"unschedulable", nullptr}}}}, "").ok());
  ASSERT_TRUE(WaitUntil([&] { return taint_keys("alive").empty(); }));

  // The dead node's kubelet comes back and posts Ready: the taints go.
  Json revived = Get(Nodes(), "dead", "");
  revived["status"]["conditions"] =
      Json::array({{{"type", "Ready"}, {"status", "True"}, {"reason", "KubeletReady"}}});
  Json lease = Get(Leases(), "dead", "kube-node-lease");
  lease["spec"]["renewTime"] = "2026-01-01T00:01:00.000000Z";
  ASSERT_TRUE(client_->Update(Leases(), lease).ok());
  ASSERT_TRUE(client_->UpdateStatus(Nodes(), revived).ok());
  ASSERT_TRUE(WaitUntil([&] { return taint_keys("dead").empty(); }));
  stop = true;
  heartbeat.join();
}

}  // namespace
}  // namespace orch::controllers
