#include "orchestrator/controllers/replica_set_logic.h"

#include <algorithm>

#include "orchestrator/api/object.h"

namespace orch::controllers {
namespace {

using api::Json;

int PhaseRank(const Json& pod) {
  const std::string phase = api::StringAt(pod, {"status", "phase"});
  if (phase == "Pending") return 0;
  if (phase == "Unknown") return 1;
  if (phase == "Running") return 2;
  return 3;
}

std::optional<absl::Time> ReadySince(const Json& pod) {
  const Json* ready = api::FindCondition(api::ArrayAt(pod, {"status", "conditions"}), "Ready");
  if (ready == nullptr || api::StringAt(*ready, {"status"}) != "True") return std::nullopt;
  return api::TimestampAt(*ready, {"lastTransitionTime"});
}

int64_t MaxRestarts(const Json& pod) {
  int64_t restarts = 0;
  for (const Json& status : api::ArrayAt(pod, {"status", "containerStatuses"})) {
    restarts = std::max(restarts, api::IntAt(status, {"restartCount"}).value_or(0));
  }
  return restarts;
}

bool LabelsContain(const Json& labels, const Json& required) {
  if (!required.is_object()) return true;
  for (const auto& [key, value] : required.items()) {
    const Json* have = api::Member(labels, key);
    if (have == nullptr || *have != value) return false;
  }
  return true;
}

}  // namespace

bool IsPodActive(const Json& pod) {
  const std::string phase = api::StringAt(pod, {"status", "phase"});
  return phase != "Succeeded" && phase != "Failed" && !api::IsBeingDeleted(pod);
}

bool IsPodReady(const Json& pod) {
  return api::ConditionStatus(pod, "Ready") == "True";
}

bool IsPodAvailable(const Json& pod, int64_t min_ready_seconds, absl::Time now) {
  if (!IsPodReady(pod)) return false;
  if (min_ready_seconds <= 0) return true;
  std::optional<absl::Time> since = ReadySince(pod);
  return since.has_value() && *since + absl::Seconds(min_ready_seconds) <= now;
}

std::optional<absl::Time> BecomesAvailableAt(const Json& pod, int64_t min_ready_seconds,
                                             absl::Time now) {
  if (!IsPodReady(pod) || IsPodAvailable(pod, min_ready_seconds, now)) return std::nullopt;
  std::optional<absl::Time> since = ReadySince(pod);
  if (!since.has_value()) return std::nullopt;
  return *since + absl::Seconds(min_ready_seconds);
}

bool DeletePodBefore(const Json& a, const Json& b) {
  const bool a_scheduled = !api::StringAt(a, {"spec", "nodeName"}).empty();
  const bool b_scheduled = !api::StringAt(b, {"spec", "nodeName"}).empty();
  if (a_scheduled != b_scheduled) return !a_scheduled;
  if (PhaseRank(a) != PhaseRank(b)) return PhaseRank(a) < PhaseRank(b);
  if (IsPodReady(a) != IsPodReady(b)) return !IsPodReady(a);
  if (IsPodReady(a)) {
    std::optional<absl::Time> a_since = ReadySince(a);
    std::optional<absl::Time> b_since = ReadySince(b);
    if (a_since != b_since) {
      if (!a_since.has_value() || !b_since.has_value()) return !a_since.has_value();
      return *a_since > *b_since;
    }
  }
  if (MaxRestarts(a) != MaxRestarts(b)) return MaxRestarts(a) > MaxRestarts(b);
  std::optional<absl::Time> a_created = api::TimestampAt(a, {"metadata", "creationTimestamp"});
  std::optional<absl::Time> b_created = api::TimestampAt(b, {"metadata", "creationTimestamp"});
  if (a_created != b_created) {
    if (!a_created.has_value() || !b_created.has_value()) return !a_created.has_value();
    return *a_created > *b_created;
  }
  // Same second: the later name was most likely created later; any fixed order will do.
  return api::NameOf(a) > api::NameOf(b);
}

std::vector<Json> PodsToDelete(std::vector<Json> pods, int64_t count) {
  std::vector<const Json*> views;
  views.reserve(pods.size());
  for (const Json& pod : pods)
    views.push_back(&pod);
  std::vector<Json> chosen;
  for (const Json* pod : ChoosePodsToDelete(std::move(views), count))
    chosen.push_back(*pod);
  return chosen;
}

std::vector<const Json*> ChoosePodsToDelete(std::vector<const Json*> pods, int64_t count) {
  std::sort(pods.begin(), pods.end(),
            [](const Json* a, const Json* b) { return DeletePodBefore(*a, *b); });
  if (count < static_cast<int64_t>(pods.size())) pods.resize(static_cast<size_t>(count));
  return pods;
}

ClaimAction DecideClaim(const Json& owner, const api::LabelSelector& selector,
                        const Json& candidate) {
  const Json* controller_ref = api::ControllerRefOf(candidate);
  const bool matches = selector.Matches(api::LabelsOf(candidate));
  if (controller_ref != nullptr) {
    if (api::StringAt(*controller_ref, {"uid"}) != api::UidOf(owner)) return ClaimAction::kIgnore;
    if (matches) return ClaimAction::kOwned;
    // An owner being deleted keeps what it has, so the garbage collector finds it.
    return api::IsBeingDeleted(owner) ? ClaimAction::kIgnore : ClaimAction::kRelease;
  }
  if (!matches || api::IsBeingDeleted(owner) || api::IsBeingDeleted(candidate)) {
    return ClaimAction::kIgnore;
  }
  return ClaimAction::kAdopt;
}

Json ControllerReferenceTo(const Json& owner) {
  return {{"apiVersion", api::ApiVersionOf(owner)},
          {"kind", api::KindOf(owner)},
          {"name", api::NameOf(owner)},
          {"uid", api::UidOf(owner)},
          {"controller", true},
          {"blockOwnerDeletion", true}};
}

std::string AdoptionPatch(const Json& owner, const Json& dependent) {
  Json patch = {{"metadata",
                 {{"ownerReferences", Json::array({ControllerReferenceTo(owner)})},
                  {"uid", api::UidOf(dependent)}}}};
  return patch.dump();
}

std::string ReleasePatch(std::string_view owner_uid, const Json& dependent) {
  Json patch = {
      {"metadata",
       {{"ownerReferences", Json::array({{{"$patch", "delete"}, {"uid", std::string(owner_uid)}}})},
        {"uid", api::UidOf(dependent)}}}};
  return patch.dump();
}

Json NewPodFromTemplate(const Json& replica_set) {
  const Json& template_metadata = api::ObjectAt(replica_set, {"spec", "template", "metadata"});
  Json metadata = {{"generateName", api::NameOf(replica_set) + "-"},
                   {"namespace", api::NamespaceOf(replica_set)},
                   {"ownerReferences", Json::array({ControllerReferenceTo(replica_set)})}};
  for (const char* key : {"labels", "annotations", "finalizers"}) {
    if (const Json* value = api::Member(template_metadata, key)) metadata[key] = *value;
  }
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", std::move(metadata)},
          {"spec", api::ObjectAt(replica_set, {"spec", "template", "spec"})}};
}

