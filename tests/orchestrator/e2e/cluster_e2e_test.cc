// The whole orchestrator as a user runs it: `orchestrator up` starts 3 raftkv members, the
// API server, the controller-manager, two schedulers and three kubelets, each its own
// process; the tests drive it through the API (and the orch CLI for rollback) and break it
// with SIGKILL. The tests share one cluster and run in order: later ones build on the
// Deployment the first one creates.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "orchestrator/api/object.h"
#include "orchestrator/api/yaml.h"
#include "orchestrator/client/api_error.h"
#include "orchestrator/client/client.h"
#include "orchestrator/client/config.h"
#include "tests/orchestrator/harness/eventually.h"

extern char** environ;

namespace orch {
namespace {

namespace fs = std::filesystem;
using api::Json;

constexpr const char* kNamespace = "e2e";

const api::ResourceInfo& Pods() {
  return api::ResourceFor(api::Kind::kPod);
}
const api::ResourceInfo& Nodes() {
  return api::ResourceFor(api::Kind::kNode);
}
const api::ResourceInfo& Deployments() {
  return api::ResourceFor(api::Kind::kDeployment);
}
const api::ResourceInfo& Namespaces() {
  return api::ResourceFor(api::Kind::kNamespace);
}
const api::ResourceInfo& Leases() {
  return api::ResourceFor(api::Kind::kLease);
}

// Polls `condition` every 200 ms until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout) {
  return orch::testing::Eventually(condition, timeout, absl::Milliseconds(200));
}

std::string RunCommand(const std::string& command, int* exit_code) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return output;
  std::array<char, 4096> buffer{};
  size_t read = 0;
  while ((read = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    output.append(buffer.data(), read);
  const int status = pclose(pipe);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return output;
}

bool IsReady(const Json& pod) {
  return api::StringAt(pod, {"status", "phase"}) == "Running" &&
         api::ConditionStatus(pod, "Ready") == "True" && !api::IsBeingDeleted(pod);
}

constexpr std::string_view kWebDeployment = R"(
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: e2e
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 3
      containers:
      - name: web
        image: http-server
        env:
        - {name: PORT, value: "8080"}
        readinessProbe:
          httpGet: {path: /healthz, port: 8080}
          periodSeconds: 1
        resources:
          requests: {cpu: 100m, memory: 16Mi}
)";

class ClusterE2ETest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    directory_ = fs::temp_directory_path() / absl::StrCat("orch-e2e-", getpid());
    std::vector<std::string> args = {
        ORCHESTRATOR_BINARY,
        "up",
        "--dir",
        directory_.string(),
        "--fresh",
        "--free-ports",
        "--schedulers",
        "2",
        // The tests kill these on purpose and watch the rest of the cluster cope.
        "--no-restart=kubelet,scheduler",
        "--controller-manager-flag=--node-monitor-grace-period=6s",
        "--controller-manager-flag=--pod-eviction-timeout=2s",
        "--controller-manager-flag=--leader-elect-lease-duration=4s",
        "--controller-manager-flag=--leader-elect-renew-deadline=3s",
        "--controller-manager-flag=--leader-elect-retry-period=1s",
        "--scheduler-flag=--leader-elect-lease-duration=4s",
        "--scheduler-flag=--leader-elect-renew-deadline=3s",
        "--scheduler-flag=--leader-elect-retry-period=1s",
        "--kubelet-flag=--node-lease-renew-interval=1s",
    };
    std::vector<char*> argv;
    for (std::string& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawn(&up_pid_, argv[0], nullptr, nullptr, argv.data(), environ), 0);
    const bool ready = WaitFor(
        [] { return fs::exists(directory_ / "ready") || waitpid(up_pid_, nullptr, WNOHANG) != 0; },
        absl::Seconds(120));
    ASSERT_TRUE(ready && fs::exists(directory_ / "ready"))
        << "orchestrator up did not get ready; logs in " << (directory_ / "logs").string();
    std::ifstream file(directory_ / "ready");
    std::getline(file, api_url_);
    absl::StatusOr<client::ClientConfig> config = client::ParseServerUrl(api_url_);
    ASSERT_TRUE(config.ok()) << config.status();
    client_ = std::make_unique<client::Client>(*config);
  }

  static void TearDownTestSuite() {
    client_.reset();
    if (up_pid_ > 0) {
      kill(up_pid_, SIGINT);
      const bool ended =
          WaitFor([] { return waitpid(up_pid_, nullptr, WNOHANG) != 0; }, absl::Seconds(60));
      if (!ended) {
        kill(up_pid_, SIGKILL);
        waitpid(up_pid_, nullptr, 0);
      }
    }
    if (!::testing::UnitTest::GetInstance()->Failed()) {
      std::error_code error;
      fs::remove_all(directory_, error);
    }
  }

  void SetUp() override {
    if (client_ == nullptr) GTEST_SKIP() << "the cluster did not start";
  }

  static client::Client& api() { return *client_; }

  static pid_t PidOf(const std::string& component) {
    std::ifstream file(directory_ / "components.json");
    const Json pids = Json::parse(file, nullptr, /*allow_exceptions=*/false);
    const Json* pid = api::Member(pids, component);
    return pid != nullptr && pid->is_number_integer() ? pid->get<pid_t>() : 0;
  }

  static std::vector<Json> WebPods() {
    client::ListOptions options;
    options.label_selector = "app=web";
    absl::StatusOr<Json> list = api().List(Pods(), kNamespace, options);
    if (!list.ok()) return {};
    const Json& items = api::ArrayAt(*list, {"items"});
    return std::vector<Json>(items.begin(), items.end());
  }

  static int ReadyWebPods() {
    int ready = 0;
    for (const Json& pod : WebPods())
      if (IsReady(pod)) ++ready;
    return ready;
  }

  static absl::Status ScaleWeb(int replicas) {
    return api()
        .Patch(Deployments(), kNamespace, "web", client::PatchType::kMerge,
               absl::StrCat(R"({"spec":{"replicas":)", replicas, "}}"))
        .status();
  }

  // Every replica Ready and up to date, and no other web pod left.
  static bool RolledOut(int replicas) {
    absl::StatusOr<Json> deployment = api().Get(Deployments(), kNamespace, "web");
    if (!deployment.ok()) return false;
    const Json& status = api::ObjectAt(*deployment, {"status"});
    return api::IntAt(status, {"observedGeneration"}) == api::GenerationOf(*deployment) &&
           api::IntAt(status, {"updatedReplicas"}) == replicas &&
           api::IntAt(status, {"availableReplicas"}) == replicas &&
           api::IntAt(status, {"replicas"}) == replicas && ReadyWebPods() == replicas &&
           static_cast<int>(WebPods().size()) == replicas;
  }

  static std::string Orch(const std::string& arguments, int* exit_code) {
    return RunCommand(absl::StrCat(ORCH_CLI_BINARY, " --server ", api_url_, " ", arguments),
                      exit_code);
  }

  static inline fs::path directory_;
  static inline pid_t up_pid_ = 0;
  static inline std::string api_url_;
  static inline std::unique_ptr<client::Client> client_;
};

