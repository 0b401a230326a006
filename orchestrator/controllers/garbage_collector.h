// The garbage collector (contract "Finalizers"): an object all of whose owners (by
// ownerReferences uid) are gone is deleted in the background; an owner being deleted with
// finalizer "orphan" has its dependents' references to it removed, then the finalizer; one
// with "foregroundDeletion" has its dependents deleted and loses the finalizer once no
// dependent with blockOwnerDeletion is left. It watches every resource but Events.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "orchestrator/client/work_queue.h"
#include "orchestrator/controllers/controller.h"
#include "orchestrator/controllers/queue_workers.h"

namespace orch::controllers {

class GarbageCollector : public Controller {
 public:
  explicit GarbageCollector(ControllerContext context);
  ~GarbageCollector() override;

  std::string_view name() const override { return "garbagecollector"; }
  void Run() override;
  void Stop() override;

 private:
  // Keys: "dependent|<plural>|<cache key>" or "owner|<plural>|<cache key>".
  absl::Status Sync(const std::string& key);
  enum class OwnerState { kGone, kPresent, kDeletingForeground };

  void Observe(const api::ResourceInfo& resource, const api::Json& object);
  void ObserveDeletion(const api::ResourceInfo& resource, const api::Json& object);
  absl::StatusOr<OwnerState> StateOfOwner(const api::Json& reference,
                                          const std::string& namespace_name);
  absl::Status SyncDependent(const api::ResourceInfo& resource, const api::Json& object);
  absl::Status SyncDeletingOwner(const api::ResourceInfo& resource, const api::Json& object);
  absl::Status RemoveFinalizer(const api::ResourceInfo& resource, const api::Json& object,
                               std::string_view finalizer);

  ControllerContext context_;
  client::WorkQueue queue_;
  QueueWorkers workers_;
};

}  // namespace orch::controllers
