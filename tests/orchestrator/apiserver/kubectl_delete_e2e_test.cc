// Deletion as kubectl and the orchestrator's components drive it, against orch-apiserver:
// graceful pod deletion finished by the kubelet's precondition delete, finalizers, the
// propagation policy, dry runs and terminating namespaces; kubectl delete waits throughout.
#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/orchestrator/apiserver/kubectl_fixture.h"

namespace orch::apiserver::kubectl_e2e {
namespace {

constexpr const char* kPodPath = "/api/v1/namespaces/default/pods/web";

TEST_F(KubectlTest, DeleteOfABoundPodWaitsForTheKubelet) {
  ASSERT_EQ(Kubectl("apply -f " + WriteFile("pod.yaml", kPod)).exit_code, 0);
  CommandResult bound =
      Curl("POST", absl::StrCat(kPodPath, "/binding"),
           R"({"metadata":{"name":"web"},"target":{"kind":"Node","name":"node-1"}})");
  ASSERT_TRUE(absl::EndsWith(bound.output, "201")) << bound.output;
  const std::string uid = Kubectl("get pod web -o jsonpath={.metadata.uid}").output;

  // kubectl deletes, then waits (a watch on the name) until the object is gone.
  CommandResult deleted;
  std::thread user([&] { deleted = Kubectl("delete pod web --timeout=30s"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Kubectl("get pod web -o jsonpath={.metadata.deletionGracePeriodSeconds}").output, "30");
  EXPECT_FALSE(Kubectl("get pod web -o jsonpath={.metadata.deletionTimestamp}").output.empty());
  // A longer grace period does not replace the pending one; a shorter one does.
  EXPECT_TRUE(absl::EndsWith(
      Curl("DELETE", absl::StrCat(kPodPath, "?gracePeriodSeconds=60")).output, "200"));
  EXPECT_EQ(Kubectl("get pod web -o jsonpath={.metadata.deletionGracePeriodSeconds}").output, "30");
  Curl("DELETE", absl::StrCat(kPodPath, "?gracePeriodSeconds=10"));
  EXPECT_EQ(Kubectl("get pod web -o jsonpath={.metadata.deletionGracePeriodSeconds}").output, "10");
  // The kubelet's final delete carries the uid as a precondition.
  CommandResult wrong_uid =
      Curl("DELETE", kPodPath, R"({"gracePeriodSeconds":0,"preconditions":{"uid":"nope"}})");
  EXPECT_TRUE(absl::EndsWith(wrong_uid.output, "409")) << wrong_uid.output;
  EXPECT_TRUE(absl::StrContains(
      wrong_uid.output,
      absl::StrCat(
          "Operation cannot be fulfilled on pods \\\"web\\\": StorageError: invalid object, "
          "Code: 4, Key: /registry/pods/default/web, ResourceVersion: 0, "
          "AdditionalErrorMsg: Precondition failed: UID in precondition: nope, UID in "
          "object meta: ",
          uid)))
      << wrong_uid.output;
  CommandResult final_delete =
      Curl("DELETE", kPodPath,
           absl::StrCat(R"({"gracePeriodSeconds":0,"preconditions":{"uid":")", uid, R"("}})"));
  EXPECT_TRUE(absl::EndsWith(final_delete.output, "200")) << final_delete.output;
  user.join();
  EXPECT_EQ(deleted.exit_code, 0) << deleted.output;
  EXPECT_TRUE(absl::StrContains(deleted.output, R"(pod "web" deleted)")) << deleted.output;
  EXPECT_NE(Kubectl("get pod web").exit_code, 0);
}

TEST_F(KubectlTest, FinalizersHoldADeletedObjectUntilRemoved) {
  ASSERT_EQ(Kubectl("apply -f " + WriteFile("deploy.yaml", kDeployment)).exit_code, 0);
  ASSERT_EQ(
      Kubectl(
          R"(patch deployment web --type=merge -p '{"metadata":{"finalizers":["example.com/hold"]}}')")
          .exit_code,
      0);
  CommandResult deleted = Kubectl("delete deployment web --wait=false");
  EXPECT_EQ(deleted.exit_code, 0) << deleted.output;
  EXPECT_FALSE(
      Kubectl("get deployment web -o jsonpath={.metadata.deletionTimestamp}").output.empty());
  // A marked object takes no new finalizers.
  CommandResult added = Kubectl(
      R"(patch deployment web --type=merge -p '{"metadata":{"finalizers":["example.com/hold","example.com/more"]}}')");
  EXPECT_NE(added.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(added.output,
                                "no new finalizers can be added if the object is "
                                "being deleted"))
      << added.output;
  // Removing the last finalizer removes the object; kubectl delete (waiting) sees it go.
  CommandResult waiting;
  std::thread user([&] { waiting = Kubectl("delete deployment web --timeout=20s"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(
      Kubectl(
          R"(patch deployment web --type=json -p '[{"op":"remove","path":"/metadata/finalizers"}]')")
          .exit_code,
      0);
  user.join();
  EXPECT_EQ(waiting.exit_code, 0) << waiting.output;
  EXPECT_NE(Kubectl("get deployment web").exit_code, 0);

  // --cascade=orphan leaves the garbage collector's "orphan" finalizer.
  ASSERT_EQ(Kubectl("apply -f " + WriteFile("deploy.yaml", kDeployment)).exit_code, 0);
  EXPECT_EQ(Kubectl("delete deployment web --cascade=orphan --wait=false").exit_code, 0);
  EXPECT_EQ(Kubectl("get deployment web -o jsonpath={.metadata.finalizers}").output,
            R"(["orphan"])");
}

TEST_F(KubectlTest, DryRunChangesNothing) {
  ASSERT_EQ(Kubectl("apply -f " + WriteFile("pod.yaml", kPod)).exit_code, 0);
  CommandResult deleted = Kubectl("delete pod web --dry-run=server");
  EXPECT_EQ(deleted.exit_code, 0) << deleted.output;
  EXPECT_TRUE(absl::StrContains(deleted.output, "(server dry run)")) << deleted.output;
  EXPECT_EQ(Kubectl("get pod web -o name").output, "pod/web\n");
  CommandResult created = Kubectl("create namespace ghost --dry-run=server");
  EXPECT_EQ(created.exit_code, 0) << created.output;
  EXPECT_NE(Kubectl("get namespace ghost").exit_code, 0);
  CommandResult taken = Kubectl("create namespace default --dry-run=server");
  EXPECT_NE(taken.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(taken.output, "AlreadyExists")) << taken.output;
  CommandResult invalid = Curl("DELETE", absl::StrCat(kPodPath, "?dryRun=Some"));
  EXPECT_TRUE(absl::EndsWith(invalid.output, "422")) << invalid.output;
}

TEST_F(KubectlTest, NamespaceTerminatesUntilFinalized) {
  ASSERT_EQ(Kubectl("create namespace demo").exit_code, 0);
  EXPECT_EQ(Kubectl("get namespace demo -o jsonpath={.spec.finalizers}").output,
            R"(["kubernetes"])");
  CommandResult deleted = Kubectl("delete namespace demo --wait=false");
  EXPECT_EQ(deleted.exit_code, 0) << deleted.output;
  EXPECT_EQ(Kubectl("get namespace demo -o jsonpath={.status.phase}").output, "Terminating");
  CommandResult refused = Kubectl("apply -n demo -f " + WriteFile("pod.yaml", kPod));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(refused.output,
                                R"(pods "web" is forbidden: unable to create new content in )"
                                R"(namespace demo because it is being terminated)"))
      << refused.output;
  CommandResult again = Curl("DELETE", "/api/v1/namespaces/demo");
  EXPECT_TRUE(absl::EndsWith(again.output, "409")) << again.output;

  // The namespace controller's last step: finalize; kubectl delete waits for it.
  CommandResult waiting;
  std::thread user([&] { waiting = Kubectl("delete namespace demo --timeout=20s"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CommandResult finalized = Curl(
      "PUT", "/api/v1/namespaces/demo/finalize",
      R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"demo"},"spec":{"finalizers":[]}})");
  EXPECT_TRUE(absl::EndsWith(finalized.output, "200")) << finalized.output;
  user.join();
  EXPECT_NE(Kubectl("get namespace demo").exit_code, 0);
  EXPECT_TRUE(absl::StrContains(Curl("GET", "/api/v1/namespaces/demo").output, "404"));
}

}  // namespace
}  // namespace orch::apiserver::kubectl_e2e