TEST_F(ClusterE2ETest, DeploymentRunsItsPodsAsProcessesSpreadOverTheNodes) {
  ASSERT_TRUE(api()
                  .Create(Namespaces(), "",
                          Json{{"apiVersion", "v1"},
                               {"kind", "Namespace"},
                               {"metadata", {{"name", kNamespace}}}})
                  .ok());
  absl::StatusOr<Json> deployment = api::YamlToJson(kWebDeployment);
  ASSERT_TRUE(deployment.ok()) << deployment.status();
  ASSERT_TRUE(api().Create(Deployments(), kNamespace, *deployment).ok());
  ASSERT_TRUE(WaitFor([] { return RolledOut(3); }, absl::Seconds(60)))
      << "ready pods: " << ReadyWebPods();

  std::set<std::string> nodes;
  for (const Json& pod : WebPods()) {
    nodes.insert(api::StringAt(pod, {"spec", "nodeName"}));
    // The container is a real process serving on the pod's own address.
    const std::string pod_ip = api::StringAt(pod, {"status", "podIP"});
    ASSERT_FALSE(pod_ip.empty());
    absl::StatusOr<client::ClientConfig> config =
        client::ParseServerUrl(absl::StrCat("http://", pod_ip, ":8080"));
    ASSERT_TRUE(config.ok());
    client::Client pod_client(*config);
    absl::StatusOr<client::HttpResult> answer = pod_client.Request("GET", "/");
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(answer->status, 200);
    EXPECT_TRUE(absl::StrContains(answer->body, api::NameOf(pod))) << answer->body;
  }
  EXPECT_EQ(nodes.size(), 3u) << "the scheduler spreads one owner's replicas over the nodes";
}

