// The Deployment controller, after upstream's: one ReplicaSet per pod template
// ("<deployment>-<pod-template-hash>"), rolled out by RollingUpdate (within maxSurge and
// maxUnavailable) or Recreate; proportional scaling mid-rollout; paused deployments only
// scale; revision annotations that kubectl's rollout history/undo read; history clean-up;
// status and the Available and Progressing conditions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "orchestrator/client/work_queue.h"
#include "orchestrator/controllers/controller.h"
#include "orchestrator/controllers/deployment_logic.h"
#include "orchestrator/controllers/queue_workers.h"

namespace orch::controllers {

class DeploymentController : public Controller {
 public:
  explicit DeploymentController(ControllerContext context);
  ~DeploymentController() override;

  std::string_view name() const override { return "deployment"; }
  void Run() override;
  void Stop() override;

 private:
  // One reconcile of the Deployment "namespace/name".
  absl::Status Sync(const std::string& key);
  // The Deployment's ReplicaSets split into the one of the current template and the rest.
  struct ReplicaSets {
    std::optional<api::Json> new_rs;
    std::vector<api::Json> old;
    std::vector<api::Json> All() const;
  };

  void EnqueueOwnerOf(const api::Json& replica_set);
  absl::StatusOr<std::vector<api::Json>> ClaimReplicaSets(const api::Json& deployment);
  absl::StatusOr<ReplicaSets> GetReplicaSetsAndSyncRevision(api::Json& deployment,
                                                            const std::vector<api::Json>& owned,
                                                            bool create_if_missing);
  absl::StatusOr<api::Json> CreateNewReplicaSet(api::Json& deployment,
                                                const std::vector<api::Json>& old,
                                                int64_t revision);
  absl::Status SetDeploymentRevision(api::Json& deployment, const std::string& revision);
  // Sets spec.replicas (and the replicas annotations) and records ScalingReplicaSet.
  absl::StatusOr<api::Json> ScaleReplicaSet(const api::Json& replica_set, int64_t size,
                                            const api::Json& deployment);
  absl::Status ScaleNamed(ReplicaSets& sets, const std::map<std::string, int64_t>& sizes,
                          const api::Json& deployment);

  absl::Status RolloutRolling(api::Json& deployment, const std::vector<api::Json>& owned);
  absl::Status RolloutRecreate(api::Json& deployment, const std::vector<api::Json>& owned);
  absl::Status SyncScale(api::Json& deployment, const std::vector<api::Json>& owned);
  absl::Status Scale(const api::Json& deployment, ReplicaSets& sets);
  bool IsScalingEvent(const api::Json& deployment, const std::vector<api::Json>& owned);
  absl::Status CheckPausedConditions(api::Json& deployment);
  bool OldPodsRunning(const ReplicaSets& sets) const;
  absl::Status CleanupHistory(const api::Json& deployment, const std::vector<api::Json>& old);
  // Writes status (and with `rollout`, the Progressing condition) if it changed.
  absl::Status SyncStatus(const std::string& key, const api::Json& deployment,
                          const ReplicaSets& sets, bool rollout);

  ControllerContext context_;
  client::Informer& deployments_;
  client::Informer& replica_sets_;
  client::Informer& pods_;
  client::WorkQueue queue_;
  QueueWorkers workers_;
};

}  // namespace orch::controllers
