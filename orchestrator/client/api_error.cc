#include "orchestrator/client/api_error.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "orchestrator/api/text.h"

namespace orch::client {
namespace {

// Payload type URLs; the values are the HTTP code (decimal) and the body the server sent.
constexpr char kHttpCodePayload[] = "orch.client/http-code";
constexpr char kStatusPayload[] = "orch.client/status";

// Long non-Status bodies (an HTML error page, say) are cut in the message.
constexpr size_t kMessageBodyLimit = 512;

absl::StatusCode CodeFor(int http_code, std::string_view reason) {
  switch (http_code) {
    case 400:
    case 415:
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 405:
      return absl::StatusCode::kUnimplemented;
    case 409:
      return reason == "AlreadyExists" ? absl::StatusCode::kAlreadyExists
                                       : absl::StatusCode::kAborted;
    case 410:
      return absl::StatusCode::kOutOfRange;
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 503:
      return absl::StatusCode::kUnavailable;
    case 504:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      break;
  }
  if (http_code >= 400 && http_code < 500) return absl::StatusCode::kFailedPrecondition;
  return absl::StatusCode::kInternal;
}

std::optional<api::Json> ParseStatusObject(std::string_view body) {
  absl::StatusOr<api::Json> parsed = api::ParseJson(body);
  if (!parsed.ok() || !parsed->is_object() || api::StringAt(*parsed, {"kind"}) != "Status") {
    return std::nullopt;
  }
  return std::move(*parsed);
}

}  // namespace

absl::Status ApiError(int http_code, std::string_view body) {
  std::optional<api::Json> status_object = ParseStatusObject(body);
  std::string reason;
  std::string message;
  if (status_object.has_value()) {
    reason = api::StringAt(*status_object, {"reason"});
    message = api::StringAt(*status_object, {"message"});
  }
  if (message.empty()) {
    message = body.size() > kMessageBodyLimit ? api::Cat(body.substr(0, kMessageBodyLimit), "...")
                                              : std::string(body);
  }
  absl::Status error(
      CodeFor(http_code, reason),
      api::Cat("HTTP ", http_code, reason.empty() ? "" : " ", reason, ": ", message));
  error.SetPayload(kHttpCodePayload, absl::Cord(std::to_string(http_code)));
  if (status_object.has_value()) error.SetPayload(kStatusPayload, absl::Cord(std::string(body)));
  return error;
}

int HttpCodeOf(const absl::Status& status) {
  const auto payload = status.GetPayload(kHttpCodePayload);
  int code = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &code)) return 0;
  return code;
}

std::optional<api::Json> StatusObjectOf(const absl::Status& status) {
  const auto payload = status.GetPayload(kStatusPayload);
  if (!payload.has_value()) return std::nullopt;
  return ParseStatusObject(std::string(*payload));
}

std::string ReasonOf(const absl::Status& status) {
  std::optional<api::Json> status_object = StatusObjectOf(status);
  return status_object.has_value() ? api::StringAt(*status_object, {"reason"}) : "";
}

bool IsNotFound(const absl::Status& status) {
  return HttpCodeOf(status) == 404;
}

bool IsAlreadyExists(const absl::Status& status) {
  return HttpCodeOf(status) == 409 && ReasonOf(status) == "AlreadyExists";
}

bool IsConflict(const absl::Status& status) {
  return HttpCodeOf(status) == 409 && ReasonOf(status) != "AlreadyExists";
}

bool IsGone(const absl::Status& status) {
  return HttpCodeOf(status) == 410;
}

bool IsInvalid(const absl::Status& status) {
  return HttpCodeOf(status) == 422;
}

}  // namespace orch::client
