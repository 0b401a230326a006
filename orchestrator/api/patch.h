// The PATCH bodies the API server accepts: JSON merge patch (RFC 7386), JSON patch
// (RFC 6902, with test), and strategic merge patch with Kubernetes' per-field merge keys and
// directives. Error codes follow the real server so StatusForPatchError (status.h) gives the
// same HTTP answer: InvalidArgument = 400 BadRequest, FailedPrecondition = 422, Internal = 500.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/registry.h"

namespace orch::api {

enum class PatchType { kJsonPatch, kMergePatch, kStrategicMergePatch, kApplyPatch };

// application/json-patch+json, application/merge-patch+json,
// application/strategic-merge-patch+json, application/apply-patch+yaml (parameters ignored).
std::optional<PatchType> PatchTypeFromContentType(std::string_view content_type);

// RFC 7386: objects merge recursively, null deletes, anything else replaces.
Json MergePatch(Json original, const Json& patch);

// RFC 6902 over `original`. A body that is not a list of operations is InvalidArgument; an
// operation that does not apply (missing path, failed test) is FailedPrecondition.
absl::StatusOr<Json> ApplyJsonPatch(Json original, const Json& operations);

// Strategic merge patch for a served kind: lists with a merge key (containers by name, env
// by name, ports by containerPort, volumes by name, volumeMounts by mountPath, conditions by
// type, ownerReferences by uid, finalizers as a set...) merge element-wise; other lists are
// replaced. Directives: $patch replace|delete (maps and list elements), $retainKeys,
// $setElementOrder/<list>, $deleteFromPrimitiveList/<list>. Element order follows upstream
// (patch items, then server-only items interleaved by their live order).
absl::StatusOr<Json> ApplyStrategicMergePatch(Json original, Json patch, Kind kind);

// The merge key of the list at `path` (object member names from the root; list elements are
// stepped through) in `kind`: "name" for containers, "" for a set of scalars (finalizers),
// nullopt for a field that is not a merging list (it is replaced). Clients computing a
// strategic merge patch (kubectl apply) use the same table the server merges with.
std::optional<std::string> StrategicMergeKeyAt(Kind kind, const std::vector<std::string>& path);

// Parses `body` and applies a patch of `type` (not kApplyPatch, which needs field ownership).
// A body that is not JSON (or not an object, where one is required) is InvalidArgument.
absl::StatusOr<Json> ApplyPatch(PatchType type, const Json& original, std::string_view body,
                                Kind kind);

}  // namespace orch::api
