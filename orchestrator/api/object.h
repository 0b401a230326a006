// Reading and stamping the parts every object shares: apiVersion, kind, metadata, conditions,
// timestamps; and the List wrapper. Objects are JSON documents (see json.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/registry.h"

namespace orch::api {

std::string ApiVersionOf(const Json& object);
std::string KindOf(const Json& object);
std::string NameOf(const Json& object);
std::string NamespaceOf(const Json& object);
std::string UidOf(const Json& object);
std::string ResourceVersionOf(const Json& object);
int64_t GenerationOf(const Json& object);
// metadata.labels / annotations as objects (empty when absent).
const Json& LabelsOf(const Json& object);
const Json& AnnotationsOf(const Json& object);
bool HasFinalizers(const Json& object);
bool IsBeingDeleted(const Json& object);  // metadata.deletionTimestamp is set
// The owner reference with controller: true, or null.
const Json* ControllerRefOf(const Json& object);

// Timestamps as Kubernetes writes them: RFC 3339 in UTC with whole seconds.
std::string FormatTimestamp(absl::Time time);
std::optional<absl::Time> ParseTimestamp(std::string_view text);
std::optional<absl::Time> TimestampAt(const Json& object,
                                      std::initializer_list<std::string_view> path);

// What the server stamps on every create: uid and creationTimestamp; it drops a
// client-supplied resourceVersion and deletion fields. (Kind-specific resets: defaults.h.)
void StampCreateMetadata(Json& object, std::string_view uid, absl::Time now);
// metadata.name from generateName as the server does: prefix cut to 58 bytes + 5 characters
// from upstream's alphabet, chosen by `random`.
std::string NameFromGenerateName(std::string_view prefix, uint64_t random);

// Conditions: the entry of `type` in a conditions array, or null.
const Json* FindCondition(const Json& conditions, std::string_view type);
// The status ("True", "False", "Unknown") of a condition in object.status.conditions, or "".
std::string ConditionStatus(const Json& object, std::string_view type);
// Replaces or appends the condition with the same type in object.status.conditions. Keeps
// lastTransitionTime when the status did not change, as controllers do.
void SetCondition(Json& object, Json condition);

// {"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":...,"continue":...},"items":[...]}
Json ListDocument(const ResourceInfo& resource, Json items, std::string_view resource_version,
                  std::string_view continue_token = "");

}  // namespace orch::api
