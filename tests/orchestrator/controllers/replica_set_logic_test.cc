#include "orchestrator/controllers/replica_set_logic.h"

#include <gtest/gtest.h>

#include "orchestrator/api/object.h"

namespace orch::controllers {
namespace {

using api::Json;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

Json Pod(std::string name, std::string node, std::string phase, bool ready,
         absl::Time created = kNow, absl::Time ready_since = kNow) {
  Json pod = {{"metadata",
               {{"name", name},
                {"namespace", "default"},
                {"uid", "uid-" + name},
                {"labels", {{"app", "web"}}},
                {"creationTimestamp", api::FormatTimestamp(created)}}},
              {"spec", {{"nodeName", node}}},
              {"status", {{"phase", phase}}}};
  pod["status"]["conditions"] =
      Json::array({{{"type", "Ready"},
                    {"status", ready ? "True" : "False"},
                    {"lastTransitionTime", api::FormatTimestamp(ready_since)}}});
  return pod;
}

Json ReplicaSet() {
  return {{"apiVersion", "apps/v1"},
          {"kind", "ReplicaSet"},
          {"metadata",
           {{"name", "web"}, {"namespace", "default"}, {"uid", "rs-uid"}, {"generation", 3}}},
          {"spec",
           {{"replicas", 3},
            {"minReadySeconds", 10},
            {"selector", {{"matchLabels", {{"app", "web"}}}}},
            {"template",
             {{"metadata",
               {{"labels", {{"app", "web"}, {"tier", "front"}}}, {"annotations", {{"a", "b"}}}}},
              {"spec", {{"containers", Json::array({{{"name", "c"}, {"image", "sh"}}})}}}}}}}};
}

std::vector<std::string> Names(const std::vector<Json>& pods) {
  std::vector<std::string> names;
  for (const Json& pod : pods)
    names.push_back(api::NameOf(pod));
  return names;
}

TEST(ReplicaSetLogic, DeletesUnscheduledThenPendingThenNotReadyThenNewestReady) {
  std::vector<Json> pods = {
      Pod("old-ready", "n1", "Running", true, kNow - absl::Hours(2), kNow - absl::Hours(2)),
      Pod("new-ready", "n1", "Running", true, kNow - absl::Hours(1), kNow - absl::Hours(1)),
      Pod("not-ready", "n1", "Running", false),
      Pod("pending", "n1", "Pending", false),
      Pod("unscheduled", "", "Pending", false),
  };
  EXPECT_EQ(
      Names(PodsToDelete(pods, 5)),
      (std::vector<std::string>{"unscheduled", "pending", "not-ready", "new-ready", "old-ready"}));
  EXPECT_EQ(Names(PodsToDelete(pods, 2)), (std::vector<std::string>{"unscheduled", "pending"}));
}

TEST(ReplicaSetLogic, AmongEqualPodsTheNewestAndMostRestartedGoFirst) {
  Json older = Pod("older", "n1", "Running", true, kNow - absl::Hours(1), kNow - absl::Hours(1));
  Json newer = Pod("newer", "n1", "Running", true, kNow, kNow - absl::Hours(1));
  EXPECT_EQ(Names(PodsToDelete({older, newer}, 1)), std::vector<std::string>{"newer"});
  older["status"]["containerStatuses"] = Json::array({{{"name", "c"}, {"restartCount", 4}}});
  EXPECT_EQ(Names(PodsToDelete({older, newer}, 1)), std::vector<std::string>{"older"});
}

TEST(ReplicaSetLogic, TerminatingAndFinishedPodsAreNotReplicas) {
  Json pod = Pod("p", "n1", "Running", true);
  EXPECT_TRUE(IsPodActive(pod));
  pod["metadata"]["deletionTimestamp"] = api::FormatTimestamp(kNow);
  EXPECT_FALSE(IsPodActive(pod));
  EXPECT_FALSE(IsPodActive(Pod("s", "n1", "Succeeded", false)));
  EXPECT_FALSE(IsPodActive(Pod("f", "n1", "Failed", false)));
}

TEST(ReplicaSetLogic, AvailabilityWaitsForMinReadySeconds) {
  Json pod = Pod("p", "n1", "Running", true, kNow, kNow - absl::Seconds(4));
  EXPECT_TRUE(IsPodAvailable(pod, 0, kNow));
  EXPECT_FALSE(IsPodAvailable(pod, 10, kNow));
  EXPECT_EQ(BecomesAvailableAt(pod, 10, kNow), kNow + absl::Seconds(6));
  EXPECT_TRUE(IsPodAvailable(pod, 10, kNow + absl::Seconds(6)));
  EXPECT_FALSE(BecomesAvailableAt(Pod("q", "n1", "Running", false), 10, kNow).has_value());
}

TEST(ReplicaSetLogic, ClaimsAdoptOrphansReleaseMismatchesAndLeaveOthers) {
  const Json rs = ReplicaSet();
  absl::StatusOr<api::LabelSelector> selector =
      api::LabelSelector::FromObject(api::MemberAt(rs, {"spec", "selector"}));
  ASSERT_TRUE(selector.ok());
  Json orphan = Pod("orphan", "", "Pending", false);
  EXPECT_EQ(DecideClaim(rs, *selector, orphan), ClaimAction::kAdopt);

  Json owned = orphan;
  owned["metadata"]["ownerReferences"] = Json::array({ControllerReferenceTo(rs)});
  EXPECT_EQ(DecideClaim(rs, *selector, owned), ClaimAction::kOwned);

  Json relabelled = owned;
  relabelled["metadata"]["labels"]["app"] = "other";
  EXPECT_EQ(DecideClaim(rs, *selector, relabelled), ClaimAction::kRelease);

  Json foreign = orphan;
  foreign["metadata"]["ownerReferences"] =
      Json::array({{{"uid", "someone"}, {"controller", true}, {"kind", "ReplicaSet"}}});
  EXPECT_EQ(DecideClaim(rs, *selector, foreign), ClaimAction::kIgnore);

  Json deleting_rs = rs;
  deleting_rs["metadata"]["deletionTimestamp"] = api::FormatTimestamp(kNow);
  EXPECT_EQ(DecideClaim(deleting_rs, *selector, orphan), ClaimAction::kIgnore);
  EXPECT_EQ(DecideClaim(deleting_rs, *selector, relabelled), ClaimAction::kIgnore);
}

TEST(ReplicaSetLogic, PatchesNameTheOwnerAndTheDependentsUid) {
  const Json rs = ReplicaSet();
  const Json pod = Pod("p", "", "Pending", false);
  absl::StatusOr<Json> adopt = api::ParseJson(AdoptionPatch(rs, pod));
  ASSERT_TRUE(adopt.ok());
  EXPECT_EQ((*adopt)["metadata"]["uid"], "uid-p");
  EXPECT_EQ((*adopt)["metadata"]["ownerReferences"][0]["uid"], "rs-uid");
  EXPECT_EQ((*adopt)["metadata"]["ownerReferences"][0]["controller"], true);
  absl::StatusOr<Json> release = api::ParseJson(ReleasePatch("rs-uid", pod));
  ASSERT_TRUE(release.ok());
  EXPECT_EQ((*release)["metadata"]["ownerReferences"][0]["$patch"], "delete");
}

TEST(ReplicaSetLogic, NewPodsComeFromTheTemplateWithAControllerReference) {
  const Json pod = NewPodFromTemplate(ReplicaSet());
  EXPECT_EQ(pod["metadata"]["generateName"], "web-");
  EXPECT_EQ(pod["metadata"]["namespace"], "default");
  EXPECT_EQ(pod["metadata"]["labels"]["tier"], "front");
  EXPECT_EQ(pod["metadata"]["annotations"]["a"], "b");
  const Json& owner = pod["metadata"]["ownerReferences"][0];
  EXPECT_EQ(owner["kind"], "ReplicaSet");
  EXPECT_EQ(owner["apiVersion"], "apps/v1");
  EXPECT_EQ(owner["uid"], "rs-uid");
  EXPECT_EQ(owner["blockOwnerDeletion"], true);
  EXPECT_EQ(pod["spec"]["containers"][0]["image"], "sh");
}

TEST(ReplicaSetLogic, SlowStartDoublesUpToTheCount) {
  EXPECT_EQ(SlowStartBatches(0), std::vector<int64_t>{});
  EXPECT_EQ(SlowStartBatches(1), std::vector<int64_t>{1});
  EXPECT_EQ(SlowStartBatches(10), (std::vector<int64_t>{1, 2, 4, 3}));
  EXPECT_EQ(SlowStartBatches(15), (std::vector<int64_t>{1, 2, 4, 8}));
}

TEST(ReplicaSetLogic, StatusCountsLabelledReadyAndAvailablePods) {
  Json labelled = Pod("a", "n1", "Running", true, kNow, kNow - absl::Minutes(1));
  labelled["metadata"]["labels"]["tier"] = "front";
  const Json just_ready = Pod("b", "n1", "Running", true, kNow, kNow);
  const Json not_ready = Pod("c", "", "Pending", false);
  api::WorkloadStatus status =
      CalculateReplicaSetStatus(ReplicaSet(), {labelled, just_ready, not_ready}, kNow);
  EXPECT_EQ(status.replicas, 3);
  EXPECT_EQ(status.fully_labeled_replicas, 1);
  EXPECT_EQ(status.ready_replicas, 2);
  EXPECT_EQ(status.available_replicas, 1);
  EXPECT_EQ(status.observed_generation, 3);
}

}  // namespace
}  // namespace orch::controllers
