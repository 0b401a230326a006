// The preinstalled kubectl (v1.32) against orch-apiserver with an embedded raftkv store:
// discovery, create namespace, apply, get, watch, scale and delete as a user runs them; curl
// for what kubectl does not send (pods/binding, deletecollection, PUT of /scale).
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

extern char** environ;

namespace {

constexpr const char* kKubectl = "/usr/bin/kubectl";

uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CommandResult RunShell(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  size_t read = 0;
  while ((read = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), read);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

class KubectlTest : public testing::Test {
 protected:
  void SetUp() override {
    if (access(kKubectl, X_OK) != 0) GTEST_SKIP() << "no kubectl at " << kKubectl;
    directory_ = std::filesystem::temp_directory_path() /
                 absl::StrCat("orch-apiserver-e2e-", getpid(), "-", FreePort());
    std::filesystem::create_directories(directory_);
    port_ = FreePort();
    // A peer port of its own: the embedded store's default (2380) may be taken.
    const std::string store = absl::StrCat("embedded://", (directory_ / "store").string(),
                                           "?peer=http://127.0.0.1:", FreePort());
    const std::string listen = absl::StrCat("127.0.0.1:", port_);
    std::vector<std::string> args = {ORCH_APISERVER_BINARY, "--store", store, "--listen", listen};
    std::vector<char*> argv;
    for (std::string& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawn(&server_pid_, argv[0], nullptr, nullptr, argv.data(), environ), 0);
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (Kubectl("version").exit_code == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "orch-apiserver did not answer on " << listen;
  }

  void TearDown() override {
    if (server_pid_ > 0) {
      kill(server_pid_, SIGTERM);
      int status = 0;
      waitpid(server_pid_, &status, 0);
    }
    if (!directory_.empty()) std::filesystem::remove_all(directory_);
  }

  // kubectl with a fresh HOME (no discovery cache shared between tests).
  CommandResult Kubectl(const std::string& arguments) {
    return RunShell(absl::StrCat("HOME=", directory_.string(), " ", kKubectl,
                                 " --server=http://127.0.0.1:", port_, " ", arguments));
  }

  // curl with a JSON body: the output is the response body, then the HTTP status code.
  CommandResult Curl(const std::string& method, const std::string& path,
                     const std::string& body = "") {
    std::string command = absl::StrCat("curl -s -w '\\n%{http_code}' -X ", method,
                                       " 'http://127.0.0.1:", port_, path, "'");
    if (!body.empty()) {
      absl::StrAppend(&command, " -H 'Content-Type: application/json' -d '", body, "'");
    }
    return RunShell(command);
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = (directory_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  std::filesystem::path directory_;
  uint16_t port_ = 0;
  pid_t server_pid_ = -1;
};

constexpr const char* kPod = R"(apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: nginx
    image: nginx
)";

TEST_F(KubectlTest, VersionReportsTheServer) {
  CommandResult version = Kubectl("version");
  EXPECT_EQ(version.exit_code, 0) << version.output;
  EXPECT_TRUE(absl::StrContains(version.output, "Server Version: v1.32.")) << version.output;
}

TEST_F(KubectlTest, CreatesAndListsNamespaces) {
  CommandResult create = Kubectl("create namespace demo");
  EXPECT_EQ(create.exit_code, 0) << create.output;
  EXPECT_TRUE(absl::StrContains(create.output, "namespace/demo created")) << create.output;
  CommandResult again = Kubectl("create namespace demo");
  EXPECT_NE(again.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(again.output, "AlreadyExists")) << again.output;
  CommandResult list = Kubectl("get namespaces");
  EXPECT_EQ(list.exit_code, 0) << list.output;
  EXPECT_TRUE(absl::StrContains(list.output, "STATUS")) << list.output;  // a server-side Table
  EXPECT_TRUE(absl::StrContains(list.output, "demo")) << list.output;
  EXPECT_TRUE(absl::StrContains(list.output, "default")) << list.output;
}

TEST_F(KubectlTest, AppliesGetsAndDeletesAPod) {
  const std::string manifest = WriteFile("pod.yaml", kPod);
  CommandResult apply = Kubectl("apply -f " + manifest);
  EXPECT_EQ(apply.exit_code, 0) << apply.output;
  EXPECT_TRUE(absl::StrContains(apply.output, "pod/web created")) << apply.output;
  CommandResult unchanged = Kubectl("apply -f " + manifest);
  EXPECT_TRUE(absl::StrContains(unchanged.output, "pod/web unchanged")) << unchanged.output;

  CommandResult json = Kubectl("get pods -o json");
  EXPECT_EQ(json.exit_code, 0) << json.output;
  EXPECT_TRUE(absl::StrContains(json.output, R"("name": "web")")) << json.output;
  EXPECT_TRUE(absl::StrContains(json.output, R"("uid": )")) << json.output;
  CommandResult table = Kubectl("get pods -l app=web");
  EXPECT_TRUE(absl::StrContains(table.output, "Pending")) << table.output;
  CommandResult none = Kubectl("get pods -l app=other");
  EXPECT_TRUE(absl::StrContains(none.output, "No resources found")) << none.output;

  CommandResult label = Kubectl("label pod web tier=front");
  EXPECT_EQ(label.exit_code, 0) << label.output;
  CommandResult deleted = Kubectl("delete pod web");
  EXPECT_EQ(deleted.exit_code, 0) << deleted.output;
  CommandResult missing = Kubectl("get pod web");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(missing.output, R"(pods "web" not found)")) << missing.output;
}

TEST_F(KubectlTest, RejectsAnInvalidPod) {
  const std::string manifest = WriteFile("bad.yaml", R"(apiVersion: v1
kind: Pod
metadata:
  name: bad
spec:
  containers: []
)");
  CommandResult apply = Kubectl("apply -f " + manifest);
  EXPECT_NE(apply.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(apply.output, "is invalid")) << apply.output;
}

TEST_F(KubectlTest, WatchSeesLaterChanges) {
  const std::string manifest = WriteFile("pod.yaml", kPod);
  const std::string watch_output = (directory_ / "watch.out").string();
  // -w prints the initial list, then each change, until the request times out.
  std::thread watcher([&] {
    CommandResult watch = Kubectl("get pods -w --request-timeout=4s");
    std::ofstream(watch_output) << watch.output;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Kubectl("apply -f " + manifest).exit_code, 0);
  watcher.join();
  std::ifstream in(watch_output);
  std::string output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(absl::StrContains(output, "web")) << output;
}

constexpr const char* kDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx
)";

constexpr const char* kScalePath = "/apis/apps/v1/namespaces/default/deployments/web/scale";

TEST_F(KubectlTest, ScalesADeployment) {
  ASSERT_EQ(Kubectl("apply -f " + WriteFile("deploy.yaml", kDeployment)).exit_code, 0);
  // kubectl 1.32 sends a merge patch to /scale.
  CommandResult scale = Kubectl("scale deployment web --replicas=3");
  EXPECT_EQ(scale.exit_code, 0) << scale.output;
  EXPECT_TRUE(absl::StrContains(scale.output, "deployment.apps/web scaled")) << scale.output;
  CommandResult replicas = Kubectl("get deployment web -o jsonpath={.spec.replicas}");
  EXPECT_EQ(replicas.output, "3");

  CommandResult read = Kubectl(absl::StrCat("get --raw ", kScalePath));
  EXPECT_EQ(read.exit_code, 0) << read.output;
  EXPECT_TRUE(absl::StrContains(read.output, R"("kind":"Scale")")) << read.output;
  EXPECT_TRUE(absl::StrContains(read.output, R"("selector":"app=web")")) << read.output;

  // PUT with a stale resourceVersion is refused; with none it applies.
  CommandResult stale =
      Curl("PUT", kScalePath,
           R"({"metadata":{"name":"web","resourceVersion":"1"},"spec":{"replicas":5}})");
  EXPECT_TRUE(absl::EndsWith(stale.output, "409")) << stale.output;
  CommandResult put =
      Curl("PUT", kScalePath, R"({"metadata":{"name":"web"},"spec":{"replicas":5}})");
  EXPECT_TRUE(absl::EndsWith(put.output, "200")) << put.output;
  EXPECT_EQ(Kubectl("get deployment web -o jsonpath={.spec.replicas}").output, "5");
  CommandResult negative =
      Curl("PUT", kScalePath, R"({"metadata":{"name":"web"},"spec":{"replicas":-1}})");
  EXPECT_TRUE(absl::EndsWith(negative.output, "422")) << negative.output;
}

TEST_F(KubectlTest, BindsAPodOnce) {
  ASSERT_EQ(Kubectl("apply -f " + WriteFile("pod.yaml", kPod)).exit_code, 0);
  const std::string binding_path = "/api/v1/namespaces/default/pods/web/binding";
  CommandResult bound = Curl("POST", binding_path,
                             R"({"apiVersion":"v1","kind":"Binding","metadata":{"name":"web"},)"
                             R"("target":{"apiVersion":"v1","kind":"Node","name":"node-1"}})");
  EXPECT_TRUE(absl::EndsWith(bound.output, "201")) << bound.output;
  EXPECT_TRUE(absl::StrContains(bound.output, R"("status":"Success")")) << bound.output;
  EXPECT_EQ(Kubectl("get pod web -o jsonpath={.spec.nodeName}").output, "node-1");

  CommandResult again =
      Curl("POST", binding_path, R"({"metadata":{"name":"web"},"target":{"name":"node-2"}})");
  EXPECT_TRUE(absl::EndsWith(again.output, "409")) << again.output;
  EXPECT_TRUE(absl::StrContains(again.output, R"(pod web is already assigned to node \"node-1\")"))
      << again.output;
  EXPECT_EQ(Kubectl("get pod web -o jsonpath={.spec.nodeName}").output, "node-1");
}

TEST_F(KubectlTest, DeletesPodsBySelector) {
  const std::string manifest = WriteFile("pods.yaml", R"(apiVersion: v1
kind: Pod
metadata: {name: a, labels: {app: x}}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, labels: {app: x}}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: keep, labels: {app: other}}
spec: {containers: [{name: c, image: nginx}]}
)");
  ASSERT_EQ(Kubectl("apply -f " + manifest).exit_code, 0);
  // kubectl lists by the selector, then deletes each object.
  CommandResult deleted = Kubectl("delete pods -l app=x");
  EXPECT_EQ(deleted.exit_code, 0) << deleted.output;
  EXPECT_EQ(Kubectl("get pods -o name").output, "pod/keep\n");

  // deletecollection: one DELETE on the collection answers the deleted objects.
  ASSERT_EQ(Kubectl("apply -f " + manifest).exit_code, 0);
  CommandResult collection =
      Curl("DELETE", "/api/v1/namespaces/default/pods?labelSelector=app%3Dx");
  EXPECT_TRUE(absl::EndsWith(collection.output, "200")) << collection.output;
  EXPECT_TRUE(absl::StrContains(collection.output, R"("kind":"PodList")")) << collection.output;
  EXPECT_TRUE(absl::StrContains(collection.output, R"("name":"a")")) << collection.output;
  EXPECT_TRUE(absl::StrContains(collection.output, R"("name":"b")")) << collection.output;
  EXPECT_EQ(Kubectl("get pods -o name").output, "pod/keep\n");
  CommandResult by_field =
      Curl("DELETE", "/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dkeep");
  EXPECT_TRUE(absl::StrContains(by_field.output, R"("name":"keep")")) << by_field.output;
  EXPECT_TRUE(absl::StrContains(Kubectl("get pods").output, "No resources found"));
  CommandResult namespaces = Curl("DELETE", "/api/v1/namespaces");
  EXPECT_TRUE(absl::EndsWith(namespaces.output, "405")) << namespaces.output;
}

}  // namespace
