#include "orchestrator/api/object.h"

#include "orchestrator/api/text.h"

namespace orch::api {

std::string ApiVersionOf(const Json& object) {
  return StringAt(object, {"apiVersion"});
}
std::string KindOf(const Json& object) {
  return StringAt(object, {"kind"});
}
std::string NameOf(const Json& object) {
  return StringAt(object, {"metadata", "name"});
}
std::string NamespaceOf(const Json& object) {
  return StringAt(object, {"metadata", "namespace"});
}
std::string UidOf(const Json& object) {
  return StringAt(object, {"metadata", "uid"});
}
std::string ResourceVersionOf(const Json& object) {
  return StringAt(object, {"metadata", "resourceVersion"});
}
int64_t GenerationOf(const Json& object) {
  return IntAt(object, {"metadata", "generation"}).value_or(0);
}
const Json& LabelsOf(const Json& object) {
  return ObjectAt(object, {"metadata", "labels"});
}
const Json& AnnotationsOf(const Json& object) {
  return ObjectAt(object, {"metadata", "annotations"});
}

bool HasFinalizers(const Json& object) {
  return !ArrayAt(object, {"metadata", "finalizers"}).empty();
}

bool IsBeingDeleted(const Json& object) {
  const Json* deletion = MemberAt(object, {"metadata", "deletionTimestamp"});
  return deletion != nullptr && !deletion->is_null();
}

const Json* ControllerRefOf(const Json& object) {
  for (const Json& ref : ArrayAt(object, {"metadata", "ownerReferences"})) {
    if (BoolAt(ref, {"controller"})) return &ref;
  }
  return nullptr;
}

std::string FormatTimestamp(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

std::optional<absl::Time> ParseTimestamp(std::string_view text) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &time, &error)) return std::nullopt;
  return time;
}

std::optional<absl::Time> TimestampAt(const Json& object,
                                      std::initializer_list<std::string_view> path) {
  const Json* value = MemberAt(object, path);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return ParseTimestamp(value->get_ref<const std::string&>());
}

void StampCreateMetadata(Json& object, std::string_view uid, absl::Time now) {
  Json& metadata = EnsureObject(object, "metadata");
  metadata["uid"] = std::string(uid);
  metadata["creationTimestamp"] = FormatTimestamp(now);
  metadata.erase("resourceVersion");
  metadata.erase("deletionTimestamp");
  metadata.erase("deletionGracePeriodSeconds");
}

std::string NameFromGenerateName(std::string_view prefix, uint64_t random) {
  // apiserver's names.SimpleNameGenerator: no vowels, no confusable digits.
  constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  constexpr size_t kMaxPrefix = 63 - 5;
  std::string name(prefix.substr(0, std::min(prefix.size(), kMaxPrefix)));
  for (int i = 0; i < 5; ++i) {
    name.push_back(kAlphabet[random % kAlphabet.size()]);
    random /= kAlphabet.size();
  }
  return name;
}

const Json* FindCondition(const Json& conditions, std::string_view type) {
  if (!conditions.is_array()) return nullptr;
  for (const Json& condition : conditions) {
    if (StringAt(condition, {"type"}) == type) return &condition;
  }
  return nullptr;
}

std::string ConditionStatus(const Json& object, std::string_view type) {
  const Json* condition = FindCondition(ArrayAt(object, {"status", "conditions"}), type);
  return condition == nullptr ? "" : StringAt(*condition, {"status"});
}

void SetCondition(Json& object, Json condition) {
  Json& status = EnsureObject(object, "status");
  Json& conditions = status["conditions"];
  if (!conditions.is_array()) conditions = Json::array();
  std::string type = StringAt(condition, {"type"});
  for (Json& existing : conditions) {
    if (StringAt(existing, {"type"}) != type) continue;
    if (StringAt(existing, {"status"}) == StringAt(condition, {"status"}) &&
        existing.contains("lastTransitionTime")) {
      condition["lastTransitionTime"] = existing["lastTransitionTime"];
    }
    existing = std::move(condition);
    return;
  }
  conditions.push_back(std::move(condition));
}

Json ListDocument(const ResourceInfo& resource, Json items, std::string_view resource_version,
                  std::string_view continue_token) {
  Json metadata = {{"resourceVersion", std::string(resource_version)}};
  if (!continue_token.empty()) metadata["continue"] = std::string(continue_token);
  if (!items.is_array()) items = Json::array();
  return {{"kind", std::string(resource.list_kind)},
          {"apiVersion", resource.ApiVersion()},
          {"metadata", std::move(metadata)},
          {"items", std::move(items)}};
}

}  // namespace orch::api