TEST_F(ClusterE2ETest, ScalesUpAndDown) {
  ASSERT_TRUE(ScaleWeb(5).ok());
  EXPECT_TRUE(WaitFor([] { return RolledOut(5); }, absl::Seconds(60)));
  ASSERT_TRUE(ScaleWeb(3).ok());
  EXPECT_TRUE(WaitFor([] { return RolledOut(3); }, absl::Seconds(60)))
      << "web pods: " << WebPods().size();
}

TEST_F(ClusterE2ETest, RollingUpdateNeverGoesBelowTheMinimumAvailable) {
  ASSERT_TRUE(api()
                  .Patch(Deployments(), kNamespace, "web", client::PatchType::kStrategicMerge,
                         R"({"spec":{"template":{"spec":{"containers":[
                             {"name":"web","env":[{"name":"VERSION","value":"2"}]}]}}}})")
                  .ok());
  // maxUnavailable is 0: three Ready pods at every moment of the rollout.
  int lowest = 3;
  const bool done = WaitFor(
      [&lowest] {
        lowest = std::min(lowest, ReadyWebPods());
        return RolledOut(3);
      },
      absl::Seconds(90));
  EXPECT_TRUE(done);
  EXPECT_GE(lowest, 3);
  for (const Json& pod : WebPods()) {
    const Json& env = api::ArrayAt(pod, {"spec", "containers"})[0]["env"];
    EXPECT_TRUE(absl::StrContains(env.dump(), "VERSION")) << api::NameOf(pod);
  }
}

TEST_F(ClusterE2ETest, RollbackRestoresThePreviousTemplate) {
  int exit_code = -1;
  const std::string output = Orch("rollout undo deployment/web -n e2e", &exit_code);
  ASSERT_EQ(exit_code, 0) << output;
  EXPECT_TRUE(WaitFor(
      [] {
        if (!RolledOut(3)) return false;
        for (const Json& pod : WebPods())
          if (absl::StrContains(pod.dump(), "VERSION")) return false;
        return true;
      },
      absl::Seconds(90)));
}

// The machine's kubectl (v1.32) and orch against the running cluster, for what needs
// controllers and kubelets: rollout status, wait for Ready, logs, describe with events.
TEST_F(ClusterE2ETest, KubectlAndOrchWorkAgainstTheCluster) {
  if (access("/usr/bin/kubectl", X_OK) != 0) GTEST_SKIP() << "no kubectl";
  auto kubectl = [](const std::string& arguments, int* exit_code) {
    return RunCommand(absl::StrCat("HOME=", directory_.string(), " /usr/bin/kubectl --kubeconfig ",
                                   (directory_ / "kubeconfig").string(), " ", arguments),
                      exit_code);
  };
  int code = -1;
  std::string out = kubectl("rollout status deployment/web -n e2e --timeout=60s", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "successfully rolled out")) << out;
  out = kubectl("wait --for=condition=Ready pod -l app=web -n e2e --timeout=60s", &code);
  EXPECT_EQ(code, 0) << out;
  out = kubectl("get nodes -o wide", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(std::vector<std::string>(absl::StrSplit(out, " Ready ")).size(), 4u) << out;
  out = kubectl("get deployments,replicasets -n e2e", &code);
  EXPECT_TRUE(absl::StrContains(out, "deployment.apps/web")) << out;
  out = kubectl("get events -n e2e", &code);
  EXPECT_TRUE(absl::StrContains(out, "Scheduled")) << out;
  EXPECT_TRUE(absl::StrContains(out, "ScalingReplicaSet")) << out;

  const std::string pod = api::NameOf(WebPods().front());
  out = kubectl(absl::StrCat("describe pod ", pod, " -n e2e"), &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "Successfully assigned")) << out;
  out = kubectl("describe deployment web -n e2e", &code);
  EXPECT_TRUE(absl::StrContains(out, "RollingUpdateStrategy")) << out;
  out = kubectl(absl::StrCat("logs ", pod, " -n e2e --tail=5"), &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "GET /healthz")) << out;
  out = Orch(absl::StrCat("logs ", pod, " -n e2e --tail 5"), &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "GET /healthz")) << out;

  out = kubectl("cordon node-3", &code);
  EXPECT_EQ(code, 0) << out;
  absl::StatusOr<Json> node = api().Get(Nodes(), "", "node-3");
  ASSERT_TRUE(node.ok());
  EXPECT_TRUE(api::BoolAt(*node, {"spec", "unschedulable"}));
  out = Orch("uncordon node-3", &code);
  EXPECT_EQ(code, 0) << out;
}

