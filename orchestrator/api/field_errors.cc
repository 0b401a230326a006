#include "orchestrator/api/field_errors.h"

#include <set>

#include "orchestrator/api/text.h"

namespace orch::api {
namespace {

std::string_view TypeText(FieldErrorType type) {
  switch (type) {
    case FieldErrorType::kNotFound:
      return "Not found";
    case FieldErrorType::kRequired:
      return "Required value";
    case FieldErrorType::kDuplicate:
      return "Duplicate value";
    case FieldErrorType::kInvalid:
      return "Invalid value";
    case FieldErrorType::kNotSupported:
      return "Unsupported value";
    case FieldErrorType::kForbidden:
      return "Forbidden";
    case FieldErrorType::kTooLong:
      return "Too long";
    case FieldErrorType::kTooMany:
      return "Too many";
    case FieldErrorType::kInternal:
      return "Internal error";
  }
  return "Invalid value";
}

// Go prints strings with %q and simple values with %v; JSON text is the same for both here,
// and the closest faithful rendering for maps and lists.
std::string ValueText(const Json& value) {
  if (value.is_null()) return "null";
  return value.dump();
}

}  // namespace

std::string FieldError::Body() const {
  std::string body(TypeText(type));
  bool prints_value = type != FieldErrorType::kRequired && type != FieldErrorType::kForbidden &&
                      type != FieldErrorType::kTooLong && type != FieldErrorType::kInternal &&
                      bad_value.has_value();
  if (prints_value) Append(body, ": ", ValueText(*bad_value));
  if (!detail.empty()) Append(body, ": ", detail);
  return body;
}

std::string FieldError::ToString() const {
  return Cat(field, ": ", Body());
}

std::string_view FieldError::CauseReason() const {
  switch (type) {
    case FieldErrorType::kNotFound:
      return "FieldValueNotFound";
    case FieldErrorType::kRequired:
      return "FieldValueRequired";
    case FieldErrorType::kDuplicate:
      return "FieldValueDuplicate";
    case FieldErrorType::kInvalid:
      return "FieldValueInvalid";
    case FieldErrorType::kNotSupported:
      return "FieldValueNotSupported";
    case FieldErrorType::kForbidden:
      return "FieldValueForbidden";
    case FieldErrorType::kTooLong:
      return "FieldValueTooLong";
    case FieldErrorType::kTooMany:
      return "FieldValueTooMany";
    case FieldErrorType::kInternal:
      return "InternalError";
  }
  return "FieldValueInvalid";
}

FieldPath FieldPath::Child(std::string_view name) const {
  FieldPath child;
  child.path_ = path_.empty() ? std::string(name) : Cat(path_, ".", name);
  return child;
}

FieldPath FieldPath::Index(size_t index) const {
  FieldPath child;
  child.path_ = Cat(path_, "[", index, "]");
  return child;
}

FieldPath FieldPath::Key(std::string_view key) const {
  FieldPath child;
  child.path_ = Cat(path_, "[", key, "]");
  return child;
}

FieldError Required(const FieldPath& path, std::string_view detail) {
  return {FieldErrorType::kRequired, path.str(), std::nullopt, std::string(detail)};
}

FieldError Invalid(const FieldPath& path, Json value, std::string_view detail) {
  return {FieldErrorType::kInvalid, path.str(), std::move(value), std::string(detail)};
}

FieldError NotSupported(const FieldPath& path, Json value,
                        const std::vector<std::string_view>& supported) {
  std::string detail;
  if (!supported.empty()) {
    detail = Cat("supported values: ",
                 Join(supported, ", ",
                      [](std::string& out, std::string_view v) { Append(out, "\"", v, "\""); }));
  }
  return {FieldErrorType::kNotSupported, path.str(), std::move(value), std::move(detail)};
}

FieldError Duplicate(const FieldPath& path, Json value) {
  return {FieldErrorType::kDuplicate, path.str(), std::move(value), ""};
}

FieldError NotFoundValue(const FieldPath& path, Json value) {
  return {FieldErrorType::kNotFound, path.str(), std::move(value), ""};
}

FieldError Forbidden(const FieldPath& path, std::string_view detail) {
  return {FieldErrorType::kForbidden, path.str(), std::nullopt, std::string(detail)};
}

FieldError TooMany(const FieldPath& path, int64_t actual, int64_t max) {
  return {FieldErrorType::kTooMany, path.str(), Json(actual),
          Cat("must have at most ", max, " items")};
}

std::string AggregateMessage(const FieldErrors& errors) {
  std::vector<std::string> messages;
  std::set<std::string> seen;
  for (const FieldError& error : errors) {
    std::string message = error.ToString();
    if (seen.insert(message).second) messages.push_back(std::move(message));
  }
  if (messages.size() == 1) return messages.front();
  return Cat("[", Join(messages, ", "), "]");
}

}  // namespace orch::api
