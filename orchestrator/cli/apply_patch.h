// What `apply` sends: the manifest with kubectl's last-applied-configuration annotation, and
// for an object that exists, kubectl's three-way strategic merge patch (CreateThreeWayMergePatch):
// changes and additions from live -> manifest, deletions from last-applied -> manifest, so a
// field removed from the file is removed from the object while fields others set (defaults,
// controllers' writes) stay.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/registry.h"

namespace orch::cli {

inline constexpr std::string_view kLastAppliedAnnotation =
    "kubectl.kubernetes.io/last-applied-configuration";

// `manifest` with metadata.annotations[kLastAppliedAnnotation] set to the manifest's own
// compact JSON (without that annotation), as kubectl records it.
api::Json WithLastAppliedAnnotation(const api::Json& manifest);

// The last-applied configuration recorded on `live`, or null when there is none (an object
// created by other means: then nothing is deleted, only added and changed).
absl::StatusOr<api::Json> LastAppliedOf(const api::Json& live);

// The strategic merge patch taking `current` to `modified`, deleting what `original` (the
// last applied configuration, or null) had and `modified` no longer has. Lists with a merge
// key merge element-wise ($patch: delete for removed elements, $setElementOrder for order);
// sets of scalars use $deleteFromPrimitiveList; Deployment spec.strategy carries
// $retainKeys. An empty object means nothing to change. InvalidArgument when a list element
// lacks its merge key.
absl::StatusOr<api::Json> ThreeWayMergePatch(const api::Json& original, const api::Json& modified,
                                             const api::Json& current, api::Kind kind);

}  // namespace orch::cli