TEST_F(ClusterE2ETest, PodThatFitsNowhereSaysWhy) {
  const Json pod = Json::parse(R"({"apiVersion":"v1","kind":"Pod",
      "metadata":{"name":"too-big","namespace":"e2e"},
      "spec":{"containers":[{"name":"c","image":"sleep","args":["600"],
        "resources":{"requests":{"cpu":"1000"}}}]}})");
  ASSERT_TRUE(api().Create(Pods(), kNamespace, pod).ok());
  std::string message;
  EXPECT_TRUE(WaitFor(
      [&message] {
        absl::StatusOr<Json> got = api().Get(Pods(), kNamespace, "too-big");
        if (!got.ok()) return false;
        const Json* condition =
            api::FindCondition(api::ArrayAt(*got, {"status", "conditions"}), "PodScheduled");
        if (condition == nullptr) return false;
        message = api::StringAt(*condition, {"message"});
        return api::StringAt(*condition, {"status"}) == "False";
      },
      absl::Seconds(30)));
  EXPECT_TRUE(absl::StrContains(message, "0/3 nodes are available")) << message;
  EXPECT_TRUE(absl::StrContains(message, "Insufficient cpu")) << message;
  client::DeleteOptions now;
  now.grace_period_seconds = 0;
  EXPECT_TRUE(api().Delete(Pods(), kNamespace, "too-big", now).ok());
}

TEST_F(ClusterE2ETest, AnotherSchedulerTakesOverWhenTheLeaderIsKilled) {
  absl::StatusOr<Json> lease = api().Get(Leases(), "kube-system", "orch-scheduler");
  ASSERT_TRUE(lease.ok()) << lease.status();
  const std::string holder = api::StringAt(*lease, {"spec", "holderIdentity"});
  const std::string pid_text = holder.substr(holder.rfind('_') + 1);
  pid_t leader = 0;
  ASSERT_TRUE(absl::SimpleAtoi(pid_text, &leader)) << holder;
  ASSERT_TRUE(leader == PidOf("scheduler-1") || leader == PidOf("scheduler-2")) << holder;
  ASSERT_EQ(kill(leader, SIGKILL), 0);

  ASSERT_TRUE(ScaleWeb(4).ok());
  EXPECT_TRUE(WaitFor([] { return RolledOut(4); }, absl::Seconds(60)))
      << "the new replica was not scheduled after the leading scheduler died";
  absl::StatusOr<Json> after = api().Get(Leases(), "kube-system", "orch-scheduler");
  ASSERT_TRUE(after.ok());
  EXPECT_NE(api::StringAt(*after, {"spec", "holderIdentity"}), holder);
  ASSERT_TRUE(ScaleWeb(3).ok());
  EXPECT_TRUE(WaitFor([] { return RolledOut(3); }, absl::Seconds(60)));
}

