// Field ownership (metadata.managedFields) in structured-merge-diff's FieldsV1 form, as the
// real server records it on every write: the foundation for server-side apply.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orchestrator/api/json.h"

namespace orch::api {

// A set of field paths. Path elements are FieldsV1 keys: "f:name" (a field), "k:{...}" (a list
// element by its keys), "v:<json>" (an element of a set of scalars).
class FieldSet {
 public:
  // Every field set in `object`, except the server-owned ones (apiVersion, kind, name,
  // namespace, uid, resourceVersion, generation, timestamps, managedFields).
  static FieldSet Of(const Json& object);
  // The fields of `updated` that are new or differ from `previous` (null: all of them).
  static FieldSet Changed(const Json& updated, const Json* previous);
  static absl::StatusOr<FieldSet> FromFieldsV1(const Json& fields);
  // The set of one path (FieldsV1 path elements).
  static FieldSet FromPath(const std::vector<std::string>& path);
  Json ToFieldsV1() const;

  bool empty() const { return !root_.self && root_.children.empty(); }
  FieldSet Union(const FieldSet& other) const;
  FieldSet Difference(const FieldSet& other) const;
  FieldSet Intersection(const FieldSet& other) const;
  // Every path in the set, as its path elements ({"f:spec", "f:containers", "k:{...}"}).
  std::vector<std::vector<std::string>> Paths() const;
  bool operator==(const FieldSet& other) const { return root_ == other.root_; }

 private:
  struct Node {
    bool self = false;  // the path itself is in the set (FieldsV1 "." or a leaf {})
    std::map<std::string, Node> children;
    bool operator==(const Node& other) const = default;
  };
  static void Walk(const Json& value, const Json* previous, std::string_view field, Node& node,
                   bool changed_only);
  static void WalkObject(const Json& value, const Json* previous, Node& node, bool changed_only);
  static void Merge(Node& into, const Node& from);
  static bool Subtract(Node& from, const Node& remove);  // true when `from` became empty
  static Node Intersect(const Node& a, const Node& b);
  static void CollectPaths(const Node& node, std::vector<std::string>& prefix,
                           std::vector<std::vector<std::string>>& paths);
  static Json Encode(const Node& node, bool top);
  static absl::Status Decode(const Json& fields, Node& node);

  Node root_;
};

// Records a write by `manager` in updated.metadata.managedFields, as the real server does:
// the manager's entry (same manager, operation and subresource) gains the fields that changed
// from `existing` (null for a create: every field), every other entry loses them, fields that
// disappeared leave every entry, and entries left empty are dropped. `operation` is "Update"
// or "Apply".
void UpdateManagedFields(Json& updated, const Json* existing, std::string_view manager,
                         std::string_view operation, std::string_view subresource, absl::Time now);

}  // namespace orch::api
