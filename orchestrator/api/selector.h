// Label selectors (query syntax and LabelSelector objects) and field selectors, parsed and
// matched as Kubernetes does (apimachinery pkg/labels, pkg/fields).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/registry.h"

namespace orch::api {

class LabelSelector {
 public:
  enum class Operator { kExists, kDoesNotExist, kEquals, kNotEquals, kIn, kNotIn, kGt, kLt };
  struct Requirement {
    std::string key;
    Operator op;
    std::vector<std::string> values;  // sorted, unique
  };

  // Matches every object.
  LabelSelector() = default;
  // Matches no object (what a null LabelSelector object means).
  static LabelSelector Nothing();
  // The query syntax: "a=b,c!=d,e in (f,g),h notin (i),j,!k,l>3". InvalidArgument with
  // upstream-like messages on bad syntax, keys or values.
  static absl::StatusOr<LabelSelector> Parse(std::string_view text);
  // A metav1.LabelSelector object {matchLabels, matchExpressions}; null or absent matches
  // nothing, {} matches everything.
  static absl::StatusOr<LabelSelector> FromObject(const Json* selector);

  // `labels` is a metadata.labels object (absent labels: pass an empty object).
  bool Matches(const Json& labels) const;
  bool MatchesEverything() const { return !nothing_ && requirements_.empty(); }
  const std::vector<Requirement>& requirements() const { return requirements_; }
  // Upstream's String(): requirements sorted by key, "" for everything.
  std::string ToString() const;

 private:
  bool nothing_ = false;
  std::vector<Requirement> requirements_;
};

// kubectl's "Selector" column: the selector object's text, "<none>" when empty.
std::string FormatLabelSelector(const Json* selector);

class FieldSelector {
 public:
  struct Term {
    std::string field;
    bool equals;  // false: !=
    std::string value;
  };

  FieldSelector() = default;
  // "metadata.name=x,status.phase!=Running"; fields the resource does not support are
  // refused with upstream's `field label not supported: <field>`.
  static absl::StatusOr<FieldSelector> Parse(std::string_view text, const ResourceInfo& resource);

  bool Matches(const Json& object) const;
  bool Empty() const { return terms_.empty(); }
  const std::vector<Term>& terms() const { return terms_; }
  // The value `field` must equal for any match (e.g. metadata.name for a single-object
  // watch), if the selector pins one.
  std::optional<std::string> RequiredValue(std::string_view field) const;

 private:
  Kind kind_ = Kind::kPod;
  std::vector<Term> terms_;
};

// Field selector labels a resource supports, and an object's value for one of them
// ("" when unset; booleans as "true"/"false").
bool SupportsFieldLabel(Kind kind, std::string_view field);
std::vector<std::string_view> FieldLabels(Kind kind);
std::string FieldLabelValue(Kind kind, const Json& object, std::string_view field);

// The part of `object` that namespace checks and label and field selectors read:
// metadata.name, metadata.namespace, metadata.labels and the kind's field labels; selectors
// match it as they match the whole object (for caches that keep only that).
Json SelectableFields(Kind kind, const Json& object);

}  // namespace orch::api
