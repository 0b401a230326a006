#include "orchestrator/api/status.h"

#include "orchestrator/api/text.h"

namespace orch::api {
namespace {

std::string Quote(std::string_view text) {
  return Json(std::string(text)).dump();
}

Json Failure(int code, std::string_view reason, std::string message, Json details) {
  Json status = {{"kind", "Status"},
                 {"apiVersion", "v1"},
                 {"metadata", Json::object()},
                 {"status", "Failure"},
                 {"message", std::move(message)},
                 {"code", code}};
  if (!reason.empty()) status["reason"] = std::string(reason);
  if (!details.is_null()) status["details"] = std::move(details);
  return status;
}

// StatusDetails with upstream's omitempty fields.
Json Details(const GroupResource& resource, std::string_view name) {
  Json details = Json::object();
  if (!name.empty()) details["name"] = std::string(name);
  if (!resource.group.empty()) details["group"] = resource.group;
  if (!resource.resource.empty()) details["kind"] = resource.resource;
  return details;
}

}  // namespace

std::string GroupResource::ToString() const {
  return group.empty() ? resource : Cat(resource, ".", group);
}

std::string GroupKind::ToString() const {
  return group.empty() ? kind : Cat(kind, ".", group);
}

Json StatusInvalid(const GroupKind& kind, std::string_view name, const FieldErrors& errors) {
  Json causes = Json::array();
  for (const FieldError& error : errors) {
    Json cause = {{"reason", std::string(error.CauseReason())}, {"message", error.Body()}};
    if (!error.field.empty()) cause["field"] = error.field;
    causes.push_back(std::move(cause));
  }
  Json details = Json::object();
  if (!name.empty()) details["name"] = std::string(name);
  if (!kind.group.empty()) details["group"] = kind.group;
  if (!kind.kind.empty()) details["kind"] = kind.kind;
  details["causes"] = std::move(causes);
  std::string message = Cat(kind.ToString(), " ", Quote(name), " is invalid");
  if (!errors.empty()) Append(message, ": ", AggregateMessage(errors));
  return Failure(422, "Invalid", std::move(message), std::move(details));
}

Json StatusNotFound(const GroupResource& resource, std::string_view name) {
  return Failure(404, "NotFound", Cat(resource.ToString(), " ", Quote(name), " not found"),
                 Details(resource, name));
}

Json StatusNoRoute() {
  return Failure(404, "NotFound", "the server could not find the requested resource",
                 Json::object());
}

Json StatusAlreadyExists(const GroupResource& resource, std::string_view name) {
  return Failure(409, "AlreadyExists",
                 Cat(resource.ToString(), " ", Quote(name), " already exists"),
                 Details(resource, name));
}

Json StatusConflict(const GroupResource& resource, std::string_view name, std::string_view why) {
  return Failure(
      409, "Conflict",
      Cat("Operation cannot be fulfilled on ", resource.ToString(), " ", Quote(name), ": ", why),
      Details(resource, name));
}

Json StatusGone(std::string_view message) {
  return Failure(410, "Expired", std::string(message), Json());
}

Json StatusTooOldResourceVersion(int64_t requested, int64_t oldest) {
  return StatusGone(Cat("too old resource version: ", requested, " (", oldest, ")"));
}

Json StatusBadRequest(std::string_view message) {
  return Failure(400, "BadRequest", std::string(message), Json());
}

Json StatusMethodNotAllowed(const GroupResource& resource, std::string_view action) {
  return Failure(405, "MethodNotAllowed",
                 Cat(action, " is not supported on resources of kind ", Quote(resource.ToString())),
                 Details(resource, ""));
}

Json StatusForbidden(const GroupResource& resource, std::string_view name, std::string_view why) {
  std::string message = name.empty()
                            ? Cat(resource.ToString(), " is forbidden: ", why)
                            : Cat(resource.ToString(), " ", Quote(name), " is forbidden: ", why);
  return Failure(403, "Forbidden", std::move(message), Details(resource, name));
}

Json StatusUnsupportedMediaType(std::string_view content_type) {
  return Failure(415, "UnsupportedMediaType",
                 Cat("the body of the request was in an unknown format - accepted media "
                     "types include: application/json, application/yaml, "
                     "application/vnd.kubernetes.protobuf",
                     content_type.empty() ? "" : "; got ", content_type),
                 Json());
}

Json StatusNotAcceptable() {
  return Failure(406, "NotAcceptable",
                 "only the following media types are accepted: application/json, "
                 "application/yaml, application/vnd.kubernetes.protobuf",
                 Json());
}

Json StatusInternalError(std::string_view why) {
  return Failure(500, "InternalError", Cat("Internal error occurred: ", why),
                 Json{{"causes", Json::array({Json{{"message", std::string(why)}}})}});
}

Json StatusTimeout(std::string_view message) {
  return Failure(504, "Timeout", std::string(message), Json::object());
}

Json StatusUnprocessablePatch(std::string_view why) {
  return Failure(422, "Invalid", "the server rejected our request due to an error in our request",
                 Json{{"causes", Json::array({Json{{"reason", "UnexpectedServerResponse"},
                                                   {"message", std::string(why)}}})}});
}

Json StatusSuccess(const GroupResource& resource, std::string_view name, std::string_view uid) {
  Json details = Details(resource, name);
  if (!uid.empty()) details["uid"] = std::string(uid);
  return Json{{"kind", "Status"},
              {"apiVersion", "v1"},
              {"metadata", Json::object()},
              {"status", "Success"},
              {"details", std::move(details)}};
}

Json StatusForPatchError(const absl::Status& error) {
  switch (error.code()) {
    case absl::StatusCode::kInvalidArgument:
      return StatusBadRequest(std::string(error.message()));
    case absl::StatusCode::kFailedPrecondition:
      return StatusUnprocessablePatch(std::string(error.message()));
    default:
      return StatusInternalError(std::string(error.message()));
  }
}

int StatusCode(const Json& status) {
  const Json* code = Member(status, "code");
  return code != nullptr && code->is_number_integer() ? code->get<int>() : 500;
}

}  // namespace orch::api
