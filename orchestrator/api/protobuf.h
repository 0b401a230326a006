// Request bodies in application/vnd.kubernetes.protobuf, which kubectl >= 1.31 sends for typed
// clients (create namespace, create deployment, drain's evictions and deletes): the "k8s\0"
// envelope around runtime.Unknown{typeMeta, raw}, with `raw` decoded by a table of
// k8s.io/api field numbers into the JSON document the server works with.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "orchestrator/api/json.h"

namespace orch::api {

inline constexpr std::string_view kProtobufContentType = "application/vnd.kubernetes.protobuf";

// Decodes one envelope. Kinds with a field table: Namespace, Pod (v1), Deployment (apps/v1),
// DeleteOptions (v1 / meta.k8s.io/v1), Eviction (policy/v1 and
// policy/v1beta1, which share their fields). A kind without a table, or a
// field the table lacks (rather than drop data silently), is Unimplemented, which the server
// answers with 415 so the client can resend JSON; malformed bytes are InvalidArgument.
absl::StatusOr<Json> DecodeKubernetesProtobuf(std::string_view body);

}  // namespace orch::api
