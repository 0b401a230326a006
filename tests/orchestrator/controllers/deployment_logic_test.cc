#include "orchestrator/controllers/deployment_logic.h"

#include <gtest/gtest.h>

#include "orchestrator/api/object.h"

namespace orch::controllers {
namespace {

using api::Json;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

api::DeploymentSpec Spec(int64_t replicas, Json max_surge, Json max_unavailable) {
  return api::DeploymentSpec::FromJson(
      {{"replicas", replicas},
       {"strategy",
        {{"type", "RollingUpdate"},
         {"rollingUpdate", {{"maxSurge", max_surge}, {"maxUnavailable", max_unavailable}}}}}});
}

ReplicaSetView Rs(std::string name, int64_t spec, int64_t available, int64_t age_minutes = 0) {
  ReplicaSetView rs;
  rs.name = std::move(name);
  rs.spec_replicas = spec;
  rs.status_replicas = spec;
  rs.ready_replicas = available;
  rs.available_replicas = available;
  rs.created = kNow - absl::Minutes(age_minutes);
  return rs;
}

TEST(DeploymentLogic, FencepostsRoundSurgeUpAndUnavailableDown) {
  absl::StatusOr<Fenceposts> ten = ResolveFenceposts(Spec(10, "25%", "25%"));
  ASSERT_TRUE(ten.ok());
  EXPECT_EQ(ten->max_surge, 3);
  EXPECT_EQ(ten->max_unavailable, 2);
  absl::StatusOr<Fenceposts> one = ResolveFenceposts(Spec(1, "25%", "25%"));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->max_surge, 1);
  EXPECT_EQ(one->max_unavailable, 0);
  absl::StatusOr<Fenceposts> zeros = ResolveFenceposts(Spec(3, 0, "10%"));
  ASSERT_TRUE(zeros.ok());
  EXPECT_EQ(zeros->max_unavailable, 1);
  EXPECT_FALSE(ResolveFenceposts(Spec(3, "x%", 1)).ok());
}

TEST(DeploymentLogic, MaxUnavailableIsCappedAndZeroForRecreate) {
  EXPECT_EQ(MaxUnavailable(Spec(3, 1, 5)), 3);
  EXPECT_EQ(MaxUnavailable(Spec(0, 1, 5)), 0);
  api::DeploymentSpec recreate = Spec(3, 1, 1);
  recreate.strategy_type = "Recreate";
  EXPECT_EQ(MaxUnavailable(recreate), 0);
  EXPECT_EQ(MaxSurge(recreate), 0);
  EXPECT_EQ(NewReplicaSetSize(recreate, {Rs("old", 3, 3)}, Rs("new", 0, 0)), 3);
}

TEST(DeploymentLogic, NewReplicaSetGrowsWithinTheSurge) {
  const api::DeploymentSpec spec = Spec(3, 1, 1);
  EXPECT_EQ(NewReplicaSetSize(spec, {Rs("old", 3, 3), Rs("new", 0, 0)}, Rs("new", 0, 0)), 1);
  EXPECT_EQ(NewReplicaSetSize(spec, {Rs("old", 3, 3), Rs("new", 1, 0)}, Rs("new", 1, 0)), 1);
  EXPECT_EQ(NewReplicaSetSize(spec, {Rs("old", 1, 1), Rs("new", 2, 2)}, Rs("new", 2, 2)), 3);
  EXPECT_EQ(
      NewReplicaSetSize(Spec(10, "50%", 0), {Rs("old", 10, 10), Rs("new", 0, 0)}, Rs("new", 0, 0)),
      5);
}

TEST(DeploymentLogic, OldReplicaSetsShrinkOnlyDownToTheMinimumAvailable) {
  const api::DeploymentSpec spec = Spec(3, 1, 1);  // at least 2 available
  // The new pod is not available yet: one old pod may go.
  EXPECT_EQ(ScaleDownOldReplicaSets(spec, {Rs("old", 3, 3)}, Rs("new", 1, 0)),
            (std::map<std::string, int64_t>{{"old", 2}}));
  // Nothing more until the new pod is available.
  EXPECT_TRUE(ScaleDownOldReplicaSets(spec, {Rs("old", 2, 2)}, Rs("new", 2, 0)).empty());
  EXPECT_EQ(ScaleDownOldReplicaSets(spec, {Rs("old", 2, 2)}, Rs("new", 2, 1)),
            (std::map<std::string, int64_t>{{"old", 1}}));
}

TEST(DeploymentLogic, UnhealthyOldReplicasGoFirstAndOldestReplicaSetFirst) {
  // 4 wanted, 1 may be unavailable; the old ReplicaSet has 2 unhealthy pods.
  EXPECT_EQ(ScaleDownOldReplicaSets(Spec(4, 0, 1), {Rs("old", 4, 2)}, Rs("new", 0, 0)),
            (std::map<std::string, int64_t>{{"old", 3}}));
  // Two old ReplicaSets, all healthy: the older one shrinks first.
  EXPECT_EQ(ScaleDownOldReplicaSets(Spec(4, 0, 2), {Rs("young", 2, 2, 5), Rs("ancient", 2, 2, 50)},
                                    Rs("new", 0, 0)),
            (std::map<std::string, int64_t>{{"ancient", 0}}));
}

TEST(DeploymentLogic, AStaleStatusOfAShrunkReplicaSetDoesNotCountItsLeavingPods) {
  // "old" was just scaled to 2 but still reports 3 available: only 2 count, so nothing goes.
  EXPECT_TRUE(ScaleDownOldReplicaSets(Spec(3, 1, 1), {Rs("old", 2, 3)}, Rs("new", 1, 0)).empty());
}

TEST(DeploymentLogic, ScalingMidRolloutIsProportional) {
  const api::DeploymentSpec spec = Spec(12, "25%", "25%");  // 12 + 3 allowed
  ReplicaSetView newer = Rs("newer", 5, 5, 1);
  ReplicaSetView older = Rs("older", 8, 8, 10);
  newer.max_replicas_annotation = 13;
  older.max_replicas_annotation = 13;
  EXPECT_EQ(ProportionalSizes(spec, 13, {newer, older}),
            (std::map<std::string, int64_t>{{"newer", 6}, {"older", 9}}));
  EXPECT_EQ(ProportionalSizes(Spec(0, "25%", "25%"), 13, {newer, older}),
            (std::map<std::string, int64_t>{{"newer", 0}, {"older", 0}}));
}

TEST(DeploymentLogic, RollbackRaisesTheRevisionAndKeepsItsHistory) {
  const Json deployment = {{"metadata",
                            {{"annotations",
                              {{"kubernetes.io/change-cause", "v1"},
                               {"kubectl.kubernetes.io/last-applied-configuration", "{}"},
                               {"deployment.kubernetes.io/revision", "3"}}}}},
                           {"spec", {{"replicas", 4}, {"strategy", {{"type", "RollingUpdate"}}}}}};
  Json rs = {{"metadata", {{"annotations", {{"deployment.kubernetes.io/revision", "1"}}}}}};
  EXPECT_TRUE(SetNewReplicaSetAnnotations(deployment, rs, 4, /*exists=*/true));
  const Json& annotations = rs["metadata"]["annotations"];
  EXPECT_EQ(annotations["deployment.kubernetes.io/revision"], "4");
  EXPECT_EQ(annotations["deployment.kubernetes.io/revision-history"], "1");
  EXPECT_EQ(annotations["kubernetes.io/change-cause"], "v1");
  EXPECT_FALSE(annotations.contains("kubectl.kubernetes.io/last-applied-configuration"));
  EXPECT_FALSE(SetNewReplicaSetAnnotations(deployment, rs, 4, true));

  Json fresh = Json::object();
  EXPECT_TRUE(SetNewReplicaSetAnnotations(deployment, fresh, 5, /*exists=*/false));
  EXPECT_EQ(fresh["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"], "4");
  EXPECT_EQ(fresh["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"], "5");
  EXPECT_EQ(NextRevision({Rs("a", 0, 0), Rs("b", 0, 0)}), 1);
}

TEST(DeploymentLogic, StatusAndConditionsFollowTheRollout) {
  Json deployment = {{"metadata", {{"name", "web"}, {"generation", 2}}},
                     {"spec",
                      {{"replicas", 3},
                       {"progressDeadlineSeconds", 600},
                       {"strategy",
                        {{"type", "RollingUpdate"},
                         {"rollingUpdate", {{"maxSurge", 1}, {"maxUnavailable", 1}}}}}}}};
  ReplicaSetView old_rs = Rs("old", 2, 2);
  ReplicaSetView new_rs = Rs("new", 2, 0);
  api::WorkloadStatus status =
      CalculateDeploymentStatus(deployment, {old_rs, new_rs}, new_rs, kNow);
  EXPECT_EQ(status.replicas, 4);
  EXPECT_EQ(status.updated_replicas, 2);
  EXPECT_EQ(status.available_replicas, 2);
  EXPECT_EQ(status.unavailable_replicas, 2);
  EXPECT_EQ(status.observed_generation, 2);
  ASSERT_NE(FindWorkloadCondition(status, "Available"), nullptr);
  EXPECT_EQ(FindWorkloadCondition(status, "Available")->reason, "MinimumReplicasAvailable");
  UpdateProgressingCondition(deployment, new_rs, status, kNow);
  ASSERT_NE(FindWorkloadCondition(status, "Progressing"), nullptr);
  EXPECT_EQ(FindWorkloadCondition(status, "Progressing")->reason, "ReplicaSetUpdated");
  EXPECT_EQ(ProgressDeadlineCheckAt(deployment, status), kNow + absl::Seconds(601));

  // No progress for longer than the deadline: timed out.
  deployment["status"] = status.ToDeploymentJson();
  api::WorkloadStatus stuck = CalculateDeploymentStatus(deployment, {old_rs, new_rs}, new_rs, kNow);
  UpdateProgressingCondition(deployment, new_rs, stuck, kNow + absl::Seconds(601));
  EXPECT_EQ(FindWorkloadCondition(stuck, "Progressing")->reason, "ProgressDeadlineExceeded");
  EXPECT_EQ(FindWorkloadCondition(stuck, "Progressing")->status, "False");

  // Done: NewReplicaSetAvailable.
  ReplicaSetView done = Rs("new", 3, 3);
  api::WorkloadStatus complete =
      CalculateDeploymentStatus(deployment, {Rs("old", 0, 0), done}, done, kNow);
  EXPECT_TRUE(DeploymentComplete(deployment, complete));
  UpdateProgressingCondition(deployment, done, complete, kNow);
  EXPECT_EQ(FindWorkloadCondition(complete, "Progressing")->reason, "NewReplicaSetAvailable");
  EXPECT_EQ(FindWorkloadCondition(complete, "Progressing")->message,
            "ReplicaSet \"new\" has successfully progressed.");

  // Too few available: Available False.
  api::WorkloadStatus low =
      CalculateDeploymentStatus(deployment, {Rs("new", 3, 1)}, Rs("new", 3, 1), kNow);
  EXPECT_EQ(FindWorkloadCondition(low, "Available")->reason, "MinimumReplicasUnavailable");
}

TEST(DeploymentLogic, HistoryCleanupDeletesTheLowestIdleRevisions) {
  ReplicaSetView r1 = Rs("r1", 0, 0), r2 = Rs("r2", 0, 0), r3 = Rs("r3", 0, 0),
                 busy = Rs("busy", 1, 1);
  r1.revision = 1;
  r2.revision = 2;
  r3.revision = 3;
  busy.revision = 0;
  EXPECT_EQ(ReplicaSetsToCleanUp(1, {r3, r1, r2}), (std::vector<std::string>{"r1", "r2"}));
  EXPECT_EQ(ReplicaSetsToCleanUp(2, {busy, r3, r2}), std::vector<std::string>{});
  EXPECT_EQ(ReplicaSetsToCleanUp(5, {r1, r2}), std::vector<std::string>{});
}

}  // namespace
}  // namespace orch::controllers