std::vector<int64_t> SlowStartBatches(int64_t count) {
  std::vector<int64_t> batches;
  for (int64_t size = std::min<int64_t>(count, 1), remaining = count; size > 0;
       size = std::min(2 * size, remaining)) {
    batches.push_back(size);
    remaining -= size;
  }
  return batches;
}

api::WorkloadStatus CalculateReplicaSetStatus(const Json& replica_set,
                                              const std::vector<Json>& active_pods,
                                              absl::Time now) {
  std::vector<const Json*> views;
  views.reserve(active_pods.size());
  for (const Json& pod : active_pods)
    views.push_back(&pod);
  return ReplicaSetStatusFor(replica_set, views, now);
}

api::WorkloadStatus ReplicaSetStatusFor(const Json& replica_set,
                                        const std::vector<const Json*>& active_pods,
                                        absl::Time now) {
  api::WorkloadStatus status =
      api::WorkloadStatus::FromJson(api::ObjectAt(replica_set, {"status"}));
  const api::ReplicaSetSpec spec =
      api::ReplicaSetSpec::FromJson(api::ObjectAt(replica_set, {"spec"}));
  const Json& template_labels = api::ObjectAt(spec.pod_template, {"metadata", "labels"});
  status.replicas = static_cast<int64_t>(active_pods.size());
  status.fully_labeled_replicas = 0;
  status.ready_replicas = 0;
  status.available_replicas = 0;
  for (const Json* pod : active_pods) {
    if (LabelsContain(api::LabelsOf(*pod), template_labels)) ++status.fully_labeled_replicas;
    if (IsPodReady(*pod)) ++status.ready_replicas;
    if (IsPodAvailable(*pod, spec.min_ready_seconds, now)) ++status.available_replicas;
  }
  status.observed_generation = api::GenerationOf(replica_set);
  return status;
}

}  // namespace orch::controllers
