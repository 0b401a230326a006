// The namespace controller: a namespace being deleted (phase Terminating, spec.finalizers
// holding "kubernetes") has every namespaced object of every resource in the orch::api
// registry deleted; once nothing is left, PUT /api/v1/namespaces/<ns>/finalize with that
// finalizer removed lets the API server remove the namespace.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "orchestrator/client/work_queue.h"
#include "orchestrator/controllers/controller.h"
#include "orchestrator/controllers/queue_workers.h"

namespace orch::controllers {

class NamespaceController : public Controller {
 public:
  explicit NamespaceController(ControllerContext context);
  ~NamespaceController() override;

  std::string_view name() const override { return "namespace"; }
  void Run() override;
  void Stop() override;

 private:
  absl::Status Sync(const std::string& name);
  // Deletes what is left; returns how many objects still exist (being deleted).
  absl::StatusOr<size_t> DeleteContents(const std::string& namespace_name);
  absl::Status Finalize(const api::Json& namespace_object);

  ControllerContext context_;
  client::Informer& namespaces_;
  client::WorkQueue queue_;
  QueueWorkers workers_;
};

}  // namespace orch::controllers
