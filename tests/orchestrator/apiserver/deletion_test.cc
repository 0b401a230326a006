// What DELETE does to an object (orchestrator/apiserver/deletion.h), against Kubernetes'
// registry behaviour: options, preconditions, graceful pods, finalizers, propagation policy
// and namespaces.
#include "orchestrator/apiserver/deletion.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "orchestrator/api/object.h"

namespace orch::apiserver {
namespace {

using api::Json;
using Action = DeletionPlan::Action;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

Json Pod(std::string_view node, std::string_view phase = "Running") {
  Json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", "p"}, {"uid", "u1"}, {"resourceVersion", "7"}}},
              {"spec", {{"terminationGracePeriodSeconds", 30}}},
              {"status", {{"phase", phase}}}};
  if (!node.empty()) pod["spec"]["nodeName"] = node;
  return pod;
}

DeleteOptions Grace(int64_t seconds) {
  DeleteOptions options;
  options.grace_period_seconds = seconds;
  return options;
}

TEST(DeleteOptionsTest, DecodesTheBodyAndRefusesWrongTypes) {
  absl::StatusOr<DeleteOptions> options = DeleteOptionsFromJson(Json::parse(
      R"({"kind":"DeleteOptions","gracePeriodSeconds":5,"propagationPolicy":"Foreground",
          "preconditions":{"uid":"u1","resourceVersion":"7"},"dryRun":["All"]})"));
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->grace_period_seconds, 5);
  EXPECT_EQ(options->propagation_policy, "Foreground");
  EXPECT_EQ(options->precondition_uid, "u1");
  EXPECT_EQ(options->precondition_resource_version, "7");
  EXPECT_TRUE(options->IsDryRun());
  EXPECT_FALSE(DeleteOptionsFromJson(Json::parse(R"({"gracePeriodSeconds":"5"})")).ok());
  EXPECT_FALSE(DeleteOptionsFromJson(Json::parse(R"({"orphanDependents":1})")).ok());
}

TEST(DeleteOptionsTest, ReadsTheQuery) {
  absl::StatusOr<DeleteOptions> options = DeleteOptionsFromQuery([](std::string_view name) {
    if (name == "gracePeriodSeconds") return std::string("0");
    if (name == "orphanDependents") return std::string("true");
    return std::string();
  });
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->grace_period_seconds, 0);
  EXPECT_EQ(options->orphan_dependents, true);
  EXPECT_FALSE(DeleteOptionsFromQuery([](std::string_view name) {
                 return std::string(name == "gracePeriodSeconds" ? "soon" : "");
               }).ok());
}

TEST(DeleteOptionsTest, ValidatesAsUpstream) {
  DeleteOptions both;
  both.orphan_dependents = true;
  both.propagation_policy = "Orphan";
  api::FieldErrors errors = ValidateDeleteOptions(both);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].ToString(),
            "propagationPolicy: Invalid value: \"Orphan\": orphanDependents and "
            "deletionPropagation cannot be both set");
  DeleteOptions unknown;
  unknown.propagation_policy = "Sideways";
  unknown.dry_run = {"Some"};
  EXPECT_EQ(ValidateDeleteOptions(unknown).size(), 2u);
}

TEST(PreconditionTest, NamesBothValues) {
  DeleteOptions options;
  options.precondition_uid = "other";
  EXPECT_EQ(PreconditionFailure(options, Pod("n")),
            "Precondition failed: UID in precondition: other, UID in object meta: u1");
  options.precondition_uid = "u1";
  options.precondition_resource_version = "3";
  EXPECT_EQ(PreconditionFailure(options, Pod("n")),
            "Precondition failed: ResourceVersion in precondition: 3, ResourceVersion in object "
            "meta: 7");
  options.precondition_resource_version = "7";
  EXPECT_EQ(PreconditionFailure(options, Pod("n")), "");
}

