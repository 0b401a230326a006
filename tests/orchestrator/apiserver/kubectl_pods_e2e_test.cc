// The pod subresources kubectl drives against orch-apiserver: drain's evictions (protobuf
// policy/v1 Eviction bodies), logs relayed from the node's kubelet (a stand-in kubelet serving
// /containerLogs files over HTTP), and the errors upstream gives for both.
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/orchestrator/apiserver/kubectl_fixture.h"

namespace orch::apiserver::kubectl_e2e {
namespace {

std::string NodeJson(const std::string& name, uint16_t kubelet_port) {
  return absl::StrCat(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":")", name,
                      R"("},"status":{"addresses":[{"type":"InternalIP","address":"127.0.0.1"},)",
                      R"({"type":"Hostname","address":")", name,
                      R"("}],"daemonEndpoints":{"kubeletEndpoint":{"Port":)", kubelet_port, "}}}}");
}

std::string PodYaml(const std::string& name, const std::string& containers) {
  return absl::StrCat("apiVersion: v1\nkind: Pod\nmetadata:\n  name: ", name,
                      "\nspec:\n  containers:\n", containers);
}

class KubectlPodsTest : public KubectlTest {
 protected:
  void TearDown() override {
    if (kubelet_pid_ > 0) {
      kill(kubelet_pid_, SIGTERM);
      int status = 0;
      waitpid(kubelet_pid_, &status, 0);
    }
    KubectlTest::TearDown();
  }

  // A stand-in kubelet: python's http.server over a directory holding
  // containerLogs/<ns>/<pod>/<container> files (it ignores the query).
  uint16_t StartKubelet() {
    const std::filesystem::path root = directory_ / "kubelet";
    std::filesystem::create_directories(root / "containerLogs/default/web");
    std::ofstream(root / "containerLogs/default/web/nginx") << "line one\nline two\n";
    const uint16_t port = FreePort();
    std::vector<std::string> args = {"/usr/bin/python3",   "-m",         "http.server",
                                     std::to_string(port), "--bind",     "127.0.0.1",
                                     "--directory",        root.string()};
    std::vector<char*> argv;
    for (std::string& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&kubelet_pid_, argv[0], nullptr, nullptr, argv.data(), environ), 0);
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (RunShell(absl::StrCat("curl -sf http://127.0.0.1:", port, "/")).exit_code == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return port;
  }

  void CreateBoundPod(const std::string& name, const std::string& node,
                      const std::string& containers = "  - {name: nginx, image: nginx}\n") {
    ASSERT_EQ(Kubectl("apply -f " + WriteFile(name + ".yaml", PodYaml(name, containers))).exit_code,
              0);
    CommandResult bound = Curl(
        "POST", absl::StrCat("/api/v1/namespaces/default/pods/", name, "/binding"),
        absl::StrCat(R"({"metadata":{"name":")", name, R"("},"target":{"name":")", node, R"("}})"));
    ASSERT_TRUE(absl::EndsWith(bound.output, "201")) << bound.output;
  }

  pid_t kubelet_pid_ = -1;
};

TEST_F(KubectlPodsTest, DrainEvictsThePodsOfANode) {
  ASSERT_TRUE(
      absl::EndsWith(Curl("POST", "/api/v1/nodes", NodeJson("node-1", 10250)).output, "201"));
  CreateBoundPod("a", "node-1");
  CreateBoundPod("b", "node-1");
  CreateBoundPod("elsewhere", "node-2");
  // kubectl drain cordons, then POSTs a protobuf policy/v1 Eviction per pod and waits for
  // each pod to go.
  CommandResult drain = Kubectl("drain node-1 --force --grace-period=0 --timeout=30s");
  EXPECT_EQ(drain.exit_code, 0) << drain.output;
  EXPECT_TRUE(absl::StrContains(drain.output, "evicting pod default/a")) << drain.output;
  EXPECT_TRUE(absl::StrContains(drain.output, "node/node-1 drained")) << drain.output;
  EXPECT_EQ(Kubectl("get pods -o name").output, "pod/elsewhere\n");
  EXPECT_EQ(Kubectl("get node node-1 -o jsonpath={.spec.unschedulable}").output, "true");
}

