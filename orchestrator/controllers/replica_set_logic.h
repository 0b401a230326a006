// The decisions of the ReplicaSet controller as pure functions of the objects it observes:
// which pods count, which to delete first, which to adopt or release, how many to create per
// batch, and the status to write. The controller (replica_set_controller.h) applies them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/selector.h"
#include "orchestrator/api/types.h"

namespace orch::controllers {

// At most this many pods are created or deleted in one sync, as upstream's burstReplicas.
inline constexpr int64_t kBurstReplicas = 500;

// Counts as a replica: not Succeeded or Failed, and not being deleted.
bool IsPodActive(const api::Json& pod);
// Condition Ready is True.
bool IsPodReady(const api::Json& pod);
// Ready for at least `min_ready_seconds` at `now` (by the Ready condition's transition time).
bool IsPodAvailable(const api::Json& pod, int64_t min_ready_seconds, absl::Time now);
// For a ready pod that is not yet available: when it becomes available.
std::optional<absl::Time> BecomesAvailableAt(const api::Json& pod, int64_t min_ready_seconds,
                                             absl::Time now);

// Whether `a` goes before `b` when choosing pods to delete (upstream ActivePods): unscheduled
// before scheduled; Pending before Unknown before Running; not ready before ready; ready more
// recently before ready longer; more container restarts before fewer; newer before older.
bool DeletePodBefore(const api::Json& a, const api::Json& b);
// The `count` pods to delete, in that order.
std::vector<api::Json> PodsToDelete(std::vector<api::Json> pods, int64_t count);
// The same over pods kept elsewhere (the informer's cache), so that choosing copies none.
std::vector<const api::Json*> ChoosePodsToDelete(std::vector<const api::Json*> pods, int64_t count);

// What an owner does with a candidate dependent (upstream ControllerRefManager.Claim*).
enum class ClaimAction {
  kIgnore,   // another controller owns it, or it neither matches nor is owned
  kOwned,    // already ours and matching
  kAdopt,    // an orphan that matches: add our controller reference
  kRelease,  // ours but no longer matching: remove our reference
};
ClaimAction DecideClaim(const api::Json& owner, const api::LabelSelector& selector,
                        const api::Json& candidate);

// {apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true}.
api::Json ControllerReferenceTo(const api::Json& owner);
// Strategic merge patches adding or removing the owner's reference; they carry the
// dependent's uid so that a recreated namesake is not touched.
std::string AdoptionPatch(const api::Json& owner, const api::Json& dependent);
std::string ReleasePatch(std::string_view owner_uid, const api::Json& dependent);

// A pod for the ReplicaSet: the template's labels, annotations, finalizers and spec,
// generateName "<rs>-", and the controller reference.
api::Json NewPodFromTemplate(const api::Json& replica_set);

// How many pods each creation batch makes for `count` pods: 1, 2, 4, ... (upstream
// slowStartBatch), so a failing template costs one request, not hundreds.
std::vector<int64_t> SlowStartBatches(int64_t count);

// Status from the active pods the ReplicaSet owns.
api::WorkloadStatus CalculateReplicaSetStatus(const api::Json& replica_set,
                                              const std::vector<api::Json>& active_pods,
                                              absl::Time now);
// The same over pods kept elsewhere (the informer's cache).
api::WorkloadStatus ReplicaSetStatusFor(const api::Json& replica_set,
                                        const std::vector<const api::Json*>& active_pods,
                                        absl::Time now);

}  // namespace orch::controllers