TEST(PlanDeletionTest, BoundPodGetsItsGracePeriod) {
  DeletionPlan plan = PlanDeletion(api::Kind::kPod, Pod("n"), {}, kNow);
  ASSERT_EQ(plan.action, Action::kUpdate);
  EXPECT_EQ(api::TimestampAt(plan.object, {"metadata", "deletionTimestamp"}),
            kNow + absl::Seconds(30));
  EXPECT_EQ(plan.object["metadata"]["deletionGracePeriodSeconds"], 30);

  DeletionPlan requested = PlanDeletion(api::Kind::kPod, Pod("n"), Grace(5), kNow);
  EXPECT_EQ(requested.object["metadata"]["deletionGracePeriodSeconds"], 5);
}

TEST(PlanDeletionTest, UnboundTerminalOrZeroGracePodGoesAtOnce) {
  EXPECT_EQ(PlanDeletion(api::Kind::kPod, Pod(""), {}, kNow).action, Action::kRemove);
  EXPECT_EQ(PlanDeletion(api::Kind::kPod, Pod("n", "Succeeded"), {}, kNow).action, Action::kRemove);
  EXPECT_EQ(PlanDeletion(api::Kind::kPod, Pod("n"), Grace(0), kNow).action, Action::kRemove);
}

TEST(PlanDeletionTest, SecondDeleteMayShortenButNeverLengthen) {
  Json pending = PlanDeletion(api::Kind::kPod, Pod("n"), {}, kNow).object;
  EXPECT_EQ(PlanDeletion(api::Kind::kPod, pending, {}, kNow).action, Action::kPending);
  EXPECT_EQ(PlanDeletion(api::Kind::kPod, pending, Grace(60), kNow).action, Action::kPending);
  DeletionPlan shorter = PlanDeletion(api::Kind::kPod, pending, Grace(10), kNow + absl::Seconds(3));
  ASSERT_EQ(shorter.action, Action::kUpdate);
  // The deadline moves by the difference, from the original start.
  EXPECT_EQ(api::TimestampAt(shorter.object, {"metadata", "deletionTimestamp"}),
            kNow + absl::Seconds(10));
  EXPECT_EQ(shorter.object["metadata"]["deletionGracePeriodSeconds"], 10);
  // The kubelet's final delete (grace 0) removes it.
  EXPECT_EQ(PlanDeletion(api::Kind::kPod, pending, Grace(0), kNow).action, Action::kRemove);
}

TEST(PlanDeletionTest, FinalizersKeepTheObjectMarked) {
  Json deployment = {{"kind", "Deployment"},
                     {"metadata", {{"name", "d"}, {"generation", 2}, {"finalizers", {"x/y"}}}}};
  DeletionPlan plan = PlanDeletion(api::Kind::kDeployment, deployment, {}, kNow);
  ASSERT_EQ(plan.action, Action::kUpdate);
  EXPECT_EQ(plan.object["metadata"]["deletionTimestamp"], api::FormatTimestamp(kNow));
  EXPECT_EQ(plan.object["metadata"]["deletionGracePeriodSeconds"], 0);
  EXPECT_EQ(plan.object["metadata"]["generation"], 3);
  // Deleting again changes nothing.
  EXPECT_EQ(PlanDeletion(api::Kind::kDeployment, plan.object, {}, kNow + absl::Seconds(5)).action,
            Action::kPending);
  // A pod with a finalizer and grace 0 is marked, not removed.
  Json pod = Pod("n");
  pod["metadata"]["finalizers"] = {"x/y"};
  EXPECT_EQ(PlanDeletion(api::Kind::kPod, pod, Grace(0), kNow).action, Action::kUpdate);
}

