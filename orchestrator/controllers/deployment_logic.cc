#include "orchestrator/controllers/deployment_logic.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/text.h"

namespace orch::controllers {
namespace {

using api::Json;

// The revision-history annotation is kept under this many characters, as upstream's default.
constexpr size_t kMaxRevisionHistoryChars = 2000;

std::optional<int64_t> IntAnnotation(const Json& object, std::string_view key) {
  int64_t value = 0;
  const Json* text = api::Member(api::AnnotationsOf(object), key);
  if (text == nullptr || !text->is_string() ||
      !absl::SimpleAtoi(text->get<std::string>(), &value)) {
    return std::nullopt;
  }
  return value;
}

bool OlderFirst(const ReplicaSetView& a, const ReplicaSetView& b) {
  if (a.created != b.created) return a.created < b.created;
  return a.name < b.name;
}

int64_t SumSpecs(const std::vector<ReplicaSetView>& replica_sets) {
  int64_t sum = 0;
  for (const ReplicaSetView& rs : replica_sets)
    sum += rs.spec_replicas;
  return sum;
}

bool IsRollingUpdate(const api::DeploymentSpec& spec) {
  return spec.strategy_type == "RollingUpdate";
}

Json& Annotations(Json& object) {
  return api::EnsureObject(api::EnsureObject(object, "metadata"), "annotations");
}

}  // namespace

ReplicaSetView ReplicaSetView::FromJson(const Json& replica_set) {
  ReplicaSetView view;
  view.name = api::NameOf(replica_set);
  view.created = api::TimestampAt(replica_set, {"metadata", "creationTimestamp"})
                     .value_or(absl::InfinitePast());
  view.spec_replicas = api::IntAt(replica_set, {"spec", "replicas"}).value_or(1);
  view.status_replicas = api::IntAt(replica_set, {"status", "replicas"}).value_or(0);
  view.ready_replicas = api::IntAt(replica_set, {"status", "readyReplicas"}).value_or(0);
  view.available_replicas = api::IntAt(replica_set, {"status", "availableReplicas"}).value_or(0);
  view.generation = api::GenerationOf(replica_set);
  view.observed_generation = api::IntAt(replica_set, {"status", "observedGeneration"}).value_or(0);
  view.revision = IntAnnotation(replica_set, kRevisionAnnotation).value_or(0);
  view.desired_replicas_annotation = IntAnnotation(replica_set, kDesiredReplicasAnnotation);
  view.max_replicas_annotation = IntAnnotation(replica_set, kMaxReplicasAnnotation);
  view.being_deleted = api::IsBeingDeleted(replica_set);
  return view;
}

absl::StatusOr<Fenceposts> ResolveFenceposts(const api::DeploymentSpec& spec) {
  absl::StatusOr<int64_t> surge = spec.max_surge.Scaled(spec.replicas, /*round_up=*/true);
  if (!surge.ok()) return surge.status();
  absl::StatusOr<int64_t> unavailable =
      spec.max_unavailable.Scaled(spec.replicas, /*round_up=*/false);
  if (!unavailable.ok()) return unavailable.status();
  Fenceposts fenceposts{*surge, *unavailable};
  // Rounding down may make both zero; upstream then allows one unavailable pod rather than
  // relying on surge, which quota might forbid.
  if (fenceposts.max_surge == 0 && fenceposts.max_unavailable == 0) fenceposts.max_unavailable = 1;
  return fenceposts;
}

int64_t MaxUnavailable(const api::DeploymentSpec& spec) {
  if (!IsRollingUpdate(spec) || spec.replicas == 0) return 0;
  absl::StatusOr<Fenceposts> fenceposts = ResolveFenceposts(spec);
  if (!fenceposts.ok()) return 0;
  return std::min(fenceposts->max_unavailable, spec.replicas);
}

int64_t MaxSurge(const api::DeploymentSpec& spec) {
  if (!IsRollingUpdate(spec)) return 0;
  absl::StatusOr<Fenceposts> fenceposts = ResolveFenceposts(spec);
  return fenceposts.ok() ? fenceposts->max_surge : 0;
}

int64_t NewReplicaSetSize(const api::DeploymentSpec& spec, const std::vector<ReplicaSetView>& all,
                          const ReplicaSetView& new_rs) {
  if (!IsRollingUpdate(spec)) return spec.replicas;
  const int64_t max_total = spec.replicas + MaxSurge(spec);
  const int64_t current = SumSpecs(all);
  if (current >= max_total) return new_rs.spec_replicas;
  const int64_t scale_up = std::min(max_total - current, spec.replicas - new_rs.spec_replicas);
  return new_rs.spec_replicas + std::max<int64_t>(scale_up, 0);
}

std::map<std::string, int64_t> ScaleDownOldReplicaSets(const api::DeploymentSpec& spec,
                                                       std::vector<ReplicaSetView> old_active,
                                                       const ReplicaSetView& new_rs) {
  std::map<std::string, int64_t> sizes;
  const int64_t old_pods = SumSpecs(old_active);
  if (old_pods == 0) return sizes;
  const int64_t all_pods = old_pods + new_rs.spec_replicas;
  const int64_t min_available = spec.replicas - MaxUnavailable(spec);
  const int64_t new_unavailable = new_rs.spec_replicas - new_rs.CountedAvailable();
  const int64_t max_scaled_down = all_pods - min_available - new_unavailable;
  if (max_scaled_down <= 0) return sizes;
  std::sort(old_active.begin(), old_active.end(), OlderFirst);

  // Unhealthy replicas first: removing them costs no availability.
  int64_t cleaned = 0;
  for (ReplicaSetView& rs : old_active) {
    if (cleaned >= max_scaled_down) break;
    const int64_t unhealthy = rs.spec_replicas - rs.CountedAvailable();
    if (rs.spec_replicas == 0 || unhealthy <= 0) continue;
    const int64_t count = std::min(max_scaled_down - cleaned, unhealthy);
    rs.spec_replicas -= count;
    sizes[rs.name] = rs.spec_replicas;
    cleaned += count;
  }

  // Then available ones, down to the minimum available.
  int64_t available = new_rs.CountedAvailable();
  for (const ReplicaSetView& rs : old_active)
    available += rs.CountedAvailable();
  if (available <= min_available) return sizes;
  const int64_t to_scale_down = available - min_available;
  int64_t scaled = 0;
  for (ReplicaSetView& rs : old_active) {
    if (scaled >= to_scale_down) break;
    if (rs.spec_replicas == 0) continue;
    const int64_t count = std::min(rs.spec_replicas, to_scale_down - scaled);
    rs.spec_replicas -= count;
    sizes[rs.name] = rs.spec_replicas;
    scaled += count;
  }
  return sizes;
}

std::map<std::string, int64_t> ProportionalSizes(const api::DeploymentSpec& spec,
                                                 int64_t deployment_status_replicas,
                                                 std::vector<ReplicaSetView> active) {
  std::map<std::string, int64_t> sizes;
  if (active.empty()) return sizes;
  const int64_t max_replicas = spec.replicas + MaxSurge(spec);
  const int64_t allowed = spec.replicas > 0 ? max_replicas : 0;
  const int64_t to_add = allowed - SumSpecs(active);
  // Ties: when growing the newer ReplicaSet first, when shrinking the older one.
  std::sort(active.begin(), active.end(), [&](const ReplicaSetView& a, const ReplicaSetView& b) {
    if (a.spec_replicas != b.spec_replicas) return a.spec_replicas > b.spec_replicas;
    return to_add > 0 ? OlderFirst(b, a) : OlderFirst(a, b);
  });
  int64_t added = 0;
  for (const ReplicaSetView& rs : active) {
    int64_t proportion = 0;
    if (to_add != 0 && rs.spec_replicas != 0 && to_add != added) {
      int64_t fraction = 0;
      if (spec.replicas == 0) {
        fraction = -rs.spec_replicas;
      } else {
        int64_t before = rs.max_replicas_annotation.value_or(0);
        if (before == 0) before = deployment_status_replicas;
        if (before != 0) {
          fraction = std::llround(static_cast<double>(rs.spec_replicas * max_replicas) /
                                  static_cast<double>(before)) -
                     rs.spec_replicas;
        }
      }
      const int64_t remaining = to_add - added;
      proportion = to_add > 0 ? std::min(fraction, remaining) : std::max(fraction, remaining);
    }
    sizes[rs.name] = rs.spec_replicas + proportion;
    added += proportion;
  }
  // Leftovers go to the largest.
  int64_t& largest = sizes[active.front().name];
  largest = std::max<int64_t>(largest + to_add - added, 0);
  return sizes;
}

bool IsSaturated(const api::DeploymentSpec& spec, const ReplicaSetView& new_rs) {
  return new_rs.spec_replicas == spec.replicas &&
         new_rs.desired_replicas_annotation == spec.replicas &&
         new_rs.available_replicas == spec.replicas;
}

int64_t NextRevision(const std::vector<ReplicaSetView>& old_replica_sets) {
  int64_t max_revision = 0;
  for (const ReplicaSetView& rs : old_replica_sets)
    max_revision = std::max(max_revision, rs.revision);
  return max_revision + 1;
}

bool SkipsCopyToReplicaSet(std::string_view annotation) {
  return annotation == "kubectl.kubernetes.io/last-applied-configuration" ||
         annotation == kRevisionAnnotation || annotation == kRevisionHistoryAnnotation ||
         annotation == kDesiredReplicasAnnotation || annotation == kMaxReplicasAnnotation ||
         annotation == "deprecated.deployment.rollback.to";
}

bool SetNewReplicaSetAnnotations(const Json& deployment, Json& replica_set, int64_t new_revision,
                                 bool exists) {
  bool changed = false;
  Json& annotations = Annotations(replica_set);
  for (const auto& [key, value] : api::AnnotationsOf(deployment).items()) {
    if (SkipsCopyToReplicaSet(key) || (annotations.contains(key) && annotations[key] == value)) {
      continue;
    }
    annotations[key] = value;
    changed = true;
  }
  const std::string old_text = api::StringAt(annotations, {kRevisionAnnotation});
  int64_t old_revision = 0;
  if (!old_text.empty() && !absl::SimpleAtoi(old_text, &old_revision)) return changed;
  if (old_revision < new_revision) {
    annotations[std::string(kRevisionAnnotation)] = std::to_string(new_revision);
    changed = true;
    if (!old_text.empty()) {
      // A rollback reuses this ReplicaSet: remember the revisions it had.
      std::vector<std::string> history = absl::StrSplit(
          api::StringAt(annotations, {kRevisionHistoryAnnotation}), ',', absl::SkipEmpty());
      history.push_back(old_text);
      while (absl::StrJoin(history, ",").size() > kMaxRevisionHistoryChars && history.size() > 1) {
        history.erase(history.begin());
      }
      annotations[std::string(kRevisionHistoryAnnotation)] = absl::StrJoin(history, ",");
    }
  }
  if (!exists) {
    const api::DeploymentSpec spec =
        api::DeploymentSpec::FromJson(api::ObjectAt(deployment, {"spec"}));
    changed = SetReplicasAnnotations(replica_set, spec.replicas, spec.replicas + MaxSurge(spec)) ||
              changed;
  }
  return changed;
}

bool SetReplicasAnnotations(Json& replica_set, int64_t desired, int64_t max) {
  Json& annotations = Annotations(replica_set);
  const std::string desired_text = std::to_string(desired);
  const std::string max_text = std::to_string(max);
  if (api::StringAt(annotations, {kDesiredReplicasAnnotation}) == desired_text &&
      api::StringAt(annotations, {kMaxReplicasAnnotation}) == max_text) {
    return false;
  }
  annotations[std::string(kDesiredReplicasAnnotation)] = desired_text;
  annotations[std::string(kMaxReplicasAnnotation)] = max_text;
  return true;
}

api::Condition NewCondition(std::string type, std::string status, std::string reason,
                            std::string message, absl::Time now) {
  api::Condition condition;
  condition.type = std::move(type);
  condition.status = std::move(status);
  condition.reason = std::move(reason);
  condition.message = std::move(message);
  condition.last_update_time = now;
  condition.last_transition_time = now;
  return condition;
}

const api::Condition* FindWorkloadCondition(const api::WorkloadStatus& status,
                                            std::string_view type) {
  for (const api::Condition& condition : status.conditions) {
    if (condition.type == type) return &condition;
  }
  return nullptr;
}

void SetWorkloadCondition(api::WorkloadStatus& status, api::Condition condition) {
  for (api::Condition& existing : status.conditions) {
    if (existing.type != condition.type) continue;
    if (existing.status == condition.status && existing.reason == condition.reason) return;
    if (existing.status == condition.status) {
      condition.last_transition_time = existing.last_transition_time;
    }
    existing = std::move(condition);
    return;
  }
  status.conditions.push_back(std::move(condition));
}

api::WorkloadStatus CalculateDeploymentStatus(const Json& deployment,
                                              const std::vector<ReplicaSetView>& all,
                                              const std::optional<ReplicaSetView>& new_rs,
                                              absl::Time now) {
  const api::DeploymentSpec spec =
      api::DeploymentSpec::FromJson(api::ObjectAt(deployment, {"spec"}));
  api::WorkloadStatus status = api::WorkloadStatus::FromJson(api::ObjectAt(deployment, {"status"}));
  status.observed_generation = api::GenerationOf(deployment);
  status.replicas = 0;
  status.ready_replicas = 0;
  status.available_replicas = 0;
  for (const ReplicaSetView& rs : all) {
    status.replicas += rs.status_replicas;
    status.ready_replicas += rs.ready_replicas;
    status.available_replicas += rs.available_replicas;
  }
  status.updated_replicas = new_rs.has_value() ? new_rs->status_replicas : 0;
  status.unavailable_replicas = std::max<int64_t>(SumSpecs(all) - status.available_replicas, 0);
  if (status.available_replicas >= spec.replicas - MaxUnavailable(spec)) {
    SetWorkloadCondition(status, NewCondition("Available", "True", "MinimumReplicasAvailable",
                                              "Deployment has minimum availability.", now));
  } else {
    SetWorkloadCondition(status,
                         NewCondition("Available", "False", "MinimumReplicasUnavailable",
                                      "Deployment does not have minimum availability.", now));
  }
  return status;
}

bool DeploymentComplete(const Json& deployment, const api::WorkloadStatus& status) {
  const int64_t replicas = api::IntAt(deployment, {"spec", "replicas"}).value_or(1);
  return status.updated_replicas == replicas && status.replicas == replicas &&
         status.available_replicas == replicas &&
         status.observed_generation >= api::GenerationOf(deployment);
}

void UpdateProgressingCondition(const Json& deployment, const std::optional<ReplicaSetView>& new_rs,
                                api::WorkloadStatus& status, absl::Time now) {
  const api::WorkloadStatus old =
      api::WorkloadStatus::FromJson(api::ObjectAt(deployment, {"status"}));
  const api::Condition* current = FindWorkloadCondition(old, "Progressing");
  const bool complete_before = status.replicas == status.updated_replicas && current != nullptr &&
                               current->reason == "NewReplicaSetAvailable";
  if (complete_before || !api::IntAt(deployment, {"spec", "progressDeadlineSeconds"}).has_value()) {
    return;
  }
  const std::string name = api::NameOf(deployment);
  const std::string subject = new_rs.has_value() ? api::Cat("ReplicaSet \"", new_rs->name, "\"")
                                                 : api::Cat("Deployment \"", name, "\"");
  if (DeploymentComplete(deployment, status)) {
    SetWorkloadCondition(status, NewCondition("Progressing", "True", "NewReplicaSetAvailable",
                                              subject + " has successfully progressed.", now));
    return;
  }
  const bool progressing =
      status.updated_replicas > old.updated_replicas ||
      status.replicas - status.updated_replicas < old.replicas - old.updated_replicas ||
      status.ready_replicas > old.ready_replicas ||
      status.available_replicas > old.available_replicas;
  if (progressing) {
    api::Condition condition =
        NewCondition("Progressing", "True", "ReplicaSetUpdated", subject + " is progressing.", now);
    if (current != nullptr && current->status == "True") {
      condition.last_transition_time = current->last_transition_time;
    }
    std::erase_if(status.conditions,
                  [](const api::Condition& c) { return c.type == "Progressing"; });
    status.conditions.push_back(std::move(condition));
    return;
  }
  if (current == nullptr) return;
  const int64_t deadline =
      api::IntAt(deployment, {"spec", "progressDeadlineSeconds"}).value_or(600);
  const bool timed_out = current->reason == "ProgressDeadlineExceeded" ||
                         (current->last_update_time.has_value() &&
                          *current->last_update_time + absl::Seconds(deadline) < now);
  if (timed_out) {
    SetWorkloadCondition(status, NewCondition("Progressing", "False", "ProgressDeadlineExceeded",
                                              subject + " has timed out progressing.", now));
  }
}

std::optional<absl::Time> ProgressDeadlineCheckAt(const Json& deployment,
                                                  const api::WorkloadStatus& status) {
  const api::Condition* current = FindWorkloadCondition(status, "Progressing");
  std::optional<int64_t> deadline = api::IntAt(deployment, {"spec", "progressDeadlineSeconds"});
  if (current == nullptr || !deadline.has_value() || DeploymentComplete(deployment, status) ||
      current->reason == "ProgressDeadlineExceeded" || !current->last_update_time.has_value()) {
    return std::nullopt;
  }
  return *current->last_update_time + absl::Seconds(*deadline) + absl::Seconds(1);
}

std::vector<std::string> ReplicaSetsToCleanUp(int64_t revision_history_limit,
                                              std::vector<ReplicaSetView> old_replica_sets) {
  std::erase_if(old_replica_sets, [](const ReplicaSetView& rs) { return rs.being_deleted; });
  const int64_t excess = static_cast<int64_t>(old_replica_sets.size()) - revision_history_limit;
  std::vector<std::string> names;
  if (excess <= 0) return names;
  std::sort(old_replica_sets.begin(), old_replica_sets.end(),
            [](const ReplicaSetView& a, const ReplicaSetView& b) {
              if (a.revision != b.revision) return a.revision < b.revision;
              return OlderFirst(a, b);
            });
  for (int64_t i = 0; i < excess; ++i) {
    const ReplicaSetView& rs = old_replica_sets[static_cast<size_t>(i)];
    if (rs.status_replicas != 0 || rs.spec_replicas != 0 ||
        rs.generation > rs.observed_generation) {
      continue;
    }
    names.push_back(rs.name);
  }
  return names;
}

}  // namespace orch::controllers
