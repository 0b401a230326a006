// Kubernetes Status objects (kind Status, apiVersion v1) for every error the API server
// returns, with upstream's reasons, codes, details and message formats (apimachinery
// pkg/api/errors), which kubectl and client libraries print and branch on.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "orchestrator/api/field_errors.h"
#include "orchestrator/api/json.h"

namespace orch::api {

// "pods", "deployments.apps": how upstream names a resource in messages.
struct GroupResource {
  std::string group;
  std::string resource;
  std::string ToString() const;
};

// "Pod", "Deployment.apps": how upstream names a kind in Invalid messages.
struct GroupKind {
  std::string group;
  std::string kind;
  std::string ToString() const;
};

// 422 Invalid: `Pod "x" is invalid: [a: Required value, ...]`, one cause per field error.
Json StatusInvalid(const GroupKind& kind, std::string_view name, const FieldErrors& errors);
// 404 NotFound: `pods "x" not found`.
Json StatusNotFound(const GroupResource& resource, std::string_view name);
// 404 for a path no route serves: "the server could not find the requested resource".
Json StatusNoRoute();
// 409 AlreadyExists: `pods "x" already exists`.
Json StatusAlreadyExists(const GroupResource& resource, std::string_view name);
inline constexpr std::string_view kObjectModifiedMessage =
    "the object has been modified; please apply your changes to the latest version and try again";
// 409 Conflict: `Operation cannot be fulfilled on pods "x": <why>`; the default why is the
// stale-resourceVersion text.
Json StatusConflict(const GroupResource& resource, std::string_view name,
                    std::string_view why = kObjectModifiedMessage);
// 410 Expired, e.g. "too old resource version: 5 (17)".
Json StatusGone(std::string_view message);
Json StatusTooOldResourceVersion(int64_t requested, int64_t oldest);
// 400 BadRequest.
Json StatusBadRequest(std::string_view message);
// 405 MethodNotAllowed: `deletecollection is not supported on resources of kind "namespaces"`.
Json StatusMethodNotAllowed(const GroupResource& resource, std::string_view action);
// 403 Forbidden: `pods "x" is forbidden: <why>`.
Json StatusForbidden(const GroupResource& resource, std::string_view name, std::string_view why);
// 415 and 406 as upstream's content negotiation reports them.
Json StatusUnsupportedMediaType(std::string_view content_type);
Json StatusNotAcceptable();
// 500 InternalError: "Internal error occurred: <why>".
Json StatusInternalError(std::string_view why);
// 504 Timeout.
Json StatusTimeout(std::string_view message);
// 422 from a patch that could not be applied (upstream NewGenericServerResponse).
Json StatusUnprocessablePatch(std::string_view why);
// 200 Success, as DELETE returns it for some resources: details name the object.
Json StatusSuccess(const GroupResource& resource, std::string_view name, std::string_view uid);

// Errors from this library's patch functions: InvalidArgument becomes 400 BadRequest,
// FailedPrecondition 422 (as the real server sorts patch errors), anything else 500.
Json StatusForPatchError(const absl::Status& error);

// The HTTP code a Status carries (500 when it has none).
int StatusCode(const Json& status);

}  // namespace orch::api