TEST_F(ClusterE2ETest, KilledStoreMembersDoNotStopTheCluster) {
  const pid_t third = PidOf("member-3");
  ASSERT_GT(third, 0);
  ASSERT_EQ(kill(third, SIGKILL), 0);
  ASSERT_TRUE(ScaleWeb(4).ok());
  EXPECT_TRUE(WaitFor([] { return RolledOut(4); }, absl::Seconds(60)));
  // `orchestrator up` starts the killed member again; once it is back, the member the API
  // server talks to first goes.
  ASSERT_TRUE(WaitFor([third] { return PidOf("member-3") != 0 && PidOf("member-3") != third; },
                      absl::Seconds(20)));
  std::this_thread::sleep_for(std::chrono::seconds(5));
  const pid_t first = PidOf("member-1");
  ASSERT_GT(first, 0);
  ASSERT_EQ(kill(first, SIGKILL), 0);
  ASSERT_TRUE(WaitFor([] { return ScaleWeb(3).ok(); }, absl::Seconds(30)));
  EXPECT_TRUE(WaitFor([] { return RolledOut(3); }, absl::Seconds(60)));
}

TEST_F(ClusterE2ETest, PodsOfAKilledKubeletComeBackOnOtherNodes) {
  const std::vector<Json> pods = WebPods();
  ASSERT_FALSE(pods.empty());
  const std::string node = api::StringAt(pods.front(), {"spec", "nodeName"});
  const pid_t kubelet = PidOf("kubelet-" + node);
  ASSERT_GT(kubelet, 0);
  ASSERT_EQ(kill(kubelet, SIGKILL), 0);

  EXPECT_TRUE(WaitFor(
      [&node] {
        absl::StatusOr<Json> got = api().Get(Nodes(), "", node);
        return got.ok() && api::ConditionStatus(*got, "Ready") != "True";
      },
      absl::Seconds(30)))
      << node << " did not become NotReady";
  EXPECT_TRUE(WaitFor(
      [&node] {
        int ready_elsewhere = 0;
        for (const Json& pod : WebPods())
          if (IsReady(pod) && api::StringAt(pod, {"spec", "nodeName"}) != node) ++ready_elsewhere;
        return ready_elsewhere == 3;
      },
      absl::Seconds(60)))
      << "the pods of " << node << " were not replaced on other nodes";
}

// In a namespace of its own: the pods left Terminating on the killed kubelet's node stay so
// (nobody can confirm they stopped), as in Kubernetes, and would hold their namespace.
TEST_F(ClusterE2ETest, DeletingTheNamespaceDeletesEverythingInIt) {
  constexpr const char* kDoomed = "doomed";
  ASSERT_TRUE(
      api()
          .Create(
              Namespaces(), "",
              Json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", kDoomed}}}})
          .ok());
  absl::StatusOr<Json> deployment = api::YamlToJson(kWebDeployment);
  ASSERT_TRUE(deployment.ok());
  (*deployment)["metadata"]["namespace"] = kDoomed;
  ASSERT_TRUE(api().Create(Deployments(), kDoomed, *deployment).ok());
  auto running_pods = [kDoomed] {
    absl::StatusOr<Json> pods = api().List(Pods(), kDoomed);
    int ready = 0;
    if (pods.ok())
      for (const Json& pod : api::ArrayAt(*pods, {"items"}))
        if (IsReady(pod)) ++ready;
    return ready;
  };
  ASSERT_TRUE(WaitFor([&] { return running_pods() == 3; }, absl::Seconds(60)));

  ASSERT_TRUE(api().Delete(Namespaces(), "", kDoomed).ok());
  EXPECT_TRUE(WaitFor(
      [kDoomed] { return client::IsNotFound(api().Get(Namespaces(), "", kDoomed).status()); },
      absl::Seconds(60)));
  for (const api::ResourceInfo* resource : {&Pods(), &Deployments()}) {
    absl::StatusOr<Json> left = api().List(*resource, kDoomed);
    ASSERT_TRUE(left.ok());
    EXPECT_TRUE(api::ArrayAt(*left, {"items"}).empty()) << left->dump();
  }
}

}  // namespace
}  // namespace orch
