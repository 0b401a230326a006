#include "orchestrator/apiserver/deletion.h"

#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "orchestrator/api/object.h"

namespace orch::apiserver {
namespace {

using api::Json;

absl::Status WrongType(std::string_view field, std::string_view wanted) {
  return absl::InvalidArgumentError(
      absl::StrCat("DeleteOptions.", std::string(field), ": expected ", std::string(wanted)));
}

std::vector<std::string> FinalizersOf(const Json& object) {
  std::vector<std::string> finalizers;
  for (const Json& finalizer : api::ArrayAt(object, {"metadata", "finalizers"})) {
    if (finalizer.is_string()) finalizers.push_back(finalizer.get<std::string>());
  }
  return finalizers;
}

void SetFinalizers(Json& object, const std::vector<std::string>& finalizers) {
  Json& metadata = api::EnsureObject(object, "metadata");
  if (finalizers.empty()) {
    metadata.erase("finalizers");
  } else {
    metadata["finalizers"] = finalizers;
  }
}

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// The first of "orphan"/"foregroundDeletion" in the object's finalizers, which stands for the
// policy when the request names none.
std::string_view FinalizerPolicy(const std::vector<std::string>& finalizers) {
  for (const std::string& finalizer : finalizers) {
    if (finalizer == kOrphanFinalizer) return "Orphan";
    if (finalizer == kForegroundFinalizer) return "Foreground";
  }
  return "";
}

// The finalizers after the garbage collection policy of the request (default Background):
// "orphan" for Orphan, "foregroundDeletion" for Foreground, neither for Background.
std::vector<std::string> GarbageCollectionFinalizers(const Json& object,
                                                     const DeleteOptions& options) {
  const std::vector<std::string> current = FinalizersOf(object);
  std::string_view policy;
  if (options.orphan_dependents.has_value()) {
    policy = *options.orphan_dependents ? "Orphan" : "Background";
  } else if (options.propagation_policy.has_value()) {
    policy = *options.propagation_policy;
  } else {
    policy = FinalizerPolicy(current);
  }
  std::vector<std::string> finalizers;
  for (const std::string& finalizer : current) {
    if (finalizer != kOrphanFinalizer && finalizer != kForegroundFinalizer) {
      finalizers.push_back(finalizer);
    }
  }
  if (policy == "Orphan") finalizers.emplace_back(kOrphanFinalizer);
  if (policy == "Foreground") finalizers.emplace_back(kForegroundFinalizer);
  if (std::set<std::string>(finalizers.begin(), finalizers.end()) ==
      std::set<std::string>(current.begin(), current.end())) {
    return current;
  }
  return finalizers;
}

// The grace period a new deletion of `pod` gets (upstream podStrategy.CheckGracefulDelete):
// the request's, else the pod's terminationGracePeriodSeconds; 0 for a pod not on a node or
// already terminated; negative values become 1.
int64_t PodGracePeriod(const Json& pod, const DeleteOptions& options) {
  int64_t period = options.grace_period_seconds.value_or(
      api::IntAt(pod, {"spec", "terminationGracePeriodSeconds"}).value_or(0));
  const std::string phase = api::StringAt(pod, {"status", "phase"});
  if (api::StringAt(pod, {"spec", "nodeName"}).empty() || phase == "Succeeded" ||
      phase == "Failed") {
    period = 0;
  }
  return period < 0 ? 1 : period;
}

void BumpGeneration(Json& object) {
  const int64_t generation = api::GenerationOf(object);
  if (generation > 0) object["metadata"]["generation"] = generation + 1;
}

// Upstream markAsDeleting: deletionTimestamp now (unless an earlier one is set) and
// deletionGracePeriodSeconds 0.
void MarkAsDeleting(Json& object, absl::Time now) {
  std::optional<absl::Time> marked = api::TimestampAt(object, {"metadata", "deletionTimestamp"});
  if (!marked.has_value()) BumpGeneration(object);
  Json& metadata = api::EnsureObject(object, "metadata");
  if (!marked.has_value() || *marked > now)
    metadata["deletionTimestamp"] = api::FormatTimestamp(now);
  metadata["deletionGracePeriodSeconds"] = 0;
}

DeletionPlan Plan(DeletionPlan::Action action, Json object) {
  DeletionPlan plan;
  plan.action = action;
  plan.object = std::move(object);
  return plan;
}

DeletionPlan PlanNamespaceDeletion(const Json& existing, const DeleteOptions& options,
                                   absl::Time now) {
  const bool spec_finalizers = !api::ArrayAt(existing, {"spec", "finalizers"}).empty();
  if (api::IsBeingDeleted(existing)) {
    if (spec_finalizers) {
      DeletionPlan plan = Plan(DeletionPlan::Action::kConflict, existing);
      plan.conflict =
          "The system is ensuring all content is removed from this namespace.  Upon completion, "
          "this namespace will automatically be purged by the system.";
      return plan;
    }
    if (api::HasFinalizers(existing)) return Plan(DeletionPlan::Action::kPending, existing);
    return Plan(DeletionPlan::Action::kRemove, existing);
  }
  Json marked = existing;
  Json& metadata = api::EnsureObject(marked, "metadata");
  metadata["deletionTimestamp"] = api::FormatTimestamp(now);
  metadata["deletionGracePeriodSeconds"] = 0;
  api::EnsureObject(marked, "status")["phase"] = "Terminating";
  SetFinalizers(marked, GarbageCollectionFinalizers(existing, options));
  if (!spec_finalizers && !api::HasFinalizers(marked)) {
    return Plan(DeletionPlan::Action::kRemove, existing);
  }
  return Plan(DeletionPlan::Action::kUpdate, std::move(marked));
}

}  // namespace

absl::StatusOr<DeleteOptions> DeleteOptionsFromJson(const Json& document) {
  DeleteOptions options;
  if (document.is_null()) return options;
  if (!document.is_object()) return absl::InvalidArgumentError("DeleteOptions is not an object");
  if (const Json* grace = api::Member(document, "gracePeriodSeconds"); grace && !grace->is_null()) {
    if (!grace->is_number_integer()) return WrongType("gracePeriodSeconds", "an integer");
    options.grace_period_seconds = grace->get<int64_t>();
  }
  if (const Json* policy = api::Member(document, "propagationPolicy");
      policy && !policy->is_null()) {
    if (!policy->is_string()) return WrongType("propagationPolicy", "a string");
    options.propagation_policy = policy->get<std::string>();
  }
  if (const Json* orphan = api::Member(document, "orphanDependents");
      orphan && !orphan->is_null()) {
    if (!orphan->is_boolean()) return WrongType("orphanDependents", "a boolean");
    options.orphan_dependents = orphan->get<bool>();
  }
  const Json& preconditions = api::ObjectAt(document, {"preconditions"});
  for (auto [field, target] :
       {std::pair{"uid", &options.precondition_uid},
        std::pair{"resourceVersion", &options.precondition_resource_version}}) {
    const Json* value = api::Member(preconditions, field);
    if (value == nullptr || value->is_null()) continue;
    if (!value->is_string()) return WrongType(absl::StrCat("preconditions.", field), "a string");
    *target = value->get<std::string>();
  }
  if (const Json* dry_run = api::Member(document, "dryRun"); dry_run && !dry_run->is_null()) {
    if (!dry_run->is_array()) return WrongType("dryRun", "a list of strings");
    for (const Json& value : *dry_run) {
      if (!value.is_string()) return WrongType("dryRun", "a list of strings");
      options.dry_run.push_back(value.get<std::string>());
    }
  }
  return options;
}

absl::StatusOr<DeleteOptions> DeleteOptionsFromQuery(
    const std::function<std::string(std::string_view)>& query) {
  DeleteOptions options;
  if (const std::string grace = query("gracePeriodSeconds"); !grace.empty()) {
    int64_t seconds = 0;
    if (!absl::SimpleAtoi(grace, &seconds)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid value for gracePeriodSeconds: ", grace));
    }
    options.grace_period_seconds = seconds;
  }
  if (const std::string policy = query("propagationPolicy"); !policy.empty()) {
    options.propagation_policy = policy;
  }
  if (const std::string orphan = query("orphanDependents"); !orphan.empty()) {
    bool value = false;
    if (!absl::SimpleAtob(orphan, &value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid value for orphanDependents: ", orphan));
    }
    options.orphan_dependents = value;
  }
  if (const std::string dry_run = query("dryRun"); !dry_run.empty()) {
    options.dry_run.push_back(dry_run);
  }
  return options;
}

api::FieldErrors ValidateDeleteOptions(const DeleteOptions& options) {
  api::FieldErrors errors;
  const api::FieldPath policy_path("propagationPolicy");
  if (options.orphan_dependents.has_value() && options.propagation_policy.has_value()) {
    errors.push_back(api::Invalid(policy_path, *options.propagation_policy,
                                  "orphanDependents and deletionPropagation cannot be both set"));
  }
  if (options.propagation_policy.has_value() && *options.propagation_policy != "Foreground" &&
      *options.propagation_policy != "Background" && *options.propagation_policy != "Orphan") {
    errors.push_back(api::NotSupported(policy_path, *options.propagation_policy,
                                       {"Foreground", "Background", "Orphan", "nil"}));
  }
  for (const std::string& value : options.dry_run) {
    if (value != "All") {
      errors.push_back(api::NotSupported(api::FieldPath("dryRun"), options.dry_run, {"All"}));
      break;
    }
  }
  return errors;
}

std::string PreconditionFailure(const DeleteOptions& options, const Json& object) {
  if (options.precondition_uid.has_value() && *options.precondition_uid != api::UidOf(object)) {
    return absl::StrCat("Precondition failed: UID in precondition: ", *options.precondition_uid,
                        ", UID in object meta: ", api::UidOf(object));
  }
  if (options.precondition_resource_version.has_value() &&
      *options.precondition_resource_version != api::ResourceVersionOf(object)) {
    return absl::StrCat("Precondition failed: ResourceVersion in precondition: ",
                        *options.precondition_resource_version,
                        ", ResourceVersion in object meta: ", api::ResourceVersionOf(object));
  }
  return "";
}

DeletionPlan PlanDeletion(api::Kind kind, const Json& existing, const DeleteOptions& options,
                          absl::Time now) {
  if (kind == api::Kind::kNamespace) return PlanNamespaceDeletion(existing, options, now);
  Json updated = existing;
  Json& metadata = api::EnsureObject(updated, "metadata");
  bool graceful = false;
  int64_t grace = 0;
  if (api::IsBeingDeleted(existing)) {
    // Only a shorter grace period may replace a pending one; a deletion already at 0 (or
    // without one) proceeds as an ordinary delete.
    const std::optional<int64_t> pending =
        api::IntAt(existing, {"metadata", "deletionGracePeriodSeconds"});
    if (pending.has_value() && *pending > 0) {
      if (!options.grace_period_seconds.has_value()) {
        return Plan(DeletionPlan::Action::kPending, existing);
      }
      grace = std::max<int64_t>(*options.grace_period_seconds, 0);
      if (*options.grace_period_seconds < 0) grace = 1;
      if (grace >= *pending) return Plan(DeletionPlan::Action::kPending, existing);
      const absl::Time deadline =
          api::TimestampAt(existing, {"metadata", "deletionTimestamp"}).value_or(now);
      metadata["deletionTimestamp"] =
          api::FormatTimestamp(deadline - absl::Seconds(*pending) + absl::Seconds(grace));
      metadata["deletionGracePeriodSeconds"] = grace;
      graceful = true;
    }
  } else if (kind == api::Kind::kPod) {
    grace = PodGracePeriod(existing, options);
    metadata["deletionTimestamp"] = api::FormatTimestamp(now + absl::Seconds(grace));
    metadata["deletionGracePeriodSeconds"] = grace;
    BumpGeneration(updated);
    graceful = true;
  }
  SetFinalizers(updated, GarbageCollectionFinalizers(updated, options));
  const bool pending_finalizers = api::HasFinalizers(updated);
  if (!graceful) {
    if (!pending_finalizers) return Plan(DeletionPlan::Action::kRemove, existing);
    MarkAsDeleting(updated, now);
  } else if (!pending_finalizers && grace == 0) {
    return Plan(DeletionPlan::Action::kRemove, existing);
  }
  if (updated == existing) return Plan(DeletionPlan::Action::kPending, existing);
  return Plan(DeletionPlan::Action::kUpdate, std::move(updated));
}

bool ShouldRemoveOnUpdate(api::Kind kind, const Json& existing, const Json& updated) {
  if (!api::IsBeingDeleted(updated) || api::HasFinalizers(updated)) return false;
  if (kind == api::Kind::kNamespace) {
    return api::ArrayAt(updated, {"spec", "finalizers"}).empty();
  }
  return api::HasFinalizers(existing) &&
         api::IntAt(updated, {"metadata", "deletionGracePeriodSeconds"}) == 0;
}

api::FieldErrors ValidateNoNewFinalizers(const Json& existing, const Json& updated) {
  if (!api::IsBeingDeleted(existing)) return {};
  const std::vector<std::string> before = FinalizersOf(existing);
  std::set<std::string> added;
  for (const std::string& finalizer : FinalizersOf(updated)) {
    if (!Contains(before, finalizer)) added.insert(finalizer);
  }
  if (added.empty()) return {};
  std::vector<std::string> quoted;
  for (const std::string& finalizer : added)
    quoted.push_back(absl::StrCat("\"", finalizer, "\""));
  return {api::Forbidden(api::FieldPath("metadata").Child("finalizers"),
                         absl::StrCat("no new finalizers can be added if the object is being "
                                      "deleted, found new finalizers []string{",
                                      absl::StrJoin(quoted, ", "), "}"))};
}

Json WithNamespaceFinalizers(const Json& existing, const Json& finalized) {
  Json result = existing;
  const Json* finalizers = api::MemberAt(finalized, {"spec", "finalizers"});
  api::EnsureObject(result, "spec")["finalizers"] =
      finalizers != nullptr && finalizers->is_array() ? *finalizers : Json::array();
  return result;
}

}  // namespace orch::apiserver
