// The kubelet against an API server in the test process: pods bound to its node run as real
// processes (through the shim), with short back-off and heartbeat intervals.
#include "orchestrator/kubelet/kubelet.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/registry.h"
#include "orchestrator/client/api_error.h"
#include "orchestrator/client/client.h"
#include "orchestrator/kubelet/container_process.h"
#include "orchestrator/kubelet/hollow.h"
#include "tests/orchestrator/harness/in_process_apiserver.h"

namespace orch::kubelet {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const api::ResourceInfo& Pods() {
  return api::ResourceFor(api::Kind::kPod);
}

class KubeletTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<testing::InProcessApiServer>> server =
        testing::InProcessApiServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    client_ = std::make_unique<client::Client>(server_->client_config());
    root_ = std::filesystem::temp_directory_path() /
            absl::StrCat("orch-kubelet-", getpid(), "-",
                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "images");
    std::filesystem::create_symlink("/bin/sh", root_ / "images" / "sh");
    std::filesystem::create_symlink(ORCH_HTTP_SERVER_PATH, root_ / "images" / "http-server");
    StartKubelet();
  }

  void TearDown() override {
    kubelet_.reset();
    // The kubelet leaves containers running when it stops (a new one adopts them): end them.
    std::error_code error;
    for (const auto& pod : std::filesystem::directory_iterator(root_ / "pods", error)) {
      for (const auto& container :
           std::filesystem::directory_iterator(pod.path() / "containers", error)) {
        for (int64_t attempt : RecordedAttempts(container.path())) {
          if (auto record = ReadProcessRecord(AttemptFiles::In(container.path(), attempt).pid)) {
            SignalProcessGroup(*record, SIGKILL);
          }
        }
      }
    }
    std::filesystem::remove_all(root_, error);
  }

  void StartKubelet() {
    KubeletConfig config;
    config.client = server_->client_config();
    config.node_name = "node-1";
    config.root_dir = root_;
    config.image_dir = root_ / "images";
    config.pod_cidr = "127.77.0.0/16";
    config.lease_renew_interval = absl::Seconds(1);
    config.status_update_interval = absl::Seconds(1);
    config.backoff_base = absl::Milliseconds(200);
    config.backoff_max = absl::Seconds(1);
    config.shim_path = ORCH_SHIM_PATH;
    config.node_labels = {{"zone", "a"}};
    absl::StatusOr<std::unique_ptr<Kubelet>> kubelet = Kubelet::Start(config);
    ASSERT_TRUE(kubelet.ok()) << kubelet.status();
    kubelet_ = *std::move(kubelet);
  }

  api::Json CreatePod(const std::string& name, api::Json spec) {
    spec["nodeName"] = "node-1";
    api::Json pod = {{"apiVersion", "v1"},
                     {"kind", "Pod"},
                     {"metadata", {{"name", name}, {"namespace", "default"}}},
                     {"spec", std::move(spec)}};
    absl::StatusOr<api::Json> created = client_->Create(Pods(), "default", pod);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : api::Json();
  }

  // Polls the pod until `done` holds (at most `timeout`); the last version seen.
  api::Json WaitForPod(const std::string& name, const std::function<bool(const api::Json&)>& done,
                       absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + timeout;
    api::Json last;
    while (absl::Now() < deadline) {
      absl::StatusOr<api::Json> pod = client_->Get(Pods(), "default", name);
      if (pod.ok()) {
        last = *pod;
        if (done(last)) return last;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    ADD_FAILURE() << "pod " << name << " did not reach the expected state: " << last.dump();
    return last;
  }

  std::string KubeletGet(const std::string& path) {
    client::ClientConfig config = server_->client_config();
    config.port = kubelet_->port();
    client::Client kubelet_client(config);
    absl::StatusOr<client::HttpResult> result = kubelet_client.Request("GET", path, "", "", "*/*");
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? absl::StrCat(result->status, " ", result->body) : "";
  }

  static std::string Phase(const api::Json& pod) { return api::StringAt(pod, {"status", "phase"}); }
  static const api::Json& ContainerStatus(const api::Json& pod, size_t index = 0) {
    static const api::Json kNone = api::Json::object();
    const api::Json& statuses = api::ArrayAt(pod, {"status", "containerStatuses"});
    return index < statuses.size() ? statuses[index] : kNone;
  }

  std::unique_ptr<testing::InProcessApiServer> server_;
  std::unique_ptr<client::Client> client_;
  std::filesystem::path root_;
  std::unique_ptr<Kubelet> kubelet_;
};

api::Json ShellContainer(const std::string& name, const std::string& script) {
  return {{"name", name}, {"image", "sh"}, {"command", {"sh", "-c", script}}};
}

TEST_F(KubeletTest, RegistersTheNodeAndRenewsItsLease) {
  absl::StatusOr<api::Json> node;
  for (int poll = 0; poll < 100; ++poll) {
    node = client_->Get(api::ResourceFor(api::Kind::kNode), "", "node-1");
    if (node.ok()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ(api::ConditionStatus(*node, "Ready"), "True");
  EXPECT_EQ(api::StringAt(*node, {"spec", "podCIDR"}), "127.77.0.0/16");
  EXPECT_EQ(api::StringAt(*node, {"metadata", "labels", "kubernetes.io/hostname"}), "node-1");
  EXPECT_EQ(api::StringAt(*node, {"metadata", "labels", "zone"}), "a");
  EXPECT_EQ(api::IntAt(*node, {"status", "daemonEndpoints", "kubeletEndpoint", "Port"}),
            kubelet_->port());
  EXPECT_EQ(api::StringAt(*node, {"status", "allocatable", "pods"}), "110");
  absl::StatusOr<api::Json> lease =
      client_->Get(api::ResourceFor(api::Kind::kLease), "kube-node-lease", "node-1");
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_EQ(api::StringAt(*lease, {"spec", "holderIdentity"}), "node-1");
  const std::string first_renewal = api::StringAt(*lease, {"spec", "renewTime"});
  absl::SleepFor(absl::Milliseconds(1300));
  lease = client_->Get(api::ResourceFor(api::Kind::kLease), "kube-node-lease", "node-1");
  ASSERT_TRUE(lease.ok());
  EXPECT_NE(api::StringAt(*lease, {"spec", "renewTime"}), first_renewal);
  EXPECT_EQ(KubeletGet("/healthz"), "200 ok");
}

TEST_F(KubeletTest, APodRunsBecomesReadyAndServesItsLogs) {
  CreatePod(
      "web",
      {{"containers",
        {{{"name", "web"},
          {"image", "http-server:1.0"},
          {"env", {{{"name", "PORT"}, {"value", "8080"}}}},
          {"ports", {{{"name", "http"}, {"containerPort", 8080}}}},
          {"readinessProbe",
           {{"httpGet", {{"path", "/healthz"}, {"port", "http"}}}, {"periodSeconds", 1}}}}}}});
  api::Json pod = WaitForPod("web", [](const api::Json& pod) {
    return Phase(pod) == "Running" && api::ConditionStatus(pod, "Ready") == "True";
  });
  const std::string pod_ip = api::StringAt(pod, {"status", "podIP"});
  EXPECT_THAT(pod_ip, StartsWith("127.77."));
  EXPECT_EQ(api::StringAt(pod, {"status", "hostIP"}), "127.0.0.1");
  EXPECT_EQ(api::ConditionStatus(pod, "Initialized"), "True");
  EXPECT_EQ(api::ConditionStatus(pod, "ContainersReady"), "True");
  const api::Json& status = ContainerStatus(pod);
  EXPECT_TRUE(api::BoolAt(status, {"ready"}));
  EXPECT_TRUE(api::BoolAt(status, {"started"}));
  EXPECT_EQ(api::IntAt(status, {"restartCount"}), 0);
  EXPECT_THAT(api::StringAt(status, {"containerID"}), StartsWith("orch://node-1/"));
  EXPECT_NE(api::MemberAt(status, {"state", "running", "startedAt"}), nullptr);

  // The server binds the pod's own address.
  client::ClientConfig pod_config;
  pod_config.host = pod_ip;
  pod_config.port = 8080;
  client::Client pod_client(pod_config);
  absl::StatusOr<client::HttpResult> hello = pod_client.Request("GET", "/", "", "", "*/*");
  ASSERT_TRUE(hello.ok()) << hello.status();
  EXPECT_EQ(hello->body, "hello from pod web\n");

  EXPECT_THAT(KubeletGet("/containerLogs/default/web/web"), HasSubstr("listening on " + pod_ip));
  EXPECT_THAT(KubeletGet("/containerLogs/default/web/web?tailLines=1&timestamps=true"),
              HasSubstr("Z GET / 200"));
  EXPECT_THAT(KubeletGet("/containerLogs/default/web/nope"), StartsWith("400 "));
  EXPECT_THAT(KubeletGet("/containerLogs/default/other/web"), StartsWith("404 "));
  EXPECT_THAT(KubeletGet("/containerLogs/default/web/web?previous=true"), StartsWith("400 "));
}

TEST_F(KubeletTest, ExitCodesRestartsAndPreviousLogs) {
  CreatePod("fails", {{"restartPolicy", "Never"},
                      {"containers", {ShellContainer("main", "echo bye; exit 3")}}});
  CreatePod("retries", {{"restartPolicy", "OnFailure"},
                        {"containers", {ShellContainer("main", "echo run $$; exit 1")}}});
  CreatePod("done",
            {{"restartPolicy", "OnFailure"}, {"containers", {ShellContainer("main", "exit 0")}}});
  api::Json failed =
      WaitForPod("fails", [](const api::Json& pod) { return Phase(pod) == "Failed"; });
  const api::Json& terminated = api::ObjectAt(ContainerStatus(failed), {"state", "terminated"});
  EXPECT_EQ(api::IntAt(terminated, {"exitCode"}), 3);
  EXPECT_EQ(api::StringAt(terminated, {"reason"}), "Error");
  EXPECT_EQ(api::ConditionStatus(failed, "Ready"), "False");

  api::Json done =
      WaitForPod("done", [](const api::Json& pod) { return Phase(pod) == "Succeeded"; });
  EXPECT_EQ(api::StringAt(ContainerStatus(done), {"state", "terminated", "reason"}), "Completed");

  api::Json retried = WaitForPod("retries", [](const api::Json& pod) {
    return api::IntAt(ContainerStatus(pod), {"restartCount"}).value_or(0) >= 2;
  });
  EXPECT_EQ(Phase(retried), "Running");
  EXPECT_EQ(api::IntAt(ContainerStatus(retried), {"lastState", "terminated", "exitCode"}), 1);
  EXPECT_THAT(KubeletGet("/containerLogs/default/retries/main?previous=true"),
              StartsWith("200 run "));
  // Back in back-off between runs.
  WaitForPod("retries", [](const api::Json& pod) {
    return api::StringAt(ContainerStatus(pod), {"state", "waiting", "reason"}) ==
           "CrashLoopBackOff";
  });
}

TEST_F(KubeletTest, InitContainersRunFirstInOrder) {
  CreatePod("init", {{"initContainers",
                      {ShellContainer("first", "echo one > order"),
                       ShellContainer("second", "echo two >> order")}},
                     {"containers", {ShellContainer("app", "cat order; sleep 30")}}});
  api::Json pod = WaitForPod("init", [](const api::Json& pod) { return Phase(pod) == "Running"; });
  EXPECT_EQ(api::ConditionStatus(pod, "Initialized"), "True");
  const api::Json& init_statuses = api::ArrayAt(pod, {"status", "initContainerStatuses"});
  ASSERT_EQ(init_statuses.size(), 2u);
  EXPECT_EQ(api::StringAt(init_statuses[1], {"state", "terminated", "reason"}), "Completed");
  for (int poll = 0; poll < 100; ++poll) {
    if (KubeletGet("/containerLogs/default/init/app") == "200 one\ntwo\n") break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(KubeletGet("/containerLogs/default/init/app"), "200 one\ntwo\n");
}

TEST_F(KubeletTest, AnUnknownImageIsReportedNotIgnored) {
  CreatePod("missing", {{"containers", {{{"name", "main"}, {"image", "nginx:1.25"}}}}});
  api::Json pod = WaitForPod("missing", [](const api::Json& pod) {
    const std::string reason = api::StringAt(ContainerStatus(pod), {"state", "waiting", "reason"});
    return reason == "ErrImagePull" || reason == "ImagePullBackOff";
  });
  EXPECT_EQ(Phase(pod), "Pending");
  EXPECT_THAT(api::StringAt(ContainerStatus(pod), {"state", "waiting", "message"}),
              HasSubstr((root_ / "images").string()));
}

TEST_F(KubeletTest, DeletionStopsTheProcessGroupAndRemovesThePod) {
  CreatePod("graceful",
            {{"terminationGracePeriodSeconds", 5},
             {"containers",
              {ShellContainer(
                  "main", "trap 'echo got TERM; exit 0' TERM; while true; do sleep 0.1; done")}}});
  api::Json pod =
      WaitForPod("graceful", [](const api::Json& pod) { return Phase(pod) == "Running"; });
  const std::string container_id = api::StringAt(ContainerStatus(pod), {"containerID"});
  const pid_t pid = std::stoi(container_id.substr(container_id.rfind('/') + 1));
  ASSERT_EQ(kill(pid, 0), 0);
  client::DeleteOptions options;
  options.grace_period_seconds = 5;
  ASSERT_TRUE(client_->Delete(Pods(), "default", "graceful", options).ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  bool gone = false;
  while (absl::Now() < deadline && !gone) {
    gone = client::IsNotFound(client_->Get(Pods(), "default", "graceful").status()) &&
           !ProcessStartTicks(pid).has_value();
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(gone);
  const absl::Time cleaned_by = absl::Now() + absl::Seconds(5);
  while (absl::Now() < cleaned_by && std::filesystem::exists(root_ / "pods" / api::UidOf(pod))) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_FALSE(std::filesystem::exists(root_ / "pods" / api::UidOf(pod)));
}

TEST_F(KubeletTest, ARestartedKubeletAdoptsRunningContainers) {
  CreatePod("steady", {{"containers", {ShellContainer("main", "sleep 60")}}});
  api::Json before = WaitForPod(
      "steady", [](const api::Json& pod) { return api::ConditionStatus(pod, "Ready") == "True"; });
  const std::string container_id = api::StringAt(ContainerStatus(before), {"containerID"});
  kubelet_.reset();
  StartKubelet();
  // The new kubelet reports the same process and never starts a second one.
  absl::SleepFor(absl::Seconds(1));
  api::Json after = WaitForPod(
      "steady", [](const api::Json& pod) { return api::ConditionStatus(pod, "Ready") == "True"; });
  EXPECT_EQ(api::StringAt(ContainerStatus(after), {"containerID"}), container_id);
  EXPECT_EQ(api::IntAt(ContainerStatus(after), {"restartCount"}), 0);
  EXPECT_EQ(RecordedAttempts(root_ / "pods" / api::UidOf(before) / "containers" / "main"),
            std::vector<int64_t>{0});
}

TEST_F(KubeletTest, AFailingLivenessProbeRestartsTheContainer) {
  CreatePod("unhealthy", {{"containers",
                           {{{"name", "main"},
                             {"image", "sh"},
                             {"command", {"sh", "-c", "touch alive; sleep 1; rm alive; sleep 60"}},
                             {"livenessProbe",
                              {{"exec", {{"command", {"sh", "-c", "test -f alive"}}}},
                               {"initialDelaySeconds", 1},
                               {"periodSeconds", 1},
                               {"failureThreshold", 1}}}}}}});
  api::Json pod = WaitForPod("unhealthy", [](const api::Json& pod) {
    return api::IntAt(ContainerStatus(pod), {"restartCount"}).value_or(0) >= 1;
  });
  EXPECT_EQ(api::IntAt(ContainerStatus(pod), {"lastState", "terminated", "exitCode"}),
            128 + SIGTERM);
}

TEST_F(KubeletTest, HollowNodesReportTheirPodsRunningWithoutProcesses) {
  HollowConfig config;
  config.client = server_->client_config();
  config.count = 3;
  config.name_prefix = "hollow-";
  absl::StatusOr<std::unique_ptr<HollowNodes>> hollow = HollowNodes::Start(config);
  ASSERT_TRUE(hollow.ok()) << hollow.status();
  for (const char* name : {"hollow-0", "hollow-1", "hollow-2"}) {
    absl::StatusOr<api::Json> node = client_->Get(api::ResourceFor(api::Kind::kNode), "", name);
    ASSERT_TRUE(node.ok()) << node.status();
    EXPECT_EQ(api::ConditionStatus(*node, "Ready"), "True");
    EXPECT_TRUE(client_->Get(api::ResourceFor(api::Kind::kLease), "kube-node-lease", name).ok());
  }
  api::Json pod = {{"apiVersion", "v1"},
                   {"kind", "Pod"},
                   {"metadata", {{"name", "ghost"}, {"namespace", "default"}}},
                   {"spec",
                    {{"nodeName", "hollow-1"},
                     {"containers", {{{"name", "main"}, {"image", "no-such-image"}}}}}}};
  ASSERT_TRUE(client_->Create(Pods(), "default", pod).ok());
  api::Json running = WaitForPod("ghost", [](const api::Json& pod) {
    return Phase(pod) == "Running" && api::ConditionStatus(pod, "Ready") == "True";
  });
  EXPECT_THAT(api::StringAt(running, {"status", "podIP"}), StartsWith("10.0.1."));
  EXPECT_FALSE(std::filesystem::exists(root_ / "pods" / api::UidOf(running)));
  (*hollow)->Stop();
}

// More nodes than heartbeat workers: every Lease is still renewed once per interval.
TEST_F(KubeletTest, HollowHeartbeatWorkersRenewEveryNodesLeaseEachInterval) {
  HollowConfig config;
  config.client = server_->client_config();
  config.count = 40;
  config.heartbeat_workers = 4;
  config.lease_renew_interval = absl::Seconds(1);
  config.status_update_interval = absl::Seconds(1);
  absl::StatusOr<std::unique_ptr<HollowNodes>> hollow = HollowNodes::Start(config);
  ASSERT_TRUE(hollow.ok()) << hollow.status();
  std::map<std::string, std::string> first_renewals;
  for (int index = 0; index < config.count; ++index) {
    const std::string name = absl::StrCat("hollow-", index);
    absl::StatusOr<api::Json> lease =
        client_->Get(api::ResourceFor(api::Kind::kLease), "kube-node-lease", name);
    ASSERT_TRUE(lease.ok()) << name << ": " << lease.status();
    first_renewals[name] = api::StringAt(*lease, {"spec", "renewTime"});
  }
  absl::SleepFor(absl::Milliseconds(2500));
  for (const auto& [name, first_renewal] : first_renewals) {
    absl::StatusOr<api::Json> lease =
        client_->Get(api::ResourceFor(api::Kind::kLease), "kube-node-lease", name);
    ASSERT_TRUE(lease.ok()) << name << ": " << lease.status();
    EXPECT_GT(api::StringAt(*lease, {"spec", "renewTime"}), first_renewal) << name;
    absl::StatusOr<api::Json> node = client_->Get(api::ResourceFor(api::Kind::kNode), "", name);
    ASSERT_TRUE(node.ok()) << name << ": " << node.status();
    EXPECT_EQ(api::ConditionStatus(*node, "Ready"), "True") << name;
  }
  (*hollow)->Stop();
}

}  // namespace
}  // namespace orch::kubelet
