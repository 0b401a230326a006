// The ReplicaSet controller: keeps spec.replicas pods for every ReplicaSet (creating them in
// slow-start batches, deleting the least valuable first), adopts matching orphans and
// releases pods that stop matching, and writes status. Creations and deletions it made are
// "expected" until its pod cache has seen them, so a lagging cache never makes it act twice.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "orchestrator/client/work_queue.h"
#include "orchestrator/controllers/controller.h"
#include "orchestrator/controllers/queue_workers.h"

namespace orch::controllers {

class ReplicaSetController : public Controller {
 public:
  explicit ReplicaSetController(ControllerContext context);
  ~ReplicaSetController() override;

  std::string_view name() const override { return "replicaset"; }
  void Run() override;
  void Stop() override;

 private:
  // One reconcile of the ReplicaSet "namespace/name".
  absl::Status Sync(const std::string& key);
  // Writes this controller made that the pod cache has not shown yet.
  struct Expectations {
    int64_t created_up_to_revision = 0;           // the cache must reach this resourceVersion
    std::map<std::string, std::string> deleting;  // pod cache key -> uid
    absl::Time since;
  };

  void EnqueuePodOwners(const api::Json& pod);
  bool ExpectationsMet(const std::string& key);
  // The active pods it owns, as the pod cache holds them: a sync copies no pod.
  absl::StatusOr<std::vector<client::Informer::SharedObject>> ClaimPods(
      const api::Json& replica_set);
  absl::Status ManageReplicas(const std::string& key, const api::Json& replica_set,
                              const std::vector<const api::Json*>& owned);
  absl::Status CreatePods(const std::string& key, const api::Json& replica_set, int64_t count);
  absl::Status DeletePods(const std::string& key, const api::Json& replica_set,
                          const std::vector<const api::Json*>& victims);
  // The SuccessfulCreate/SuccessfulDelete event of the `nth` pod of one sync.
  void RecordPodEvent(const api::Json& replica_set, std::string_view reason, std::string_view what,
                      const std::string& pod_name, int64_t nth);
  absl::Status UpdateStatus(const std::string& key, const api::Json& replica_set,
                            const std::vector<const api::Json*>& owned);

  ControllerContext context_;
  client::Informer& replica_sets_;
  client::Informer& pods_;
  client::WorkQueue queue_;
  QueueWorkers workers_;
  std::mutex mutex_;
  std::map<std::string, Expectations> expectations_;  // by ReplicaSet key; guarded by mutex_
};

}  // namespace orch::controllers