TEST_F(KubectlPodsTest, EvictionAnswersAsUpstream) {
  CreateBoundPod("web", "node-1");
  const std::string path = "/api/v1/namespaces/default/pods/web/eviction";
  CommandResult mismatch = Curl(
      "POST", path, R"({"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"other"}})");
  EXPECT_TRUE(absl::EndsWith(mismatch.output, "400")) << mismatch.output;
  EXPECT_TRUE(
      absl::StrContains(mismatch.output, "name in URL does not match name in Eviction object"))
      << mismatch.output;
  // Without a grace period in its deleteOptions, the eviction starts a graceful deletion.
  CommandResult evicted =
      Curl("POST", path,
           R"({"apiVersion":"policy/v1beta1","kind":"Eviction","metadata":{"name":"web"}})");
  EXPECT_TRUE(absl::EndsWith(evicted.output,
                             R"({"apiVersion":"v1","code":201,"kind":"Status","metadata":{},)"
                             R"("status":"Success"})"
                             "\n201"))
      << evicted.output;
  EXPECT_EQ(Kubectl("get pod web -o jsonpath={.metadata.deletionGracePeriodSeconds}").output, "30");
  CommandResult missing =
      Curl("POST", "/api/v1/namespaces/default/pods/nope/eviction",
           R"({"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"nope"}})");
  EXPECT_TRUE(absl::EndsWith(missing.output, "404")) << missing.output;
}

TEST_F(KubectlPodsTest, LogsComeFromTheKubelet) {
  const uint16_t kubelet_port = StartKubelet();
  ASSERT_TRUE(absl::EndsWith(Curl("POST", "/api/v1/nodes", NodeJson("node-1", kubelet_port)).output,
                             "201"));
  CreateBoundPod("web", "node-1");
  CommandResult logs = Kubectl("logs web --tail=2");
  EXPECT_EQ(logs.exit_code, 0) << logs.output;
  EXPECT_EQ(logs.output, "line one\nline two\n");

  // Errors as upstream reports them.
  CreateBoundPod("two", "node-1", "  - {name: a, image: nginx}\n  - {name: b, image: nginx}\n");
  CommandResult ambiguous = Curl("GET", "/api/v1/namespaces/default/pods/two/log");
  EXPECT_TRUE(absl::EndsWith(ambiguous.output, "400")) << ambiguous.output;
  EXPECT_TRUE(absl::StrContains(
      ambiguous.output, "a container name must be specified for pod two, choose one of: [a b]"))
      << ambiguous.output;
  CommandResult unknown = Curl("GET", "/api/v1/namespaces/default/pods/two/log?container=c");
  EXPECT_TRUE(absl::StrContains(unknown.output, "container c is not valid for pod two"))
      << unknown.output;
  CommandResult not_at_kubelet = Kubectl("logs two -c a");
  EXPECT_NE(not_at_kubelet.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(not_at_kubelet.output, "NotFound")) << not_at_kubelet.output;
  ASSERT_EQ(Kubectl("apply -f " +
                    WriteFile("pending.yaml", PodYaml("pending", "  - {name: c, image: nginx}\n")))
                .exit_code,
            0);
  CommandResult unscheduled = Kubectl("logs pending");
  EXPECT_NE(unscheduled.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(unscheduled.output, "pod pending does not have a host assigned"))
      << unscheduled.output;
  CommandResult missing = Kubectl("logs nope");
  EXPECT_TRUE(absl::StrContains(missing.output, R"(pods "nope" not found)")) << missing.output;
}

}  // namespace
}  // namespace orch::apiserver::kubectl_e2e
