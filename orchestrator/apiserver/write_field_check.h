// The fieldValidation query parameter of writes (POST, PUT, PATCH of objects and of their
// status, scale, binding, eviction and finalize subresources), as kube-apiserver honours it:
// the request body's unknown fields (by the kind's OpenAPI schema) and duplicate JSON fields
// are refused under Strict, answered as one `Warning: 299 - "unknown field \"spec.foo\""`
// header each under Warn (the default), and passed over under Ignore. Unlike upstream, an
// accepted object keeps its unknown fields (issue 8: unknown fields are kept, not dropped).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "orchestrator/api/registry.h"
#include "orchestrator/apiserver/http_server.h"

namespace orch::apiserver {

struct WriteFieldCheck {
  // The answer instead of the write: 422 for an unsupported fieldValidation value; under
  // Strict, 400 (create, update, apply) or 422 (merge, JSON and strategic merge patches)
  // with upstream's "strict decoding error: ..." text.
  std::optional<HttpResponse> refusal;
  // Problems to report as Warning headers on whatever the write answers.
  std::vector<std::string> warnings;
};

// Checks a request for `resource` (with `subresource`, "" for the object itself). Requests
// other than writes with bodies, and bodies that do not parse, are left to the handler.
WriteFieldCheck CheckWriteFields(const HttpRequest& request, const api::ResourceInfo& resource,
                                 std::string_view subresource, std::string_view namespace_name,
                                 std::string_view name);

// Adds one Warning header (code 299, agent "-") per problem, as upstream's warning recorder.
void AddFieldWarnings(HttpResponse& response, const std::vector<std::string>& problems);

}  // namespace orch::apiserver
