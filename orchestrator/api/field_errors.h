// Field errors as Kubernetes' k8s.io/apimachinery/pkg/util/validation/field reports them:
// a path such as spec.containers[0].name, a type, the bad value and a detail. Their text is
// what clients match on, so it follows upstream byte for byte.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "orchestrator/api/json.h"

namespace orch::api {

enum class FieldErrorType {
  kNotFound,
  kRequired,
  kDuplicate,
  kInvalid,
  kNotSupported,
  kForbidden,
  kTooLong,
  kTooMany,
  kInternal,
};

struct FieldError {
  FieldErrorType type;
  std::string field;              // "spec.containers[0].name"
  std::optional<Json> bad_value;  // absent for types that print no value
  std::string detail;

  // "Invalid value: \"Foo\": detail" (upstream ErrorBody).
  std::string Body() const;
  // "spec.containers[0].name: Required value" (upstream Error()).
  std::string ToString() const;
  // The StatusCause reason: "FieldValueRequired", "FieldValueInvalid", ...
  std::string_view CauseReason() const;
};

using FieldErrors = std::vector<FieldError>;

// A path builder: FieldPath("spec").Child("containers").Index(0).Child("name").
class FieldPath {
 public:
  FieldPath() = default;
  explicit FieldPath(std::string_view root) : path_(root) {}
  FieldPath Child(std::string_view name) const;
  FieldPath Index(size_t index) const;
  FieldPath Key(std::string_view key) const;  // map entry: metadata.labels[app]
  const std::string& str() const { return path_; }

 private:
  std::string path_;
};

FieldError Required(const FieldPath& path, std::string_view detail = "");
FieldError Invalid(const FieldPath& path, Json value, std::string_view detail);
FieldError NotSupported(const FieldPath& path, Json value,
                        const std::vector<std::string_view>& supported);
FieldError Duplicate(const FieldPath& path, Json value);
FieldError NotFoundValue(const FieldPath& path, Json value);
FieldError Forbidden(const FieldPath& path, std::string_view detail);
FieldError TooMany(const FieldPath& path, int64_t actual, int64_t max);

// All messages joined as upstream's aggregate error: one message alone, else "[a, b]";
// repeated messages appear once.
std::string AggregateMessage(const FieldErrors& errors);

}  // namespace orch::api
