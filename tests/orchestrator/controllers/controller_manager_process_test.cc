// orch-controller-manager as processes against an in-process API server: one of two leads
// through the Lease kube-system/orch-controller-manager and runs the controllers; when the
// leader is killed the other takes over; SIGTERM stops cleanly and releases the Lease.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/text.h"
#include "orchestrator/client/client.h"
#include "tests/orchestrator/harness/eventually.h"
#include "tests/orchestrator/harness/in_process_apiserver.h"

extern char** environ;

namespace orch::controllers {
namespace {

using api::Json;

class ManagerProcess {
 public:
  explicit ManagerProcess(const std::string& url) {
    std::vector<std::string> args = {ORCH_CONTROLLER_MANAGER_BINARY,
                                     "--server",
                                     url,
                                     "--controllers",
                                     "replicaset",
                                     "--leader-elect-lease-duration",
                                     "2s",
                                     "--leader-elect-renew-deadline",
                                     "1500ms",
                                     "--leader-elect-retry-period",
                                     "250ms"};
    std::vector<char*> argv;
    for (std::string& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    spawned_ = posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) == 0;
  }
  ~ManagerProcess() {
    if (running()) Signal(SIGKILL);
  }

  bool spawned() const { return spawned_; }
  bool running() const { return spawned_ && exit_status_ < 0; }
  // Sends `signal` and waits for the exit; returns the exit code (or 128 + signal).
  int Signal(int signal) {
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_status_;
  }
  // The identity it campaigns with: hostname + "_" + pid.
  std::string Identity() const {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    return api::Cat(host, "_", static_cast<int64_t>(pid_));
  }

 private:
  pid_t pid_ = 0;
  bool spawned_ = false;
  int exit_status_ = -1;
};

bool WaitUntil(const std::function<bool()>& done, absl::Duration timeout) {
  return orch::testing::Eventually(done, timeout, absl::Milliseconds(50));
}

TEST(ControllerManagerProcess, OneLeadsAnotherTakesOverAndSigtermReleasesTheLease) {
  absl::StatusOr<std::unique_ptr<testing::InProcessApiServer>> server =
      testing::InProcessApiServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  client::Client client((*server)->client_config());
  const api::ResourceInfo& leases = api::ResourceFor(api::Kind::kLease);
  const api::ResourceInfo& replica_sets = api::ResourceFor(api::Kind::kReplicaSet);
  const api::ResourceInfo& pods = api::ResourceFor(api::Kind::kPod);
  auto holder = [&] {
    absl::StatusOr<Json> lease = client.Get(leases, "kube-system", "orch-controller-manager");
    return lease.ok() ? api::StringAt(*lease, {"spec", "holderIdentity"}) : std::string();
  };
  auto pod_count = [&] {
    client::ListOptions options;
    options.label_selector = "app=web";
    absl::StatusOr<Json> list = client.List(pods, "default", options);
    return list.ok() ? (*list)["items"].size() : 0;
  };

  ManagerProcess first((*server)->url());
  ManagerProcess second((*server)->url());
  ASSERT_TRUE(first.spawned() && second.spawned());
  ASSERT_TRUE(WaitUntil([&] { return !holder().empty(); }, absl::Seconds(10)));
  ManagerProcess& leader = holder() == first.Identity() ? first : second;
  ManagerProcess& follower = &leader == &first ? second : first;
  ASSERT_EQ(holder(), leader.Identity());

  const Json rs = {
      {"apiVersion", "apps/v1"},
      {"kind", "ReplicaSet"},
      {"metadata", {{"name", "web"}}},
      {"spec",
       {{"replicas", 2},
        {"selector", {{"matchLabels", {{"app", "web"}}}}},
        {"template",
         {{"metadata", {{"labels", {{"app", "web"}}}}},
          {"spec", {{"containers", Json::array({{{"name", "c"}, {"image", "sh"}}})}}}}}}}};
  ASSERT_TRUE(client.Create(replica_sets, "default", rs).ok());
  ASSERT_TRUE(WaitUntil([&] { return pod_count() == 2; }, absl::Seconds(10)));

  // The leader dies without releasing: the other takes over after the lease duration.
  leader.Signal(SIGKILL);
  ASSERT_TRUE(WaitUntil([&] { return holder() == follower.Identity(); }, absl::Seconds(10)));
  ASSERT_TRUE(client
                  .Patch(replica_sets, "default", "web", client::PatchType::kMerge,
                         R"({"spec":{"replicas":3}})")
                  .ok());
  ASSERT_TRUE(WaitUntil([&] { return pod_count() == 3; }, absl::Seconds(10)));

  // A clean stop: exit 0 and the Lease released at once.
  EXPECT_EQ(follower.Signal(SIGTERM), 0);
  EXPECT_EQ(holder(), "");
}

TEST(ControllerManagerProcess, RefusesUnknownControllersAndFlags) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--controllers", "replicaset,nope"},
        std::vector<std::string>{"--no-such-flag", "1"},
        std::vector<std::string>{"--pod-eviction-timeout", "soon"}}) {
    args.insert(args.begin(), ORCH_CONTROLLER_MANAGER_BINARY);
    std::vector<char*> argv;
    for (std::string& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    ASSERT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 2) << args[1];
  }
}

}  // namespace
}  // namespace orch::controllers
