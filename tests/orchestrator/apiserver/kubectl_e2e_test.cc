// The preinstalled kubectl (v1.32) against orch-apiserver with an embedded raftkv store:
// discovery, create namespace, apply, get, watch, scale and delete as a user runs them; curl
// for what kubectl does not send (pods/binding, deletecollection, PUT of /scale).
#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "tests/orchestrator/apiserver/kubectl_fixture.h"

namespace orch::apiserver::kubectl_e2e {
namespace {

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
}  // namespace orch::apiserver::kubectl_e2e

namespace orch::apiserver::kubectl_e2e {
namespace {

constexpr const char* kAppliedDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: ssa
  labels: {team: a}
spec:
  replicas: 2
  selector:
    matchLabels: {app: ssa}
  template:
    metadata:
      labels: {app: ssa}
    spec:
      containers:
      - name: web
        image: http-server
)";

TEST_F(KubectlTest, ServerSideApplyOwnsFieldsAndReportsConflicts) {
  const std::string manifest = WriteFile("ssa.yaml", kAppliedDeployment);
  CommandResult created = Kubectl("apply --server-side -f " + manifest);
  ASSERT_EQ(created.exit_code, 0) << created.output;
  EXPECT_TRUE(absl::StrContains(created.output, "serverside-applied")) << created.output;
  CommandResult owners = Kubectl("get deploy ssa --show-managed-fields -o yaml");
  EXPECT_TRUE(absl::StrContains(owners.output, "operation: Apply")) << owners.output;

  // Another manager takes spec.replicas; applying a different value then conflicts.
  ASSERT_EQ(Kubectl("scale deploy ssa --replicas 5").exit_code, 0);
  const std::string changed = WriteFile(
      "ssa2.yaml", absl::StrReplaceAll(kAppliedDeployment, {{"replicas: 2", "replicas: 3"},
                                                            {"  labels: {team: a}\n", ""}}));
  CommandResult conflict = Kubectl("apply --server-side -f " + changed);
  EXPECT_NE(conflict.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(conflict.output, "Apply failed with 1 conflict"))
      << conflict.output;
  EXPECT_TRUE(absl::StrContains(conflict.output, ".spec.replicas")) << conflict.output;

  CommandResult forced = Kubectl("apply --server-side --force-conflicts -f " + changed);
  ASSERT_EQ(forced.exit_code, 0) << forced.output;
  CommandResult got = Kubectl("get deploy ssa -o jsonpath={.spec.replicas}/{.metadata.labels}");
  EXPECT_EQ(got.output, "3/") << "the label the manager stopped applying is gone";
}

}  // namespace
}  // namespace orch::apiserver::kubectl_e2e

namespace orch::apiserver::kubectl_e2e {
namespace {

TEST_F(KubectlTest, ListsApiResourcesAndDeletesFromAFile) {
  CommandResult resources = Kubectl("api-resources");
  ASSERT_EQ(resources.exit_code, 0) << resources.output;
  for (const char* expected :
       {"pods", "deployments", "replicasets", "nodes", "namespaces", "events", "leases"})
    EXPECT_TRUE(absl::StrContains(resources.output, expected)) << expected;

  const std::string manifest = WriteFile("deleted.yaml", kPod);
  ASSERT_EQ(Kubectl("apply -f " + manifest).exit_code, 0);
  CommandResult yaml = Kubectl("get pod web -o yaml");
  EXPECT_TRUE(absl::StrContains(yaml.output, "kind: Pod")) << yaml.output;
  CommandResult deleted = Kubectl("delete -f " + manifest);
  EXPECT_EQ(deleted.exit_code, 0) << deleted.output;
  EXPECT_TRUE(absl::StrContains(deleted.output, "pod \"web\" deleted")) << deleted.output;
  EXPECT_NE(Kubectl("get pod web").exit_code, 0);
}

}  // namespace
}  // namespace orch::apiserver::kubectl_e2e
