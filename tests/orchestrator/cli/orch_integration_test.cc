// The built orch binary against an in-process API server: what a user types and sees.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "orchestrator/api/json.h"
#include "tests/orchestrator/harness/in_process_apiserver.h"

namespace {

namespace fs = std::filesystem;
using orch::api::Json;

struct Result {
  int exit_code = -1;
  std::string out;  // stdout and stderr
};

class OrchTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<orch::testing::InProcessApiServer>> server =
        orch::testing::InProcessApiServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    directory_ =
        new fs::path(fs::temp_directory_path() / ("orch-cli-test-" + std::to_string(getpid())));
    fs::create_directories(*directory_);
  }
  static void TearDownTestSuite() {
    delete server_;
    fs::remove_all(*directory_);
    delete directory_;
  }

  static Result Orch(const std::string& arguments) {
    const std::string command =
        std::string(ORCH_BINARY) + " --server " + server_->url() + " " + arguments + " 2>&1";
    Result result;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return result;
    std::array<char, 4096> buffer{};
    size_t read = 0;
    while ((read = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
      result.out.append(buffer.data(), read);
    const int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
  }

  static Json OrchJson(const std::string& arguments) {
    Result result = Orch(arguments + " -o json");
    EXPECT_EQ(result.exit_code, 0) << result.out;
    return Json::parse(result.out, nullptr, false);
  }

  static std::string WriteFile(const std::string& name, const std::string& text) {
    const fs::path path = *directory_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path.string();
  }

  static inline orch::testing::InProcessApiServer* server_ = nullptr;
  static inline fs::path* directory_ = nullptr;
};

constexpr const char* kDeploymentV1 = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
    tier: front
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: main
        image: sh
        env:
        - name: A
          value: "1"
      - name: side
        image: sh
)";

constexpr const char* kDeploymentV2 = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: main
        image: sh
)";

TEST_F(OrchTest, VersionShowsClientAndServer) {
  Result result = Orch("version");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "Client Version: v1.32.4-orch\nServer Version: v1.32.4\n");
  result = Orch("cluster-info");
  EXPECT_EQ(result.out, "Kubernetes control plane is running at " + server_->url() + "\n");
}

TEST_F(OrchTest, CreateNamespaceThenGetInEveryFormat) {
  Result created = Orch("create namespace demo");
  EXPECT_EQ(created.out, "namespace/demo created\n");
  Result table = Orch("get ns demo");
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_EQ(table.out.substr(0, table.out.find('\n')), "NAME   STATUS   AGE");
  EXPECT_EQ(table.out.substr(table.out.find('\n') + 1, 18), "demo   Active   0s");
  EXPECT_EQ(Orch("get namespace/demo -o name").out, "namespace/demo\n");
  EXPECT_EQ(OrchJson("get ns demo")["kind"], "Namespace");
  EXPECT_NE(Orch("get ns demo -o yaml").out.find("kind: Namespace\n"), std::string::npos);
  Json list = OrchJson("get namespaces");
  EXPECT_EQ(list["kind"], "List");
  Result missing = Orch("get ns nope");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.out, "Error from server (NotFound): namespaces \"nope\" not found\n");
  Result empty = Orch("get pods -n demo");
  EXPECT_EQ(empty.out, "No resources found in demo namespace.\n");
  Result unknown = Orch("get services");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(unknown.out, "error: the server doesn't have a resource type \"services\"\n");
}

TEST_F(OrchTest, ApplyCreatesThenUpdatesAndRemovesFieldsDroppedFromTheFile) {
  const std::string v1 = WriteFile("v1/web.yaml", kDeploymentV1);
  EXPECT_EQ(Orch("apply -f " + v1).out, "deployment.apps/web created\n");
  EXPECT_EQ(Orch("apply -f " + v1).out, "deployment.apps/web unchanged\n");
  const std::string v2 = WriteFile("v2/web.yaml", kDeploymentV2);
  // A directory holds the manifests, as kubectl apply -f DIR reads them.
  EXPECT_EQ(Orch("apply -f " + fs::path(v2).parent_path().string()).out,
            "deployment.apps/web configured\n");
  Json web = OrchJson("get deployment web");
  EXPECT_FALSE(web["metadata"]["labels"].contains("tier")) << web.dump();
  ASSERT_EQ(web["spec"]["template"]["spec"]["containers"].size(), 1u);
  EXPECT_FALSE(web["spec"]["template"]["spec"]["containers"][0].contains("env"));
  EXPECT_TRUE(
      web["metadata"]["annotations"].contains("kubectl.kubernetes.io/last-applied-configuration"));

  EXPECT_EQ(Orch("scale deploy web --replicas=5").out, "deployment.apps/web scaled\n");
  EXPECT_EQ(OrchJson("get deploy web")["spec"]["replicas"], 5);

  Result wide = Orch("get deploy -o wide");
  EXPECT_EQ(wide.out.substr(0, wide.out.find('\n')),
            "NAME   READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES   SELECTOR");
  Result several = Orch("get deploy,rs");
  EXPECT_NE(several.out.find("deployment.apps/web"), std::string::npos) << several.out;

  Result described = Orch("describe deployment web");
  EXPECT_EQ(described.exit_code, 0);
  EXPECT_NE(described.out.find("Name:                   web\n"), std::string::npos)
      << described.out;
  EXPECT_NE(described.out.find("Replicas:               5 desired | 0 updated"), std::string::npos);
  EXPECT_NE(
      described.out.find(
          "OldReplicaSets:     <none>\nNewReplicaSet:      <none>\nEvents:             <none>\n"),
      std::string::npos)
      << described.out;

  EXPECT_EQ(Orch("delete -f " + v2).out, "deployment.apps \"web\" deleted\n");
  EXPECT_EQ(Orch("get deploy web").exit_code, 1);
}

