// Failed requests as absl::Status. The HTTP status picks the code and the server's Kubernetes
// Status object rides along as a payload, so callers can branch on Kubernetes' reasons.
//
//   400 InvalidArgument   401 Unauthenticated   403 PermissionDenied   404 NotFound
//   405 Unimplemented     409 AlreadyExists (reason AlreadyExists) or Aborted (Conflict)
//   410 OutOfRange (Gone / Expired)   415 InvalidArgument   422 InvalidArgument (Invalid)
//   429 ResourceExhausted   500 Internal   503 Unavailable   504 DeadlineExceeded
//   other 4xx FailedPrecondition   other 5xx Internal
//   no answer (connect/read failure) Unavailable, with HttpCodeOf() == 0
//   a request_timeout that passed DeadlineExceeded, with HttpCodeOf() == 0
// The message is "HTTP <code> <reason>: <the Status's message>".
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "orchestrator/api/json.h"

namespace orch::client {

// The error for an HTTP answer with `http_code` and its body (a Status object or any text).
absl::Status ApiError(int http_code, std::string_view body);

// The HTTP status of an error made by ApiError; 0 for others.
int HttpCodeOf(const absl::Status& status);
// The Status object's reason ("NotFound", "AlreadyExists", "Conflict", "Invalid", "Expired",
// "Gone", ...), "" when there is none.
std::string ReasonOf(const absl::Status& status);
// The whole Status object the server sent, if it sent one.
std::optional<api::Json> StatusObjectOf(const absl::Status& status);

// Call these qualified (client::IsNotFound(s)): absl declares IsNotFound and IsAlreadyExists
// too, and argument-dependent lookup makes an unqualified call ambiguous.
bool IsNotFound(const absl::Status& status);
bool IsAlreadyExists(const absl::Status& status);
bool IsConflict(const absl::Status& status);  // 409 with reason Conflict (stale resourceVersion)
bool IsGone(const absl::Status& status);      // 410: the watch or list revision was compacted
bool IsInvalid(const absl::Status& status);   // 422

}  // namespace orch::client
