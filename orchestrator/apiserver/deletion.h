// What a DELETE does to an object, as Kubernetes' generic registry decides it
// (apiserver pkg/registry/rest/delete.go BeforeDelete, registry/generic/registry/store.go
// Delete and deletionFinalizersForGarbageCollection, and the namespace registry's Delete):
// DeleteOptions, preconditions, graceful pod deletion, finalizers, the garbage collector's
// "orphan"/"foregroundDeletion" finalizers, and namespaces that terminate before they go.
// Pure functions over JSON documents: the handler reads, plans, then writes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orchestrator/api/field_errors.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/registry.h"

namespace orch::apiserver {

inline constexpr std::string_view kOrphanFinalizer = "orphan";
inline constexpr std::string_view kForegroundFinalizer = "foregroundDeletion";

struct DeleteOptions {
  std::optional<int64_t> grace_period_seconds;
  std::optional<std::string> propagation_policy;  // Orphan, Background, Foreground
  std::optional<bool> orphan_dependents;          // deprecated form of the policy
  std::optional<std::string> precondition_uid;
  std::optional<std::string> precondition_resource_version;
  std::vector<std::string> dry_run;  // valid: only "All"

  bool IsDryRun() const { return !dry_run.empty(); }
};

// A metav1.DeleteOptions document (a DELETE body, or an Eviction's deleteOptions).
// InvalidArgument when a field has the wrong type, as decoding fails upstream.
absl::StatusOr<DeleteOptions> DeleteOptionsFromJson(const api::Json& document);
// The query parameters gracePeriodSeconds, propagationPolicy, orphanDependents and dryRun;
// `query` returns "" for an absent parameter.
absl::StatusOr<DeleteOptions> DeleteOptionsFromQuery(
    const std::function<std::string(std::string_view)>& query);
// Upstream's ValidateDeleteOptions: reported as Invalid DeleteOptions.meta.k8s.io.
api::FieldErrors ValidateDeleteOptions(const DeleteOptions& options);

// "" when the options' preconditions hold for `object`; otherwise why not, in upstream's
// words ("Precondition failed: UID in precondition: a, UID in object meta: b").
std::string PreconditionFailure(const DeleteOptions& options, const api::Json& object);

struct DeletionPlan {
  enum class Action {
    kRemove,   // delete the key now
    kUpdate,   // store `object` (marked for deletion) and keep the key
    kPending,  // already being deleted and nothing changes: answer with `object`
    kConflict  // refused (a terminating namespace whose finalizers have not run): 409
  };
  Action action = Action::kRemove;
  api::Json object;  // kRemove, kPending: the existing object; kUpdate: what to store
  std::string conflict;
};

// What DELETE with `options` does to `existing` at `now`:
// * a bound, non-terminal pod with a grace period g > 0 (options, else
//   spec.terminationGracePeriodSeconds) gets deletionTimestamp now+g and
//   deletionGracePeriodSeconds g; a second DELETE may shorten g, never lengthen it;
// * an object with finalizers (after the propagation policy added "orphan" or
//   "foregroundDeletion") is marked (deletionTimestamp, deletionGracePeriodSeconds 0) and kept;
// * a namespace becomes Terminating and stays while spec.finalizers is not empty;
// * anything else is removed at once.
DeletionPlan PlanDeletion(api::Kind kind, const api::Json& existing, const DeleteOptions& options,
                          absl::Time now);

// Whether the update of `existing` to `updated` removes the object instead: a marked object
// whose last finalizer went (with deletionGracePeriodSeconds 0, as upstream's
// ShouldDeleteDuringUpdate); a terminating namespace once spec.finalizers and
// metadata.finalizers are both empty.
bool ShouldRemoveOnUpdate(api::Kind kind, const api::Json& existing, const api::Json& updated);

// Finalizers may not be added to an object that is being deleted (upstream
// ValidateNoNewFinalizers): a Forbidden error on metadata.finalizers, or none.
api::FieldErrors ValidateNoNewFinalizers(const api::Json& existing, const api::Json& updated);

// The namespace after PUT .../finalize: `existing` with the spec.finalizers of `finalized`.
api::Json WithNamespaceFinalizers(const api::Json& existing, const api::Json& finalized);

}  // namespace orch::apiserver
