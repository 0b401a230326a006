// The pod-template-hash of a Deployment's ReplicaSets, computed as Kubernetes'
// controller.ComputeHash: FNV-32a over the pod template, then the collision count (4 bytes
// little-endian padded to 8), the decimal of the sum, each digit mapped into the alphabet of
// rand.SafeEncodeString. Upstream hashes Go's spew dump of the template struct; here the
// template is a JSON document, so the hash input is its canonical JSON (keys sorted, nulls and
// empty objects dropped). Hashes
// therefore differ from a real cluster's, but have the same shape and the same properties:
// equal templates give equal hashes, and a collision count changes the name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "orchestrator/api/json.h"

namespace orch::controllers {

inline constexpr std::string_view kPodTemplateHashLabel = "pod-template-hash";

// The template as Go's typed structs see it: null members and empty objects dropped, at every
// depth ("creationTimestamp": null, which kubectl's rollout undo sends, is the same as none).
api::Json CanonicalTemplate(const api::Json& value);

// FNV-1a, 32 bits.
uint32_t Fnv32a(std::string_view bytes, uint32_t hash = 2166136261u);

// rand.SafeEncodeString: every byte b becomes "bcdfghjklmnpqrstvwxz2456789"[b % 27].
std::string SafeEncodeString(std::string_view text);

std::string ComputePodTemplateHash(const api::Json& pod_template,
                                   std::optional<int64_t> collision_count);

// Whether two pod templates are equal once the pod-template-hash label is ignored
// (upstream EqualIgnoreHash).
bool TemplatesEqualIgnoringHash(const api::Json& a, const api::Json& b);

// The template without the pod-template-hash label (and without an emptied labels object).
api::Json TemplateWithoutHash(const api::Json& pod_template);

}  // namespace orch::controllers
