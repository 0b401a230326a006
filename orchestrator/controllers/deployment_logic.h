// The arithmetic of the Deployment controller as pure functions (upstream
// pkg/controller/deployment and its util package): fenceposts of a rolling update, how far the
// new ReplicaSet may grow, how far old ones may shrink without going below the minimum
// available, proportional scaling, revisions, status and conditions, history clean-up.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/types.h"

namespace orch::controllers {

inline constexpr std::string_view kRevisionAnnotation = "deployment.kubernetes.io/revision";
inline constexpr std::string_view kRevisionHistoryAnnotation =
    "deployment.kubernetes.io/revision-history";
inline constexpr std::string_view kDesiredReplicasAnnotation =
    "deployment.kubernetes.io/desired-replicas";
inline constexpr std::string_view kMaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas";

// What the Deployment controller reads of one of its ReplicaSets.
struct ReplicaSetView {
  std::string name;
  absl::Time created = absl::InfinitePast();
  int64_t spec_replicas = 0;
  int64_t status_replicas = 0;
  int64_t ready_replicas = 0;
  int64_t available_replicas = 0;
  int64_t generation = 0;
  int64_t observed_generation = 0;
  int64_t revision = 0;  // 0 when the annotation is absent or malformed
  std::optional<int64_t> desired_replicas_annotation;
  std::optional<int64_t> max_replicas_annotation;
  bool being_deleted = false;

  static ReplicaSetView FromJson(const api::Json& replica_set);
  // Available pods that still count: a ReplicaSet just scaled down may report pods it is
  // about to delete, which must not be counted as available.
  int64_t CountedAvailable() const { return std::min(available_replicas, spec_replicas); }
};

struct Fenceposts {
  int64_t max_surge = 0;
  int64_t max_unavailable = 0;
};
// upstream ResolveFenceposts: surge rounds up, unavailable down; both zero become (0, 1).
absl::StatusOr<Fenceposts> ResolveFenceposts(const api::DeploymentSpec& spec);
// upstream MaxUnavailable / MaxSurge: 0 unless RollingUpdate; unavailable at most replicas.
int64_t MaxUnavailable(const api::DeploymentSpec& spec);
int64_t MaxSurge(const api::DeploymentSpec& spec);

// The size the new ReplicaSet may grow to now (upstream NewRSNewReplicas): Recreate jumps to
// replicas; RollingUpdate adds at most replicas + maxSurge - (sum of all specs).
int64_t NewReplicaSetSize(const api::DeploymentSpec& spec, const std::vector<ReplicaSetView>& all,
                          const ReplicaSetView& new_rs);

// New sizes for old ReplicaSets during a rolling update (upstream reconcileOldReplicaSets:
// first unhealthy replicas, then available ones, oldest ReplicaSet first), never taking the
// available count below replicas - maxUnavailable. Only the ReplicaSets that change appear.
std::map<std::string, int64_t> ScaleDownOldReplicaSets(const api::DeploymentSpec& spec,
                                                       std::vector<ReplicaSetView> old_active,
                                                       const ReplicaSetView& new_rs);

// Sizes when the Deployment was scaled in the middle of a rollout (upstream scale()):
// additions and removals are spread over the active ReplicaSets in proportion to their size.
// `deployment_status_replicas` is the fallback for a missing max-replicas annotation.
std::map<std::string, int64_t> ProportionalSizes(const api::DeploymentSpec& spec,
                                                 int64_t deployment_status_replicas,
                                                 std::vector<ReplicaSetView> active);

// upstream IsSaturated.
bool IsSaturated(const api::DeploymentSpec& spec, const ReplicaSetView& new_rs);

// The revision for a new ReplicaSet: the largest of the old ones + 1.
int64_t NextRevision(const std::vector<ReplicaSetView>& old_replica_sets);

// Annotations a Deployment passes to its ReplicaSets: all but kubectl's last-applied
// configuration and the deployment.kubernetes.io/ ones the controller manages.
bool SkipsCopyToReplicaSet(std::string_view annotation);
// upstream SetNewReplicaSetAnnotations on the ReplicaSet document: copies the Deployment's
// annotations, raises the revision to `new_revision` (keeping the earlier one in
// revision-history, as a rollback does), and for a new ReplicaSet sets desired/max replicas.
// Returns whether anything changed.
bool SetNewReplicaSetAnnotations(const api::Json& deployment, api::Json& replica_set,
                                 int64_t new_revision, bool exists);
// desired-replicas / max-replicas; returns whether they changed.
bool SetReplicasAnnotations(api::Json& replica_set, int64_t desired, int64_t max);

// upstream calculateStatus: counters from the ReplicaSets and condition Available.
api::WorkloadStatus CalculateDeploymentStatus(const api::Json& deployment,
                                              const std::vector<ReplicaSetView>& all,
                                              const std::optional<ReplicaSetView>& new_rs,
                                              absl::Time now);
// upstream DeploymentComplete.
bool DeploymentComplete(const api::Json& deployment, const api::WorkloadStatus& status);
// upstream syncRolloutStatus's Progressing condition (NewReplicaSetAvailable,
// ReplicaSetUpdated, ProgressDeadlineExceeded), applied to `status`.
void UpdateProgressingCondition(const api::Json& deployment,
                                const std::optional<ReplicaSetView>& new_rs,
                                api::WorkloadStatus& status, absl::Time now);
// When a rollout that has not finished must be looked at again to notice its deadline.
std::optional<absl::Time> ProgressDeadlineCheckAt(const api::Json& deployment,
                                                  const api::WorkloadStatus& status);

// A condition with both times `now`.
api::Condition NewCondition(std::string type, std::string status, std::string reason,
                            std::string message, absl::Time now);
// upstream SetDeploymentCondition: no change when status and reason are the same; the
// transition time is kept when only the reason changes.
void SetWorkloadCondition(api::WorkloadStatus& status, api::Condition condition);
const api::Condition* FindWorkloadCondition(const api::WorkloadStatus& status,
                                            std::string_view type);

// Old ReplicaSets to delete beyond revisionHistoryLimit: lowest revisions first, only those
// scaled to zero whose controller has caught up.
std::vector<std::string> ReplicaSetsToCleanUp(int64_t revision_history_limit,
                                              std::vector<ReplicaSetView> old_replica_sets);

}  // namespace orch::controllers
