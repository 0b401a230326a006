// kubectl's rollout logic for Deployments, on the objects alone (no requests): the status
// message, the revision history from the Deployment's ReplicaSets, and the JSON patch that
// rolls the Deployment back to a revision's pod template.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "orchestrator/api/json.h"

namespace orch::cli {

inline constexpr std::string_view kRevisionAnnotation = "deployment.kubernetes.io/revision";
inline constexpr std::string_view kChangeCauseAnnotation = "kubernetes.io/change-cause";

struct RolloutStatus {
  std::string message;  // "Waiting for deployment \"web\" rollout to finish: ...", with "\n"
  bool done = false;
};

// kubectl's DeploymentStatusViewer: from generation/observedGeneration, spec.replicas and
// status updated/available/replicas. FailedPrecondition when the Progressing condition says
// ProgressDeadlineExceeded.
absl::StatusOr<RolloutStatus> DeploymentRolloutStatus(const api::Json& deployment);

// The ReplicaSets of `replica_sets` (a list's items) the Deployment controls (controller
// ownerReference to its uid), by revision; those without a revision annotation are left out.
std::map<int64_t, api::Json> ReplicaSetsByRevision(const api::Json& deployment,
                                                   const api::Json& replica_sets);

// "REVISION  CHANGE-CAUSE" lines as kubectl prints them (tabwriter padding 2).
std::string FormatHistory(const std::map<int64_t, api::Json>& revisions);

// The ReplicaSet to roll back to: `to_revision`, or with 0 the one before the newest.
// NotFound with kubectl's messages otherwise.
absl::StatusOr<api::Json> RollbackTarget(const api::Json& deployment,
                                         const std::map<int64_t, api::Json>& revisions,
                                         int64_t to_revision);

// Whether the Deployment's template already equals the ReplicaSet's, pod-template-hash aside.
bool TemplateMatches(const api::Json& deployment, const api::Json& replica_set);

// kubectl's rollback patch (application/json-patch+json): the ReplicaSet's template without
// the pod-template-hash label, and the Deployment's annotations with the ReplicaSet's
// (except revision bookkeeping and last-applied, which stay the Deployment's).
api::Json RollbackPatch(const api::Json& deployment, const api::Json& replica_set);

}  // namespace orch::cli