TEST_F(OrchTest, DescribeAndDeletePods) {
  const std::string pod = WriteFile("pod.yaml", R"(apiVersion: v1
kind: Pod
metadata:
  name: p1
  labels: {app: p}
spec:
  containers:
  - name: c
    image: sh
    ports: [{containerPort: 80}]
)");
  EXPECT_EQ(Orch("apply -f " + pod).out, "pod/p1 created\n");
  Result described = Orch("describe pod p1");
  EXPECT_NE(described.out.find("Containers:\n  c:\n"), std::string::npos) << described.out;
  EXPECT_NE(described.out.find("    Port:          80/TCP\n"), std::string::npos) << described.out;
  EXPECT_NE(described.out.find("Events:            <none>"), std::string::npos) << described.out;
  Result deleted = Orch("delete pod p1 --wait");
  EXPECT_EQ(deleted.exit_code, 0);
  EXPECT_EQ(deleted.out, "pod \"p1\" deleted\n");
  Result again = Orch("delete pod p1");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.out, "Error from server (NotFound): pods \"p1\" not found\n");
  EXPECT_EQ(Orch("delete pod p1 --ignore-not-found").exit_code, 0);
}

TEST_F(OrchTest, CordonAndUncordon) {
  const std::string node =
      WriteFile("node.yaml", "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n");
  EXPECT_EQ(Orch("apply -f " + node).out, "node/n1 created\n");
  EXPECT_EQ(Orch("cordon n1").out, "node/n1 cordoned\n");
  EXPECT_EQ(OrchJson("get node n1")["spec"]["unschedulable"], true);
  EXPECT_EQ(Orch("cordon n1").out, "node/n1 already cordoned\n");
  EXPECT_EQ(Orch("uncordon n1").out, "node/n1 uncordoned\n");
  EXPECT_FALSE(OrchJson("get node n1")["spec"].contains("unschedulable"));
  EXPECT_EQ(Orch("cordon nope").out, "Error from server (NotFound): nodes \"nope\" not found\n");
}

TEST_F(OrchTest, RolloutHistoryAndUndoFromReplicaSets) {
  std::string manifest = kDeploymentV2;
  manifest.replace(manifest.find("name: web"), 9, "name: roll");
  manifest.replace(manifest.find("image: sh"), 9, "image: sh:2");
  EXPECT_EQ(Orch("apply -f " + WriteFile("roll.yaml", manifest)).out,
            "deployment.apps/roll created\n");
  const Json deployment = OrchJson("get deploy roll");
  const std::string uid = deployment["metadata"]["uid"];
  for (int revision : {1, 2}) {
    Json replica_set = {
        {"apiVersion", "apps/v1"},
        {"kind", "ReplicaSet"},
        {"metadata",
         {{"name", "roll-r" + std::to_string(revision)},
          {"annotations",
           {{"deployment.kubernetes.io/revision", std::to_string(revision)},
            {"kubernetes.io/change-cause", "image sh:" + std::to_string(revision)}}},
          {"ownerReferences",
           {{{"apiVersion", "apps/v1"},
             {"kind", "Deployment"},
             {"name", "roll"},
             {"uid", uid},
             {"controller", true}}}}}},
        {"spec",
         {{"replicas", 0},
          {"selector", {{"matchLabels", {{"app", "web"}}}}},
          {"template",
           {{"metadata",
             {{"labels", {{"app", "web"}, {"pod-template-hash", "h" + std::to_string(revision)}}}}},
            {"spec",
             {{"containers",
               {{{"name", "main"}, {"image", "sh:" + std::to_string(revision)}}}}}}}}}}};
    const std::string file =
        WriteFile("rs" + std::to_string(revision) + ".json", replica_set.dump());
    EXPECT_EQ(Orch("apply -f " + file).exit_code, 0);
  }
  EXPECT_EQ(Orch("rollout history deployment/roll").out,
            "deployment.apps/roll \nREVISION  CHANGE-CAUSE\n1         image sh:1\n2         image "
            "sh:2\n\n");
  EXPECT_EQ(Orch("rollout undo deployment roll").out, "deployment.apps/roll rolled back\n");
  const Json rolled_back = OrchJson("get deploy roll");
  EXPECT_EQ(rolled_back["spec"]["template"]["spec"]["containers"][0]["image"], "sh:1");
  EXPECT_FALSE(rolled_back["spec"]["template"]["metadata"]["labels"].contains("pod-template-hash"));
  EXPECT_EQ(rolled_back["metadata"]["annotations"]["kubernetes.io/change-cause"], "image sh:1");
  EXPECT_EQ(
      Orch("rollout undo deployment/roll --to-revision=1").out,
      "deployment.apps/roll skipped rollback (current template already matches revision 1)\n");
  EXPECT_EQ(Orch("rollout undo deployment/roll --to-revision=2").out,
            "deployment.apps/roll rolled back\n");
  Result missing = Orch("rollout undo deployment/roll --to-revision=9");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.out, "error: unable to find specified revision 9 in history\n");
  // No controller runs here, so the spec update is never observed.
  EXPECT_EQ(Orch("rollout status deployment/roll --watch=false").out,
            "Waiting for deployment spec update to be observed...\n");
}

}  // namespace