TEST(PlanDeletionTest, PropagationPolicyAddsGarbageCollectorFinalizers) {
  Json rs = {{"kind", "ReplicaSet"}, {"metadata", {{"name", "r"}}}};
  DeleteOptions orphan;
  orphan.propagation_policy = "Orphan";
  DeletionPlan orphaned = PlanDeletion(api::Kind::kReplicaSet, rs, orphan, kNow);
  ASSERT_EQ(orphaned.action, Action::kUpdate);
  EXPECT_EQ(orphaned.object["metadata"]["finalizers"], Json::array({"orphan"}));
  DeleteOptions foreground;
  foreground.propagation_policy = "Foreground";
  EXPECT_EQ(
      PlanDeletion(api::Kind::kReplicaSet, rs, foreground, kNow).object["metadata"]["finalizers"],
      Json::array({"foregroundDeletion"}));
  DeleteOptions legacy;
  legacy.orphan_dependents = true;
  EXPECT_EQ(PlanDeletion(api::Kind::kReplicaSet, rs, legacy, kNow).object["metadata"]["finalizers"],
            Json::array({"orphan"}));
  DeleteOptions background;
  background.propagation_policy = "Background";
  EXPECT_EQ(PlanDeletion(api::Kind::kReplicaSet, rs, background, kNow).action, Action::kRemove);
  EXPECT_EQ(PlanDeletion(api::Kind::kReplicaSet, rs, {}, kNow).action, Action::kRemove);
}

TEST(PlanDeletionTest, NamespaceTerminatesUntilFinalized) {
  Json ns = {{"kind", "Namespace"},
             {"metadata", {{"name", "demo"}}},
             {"spec", {{"finalizers", {"kubernetes"}}}},
             {"status", {{"phase", "Active"}}}};
  DeletionPlan plan = PlanDeletion(api::Kind::kNamespace, ns, {}, kNow);
  ASSERT_EQ(plan.action, Action::kUpdate);
  EXPECT_EQ(plan.object["status"]["phase"], "Terminating");
  EXPECT_TRUE(api::IsBeingDeleted(plan.object));
  DeletionPlan again = PlanDeletion(api::Kind::kNamespace, plan.object, {}, kNow);
  EXPECT_EQ(again.action, Action::kConflict);
  EXPECT_NE(again.conflict.find("The system is ensuring all content is removed"),
            std::string::npos);

  Json finalized = WithNamespaceFinalizers(plan.object, Json::parse(R"({"spec":{}})"));
  EXPECT_EQ(finalized["spec"]["finalizers"], Json::array());
  EXPECT_TRUE(ShouldRemoveOnUpdate(api::Kind::kNamespace, plan.object, finalized));
  EXPECT_FALSE(ShouldRemoveOnUpdate(api::Kind::kNamespace, ns, ns));
  Json bare = ns;
  bare["spec"]["finalizers"] = Json::array();
  EXPECT_EQ(PlanDeletion(api::Kind::kNamespace, bare, {}, kNow).action, Action::kRemove);
}

TEST(UpdateOfMarkedObjectTest, RemovingTheLastFinalizerRemovesTheObject) {
  Json marked = {{"metadata",
                  {{"name", "d"},
                   {"finalizers", {"x/y"}},
                   {"deletionTimestamp", api::FormatTimestamp(kNow)},
                   {"deletionGracePeriodSeconds", 0}}}};
  Json cleared = marked;
  cleared["metadata"].erase("finalizers");
  EXPECT_TRUE(ShouldRemoveOnUpdate(api::Kind::kDeployment, marked, cleared));
  EXPECT_FALSE(ShouldRemoveOnUpdate(api::Kind::kDeployment, marked, marked));
  // A pod still in its grace period stays until the kubelet's final delete.
  Json graceful = cleared;
  graceful["metadata"]["deletionGracePeriodSeconds"] = 30;
  Json graceful_before = marked;
  graceful_before["metadata"]["deletionGracePeriodSeconds"] = 30;
  EXPECT_FALSE(ShouldRemoveOnUpdate(api::Kind::kPod, graceful_before, graceful));

  Json added = marked;
  added["metadata"]["finalizers"] = {"x/y", "a/b"};
  api::FieldErrors errors = ValidateNoNewFinalizers(marked, added);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].ToString(),
            "metadata.finalizers: Forbidden: no new finalizers can be added if the object is "
            "being deleted, found new finalizers []string{\"a/b\"}");
  EXPECT_TRUE(ValidateNoNewFinalizers(marked, cleared).empty());
}

}  // namespace
}  // namespace orch::apiserver
