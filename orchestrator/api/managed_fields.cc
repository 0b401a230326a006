#include "orchestrator/api/managed_fields.h"

#include <set>
#include <vector>

#include "orchestrator/api/field_schema.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/text.h"

namespace orch::api {
namespace {

bool IsServerOwned(std::string_view top, std::string_view field) {
  if (top.empty()) return field == "apiVersion" || field == "kind";
  static const std::set<std::string_view> kMetadata = {"name",
                                                       "namespace",
                                                       "uid",
                                                       "resourceVersion",
                                                       "generation",
                                                       "creationTimestamp",
                                                       "managedFields",
                                                       "selfLink",
                                                       "deletionTimestamp",
                                                       "deletionGracePeriodSeconds",
                                                       "generateName"};
  return top == "metadata" && kMetadata.contains(field);
}

const Json* FindElement(const Json* list, const Json& element,
                        const std::vector<std::string>& keys) {
  if (list == nullptr || !list->is_array()) return nullptr;
  std::string key = ElementKey(element, keys);
  for (const Json& candidate : *list) {
    if (candidate.is_object() && ElementKey(candidate, keys) == key) return &candidate;
  }
  return nullptr;
}

}  // namespace

void FieldSet::WalkObject(const Json& value, const Json* previous, Node& node, bool changed_only) {
  for (const auto& [key, member] : value.items()) {
    const Json* old_member = previous != nullptr ? Member(*previous, key) : nullptr;
    Node child;
    Walk(member, old_member, key, child, changed_only);
    if (child.self || !child.children.empty()) node.children[Cat("f:", key)] = std::move(child);
  }
}

void FieldSet::Walk(const Json& value, const Json* previous, std::string_view field, Node& node,
                    bool changed_only) {
  bool is_new = previous == nullptr;
  if (value.is_object() && IsMapField(field)) {
    node.self = !changed_only || is_new || !previous->is_object();
    const Json* old_map = previous != nullptr && previous->is_object() ? previous : nullptr;
    for (const auto& [key, entry] : value.items()) {
      const Json* old_entry = old_map != nullptr ? Member(*old_map, key) : nullptr;
      if (!changed_only || old_entry == nullptr || *old_entry != entry) {
        node.children[Cat("f:", key)].self = true;
      }
    }
    return;
  }
  if (value.is_object() && !value.empty()) {
    WalkObject(value, previous != nullptr && previous->is_object() ? previous : nullptr, node,
               changed_only);
    return;
  }
  const std::vector<std::string>* keys = ListKeys(field);
  if (value.is_array() && keys != nullptr) {
    // A required list (no omitempty: containers) is not itself owned, only its elements.
    node.self = field != "containers" && (!changed_only || is_new || !previous->is_array());
    for (const Json& element : value) {
      if (keys->empty() || !element.is_object()) {  // a set of scalars
        bool known = previous != nullptr && previous->is_array() &&
                     std::find(previous->begin(), previous->end(), element) != previous->end();
        if (!changed_only || !known) node.children[Cat("v:", element.dump())].self = true;
        continue;
      }
      const Json* old_element = FindElement(previous, element, *keys);
      Node child;
      child.self = !changed_only || old_element == nullptr;
      WalkObject(element, old_element, child, changed_only);
      if (child.self || !child.children.empty()) {
        node.children[ElementKey(element, *keys)] = std::move(child);
      }
    }
    return;
  }
  // Scalars, empty objects and atomic lists are owned whole.
  node.self = !changed_only || is_new || *previous != value;
}

FieldSet FieldSet::Of(const Json& object) {
  return Changed(object, nullptr);
}

FieldSet FieldSet::Changed(const Json& updated, const Json* previous) {
  FieldSet set;
  bool changed_only = previous != nullptr;
  for (const auto& [key, value] : ObjectAt(updated, {}).items()) {
    if (IsServerOwned("", key)) continue;
    const Json* old_value = previous != nullptr ? Member(*previous, key) : nullptr;
    Node child;
    if (key == "metadata" && value.is_object()) {
      for (const auto& [meta_key, meta_value] : value.items()) {
        if (IsServerOwned("metadata", meta_key)) continue;
        const Json* old_meta = old_value != nullptr ? Member(*old_value, meta_key) : nullptr;
        Node meta_child;
        Walk(meta_value, old_meta, meta_key, meta_child, changed_only);
        if (meta_child.self || !meta_child.children.empty()) {
          child.children[Cat("f:", meta_key)] = std::move(meta_child);
        }
      }
    } else {
      Walk(value, old_value, key, child, changed_only);
    }
    if (child.self || !child.children.empty())
      set.root_.children[Cat("f:", key)] = std::move(child);
  }
  return set;
}

void FieldSet::Merge(Node& into, const Node& from) {
  into.self = into.self || from.self;
  for (const auto& [key, child] : from.children)
    Merge(into.children[key], child);
}

bool FieldSet::Subtract(Node& from, const Node& remove) {
  if (remove.self) from.self = false;
  for (const auto& [key, child] : remove.children) {
    auto it = from.children.find(key);
    if (it != from.children.end() && Subtract(it->second, child)) from.children.erase(it);
  }
  return !from.self && from.children.empty();
}

FieldSet FieldSet::Union(const FieldSet& other) const {
  FieldSet out = *this;
  Merge(out.root_, other.root_);
  return out;
}

FieldSet FieldSet::Difference(const FieldSet& other) const {
  FieldSet out = *this;
  Subtract(out.root_, other.root_);
  return out;
}

FieldSet::Node FieldSet::Intersect(const Node& a, const Node& b) {
  Node out;
  out.self = a.self && b.self;
  for (const auto& [key, child] : a.children) {
    auto other = b.children.find(key);
    if (other == b.children.end()) continue;
    Node both = Intersect(child, other->second);
    if (both.self || !both.children.empty()) out.children[key] = std::move(both);
  }
  return out;
}

FieldSet FieldSet::FromPath(const std::vector<std::string>& path) {
  FieldSet set;
  Node* node = &set.root_;
  for (const std::string& element : path)
    node = &node->children[element];
  node->self = true;
  return set;
}

FieldSet FieldSet::Intersection(const FieldSet& other) const {
  FieldSet out;
  out.root_ = Intersect(root_, other.root_);
  return out;
}

void FieldSet::CollectPaths(const Node& node, std::vector<std::string>& prefix,
                            std::vector<std::vector<std::string>>& paths) {
  if (node.self && !prefix.empty()) paths.push_back(prefix);
  for (const auto& [key, child] : node.children) {
    prefix.push_back(key);
    CollectPaths(child, prefix, paths);
    prefix.pop_back();
  }
}

std::vector<std::vector<std::string>> FieldSet::Paths() const {
  std::vector<std::vector<std::string>> paths;
  std::vector<std::string> prefix;
  CollectPaths(root_, prefix, paths);
  return paths;
}

Json FieldSet::Encode(const Node& node, bool top) {
  Json out = Json::object();
  if (node.self && !node.children.empty() && !top) out["."] = Json::object();
  for (const auto& [key, child] : node.children)
    out[key] = Encode(child, false);
  return out;
}

Json FieldSet::ToFieldsV1() const {
  return Encode(root_, true);
}

absl::Status FieldSet::Decode(const Json& fields, Node& node) {
  if (!fields.is_object()) return absl::InvalidArgumentError("fieldsV1 entries must be objects");
  if (fields.empty()) node.self = true;
  for (const auto& [key, value] : fields.items()) {
    if (key == ".") {
      node.self = true;
      continue;
    }
    if (key.size() < 2 || key[1] != ':' ||
        std::string_view("fkvi").find(key[0]) == std::string_view::npos) {
      return absl::InvalidArgumentError(Cat("invalid fieldsV1 path element: ", key));
    }
    if (absl::Status decoded = Decode(value, node.children[key]); !decoded.ok()) return decoded;
  }
  return absl::OkStatus();
}

absl::StatusOr<FieldSet> FieldSet::FromFieldsV1(const Json& fields) {
  FieldSet set;
  if (absl::Status decoded = Decode(fields, set.root_); !decoded.ok()) return decoded;
  if (fields.is_object() && fields.empty()) set.root_.self = false;
  return set;
}

void UpdateManagedFields(Json& updated, const Json* existing, std::string_view manager,
                         std::string_view operation, std::string_view subresource, absl::Time now) {
  const Json& source =
      existing != nullptr ? ObjectAt(*existing, {"metadata"}) : ObjectAt(updated, {"metadata"});
  Json entries = ArrayAt(source, {"managedFields"});
  FieldSet changed = FieldSet::Changed(updated, existing);
  FieldSet removed =
      existing != nullptr ? FieldSet::Of(*existing).Difference(FieldSet::Of(updated)) : FieldSet();
  Json kept = Json::array();
  bool found = false;
  for (Json& entry : entries) {
    absl::StatusOr<FieldSet> owned = FieldSet::FromFieldsV1(ObjectAt(entry, {"fieldsV1"}));
    FieldSet fields = owned.ok() ? *owned : FieldSet();
    bool mine = StringAt(entry, {"manager"}) == manager &&
                StringAt(entry, {"operation"}) == operation &&
                StringAt(entry, {"subresource"}) == subresource;
    FieldSet before = fields;
    fields = mine ? fields.Union(changed) : fields.Difference(changed);
    fields = fields.Difference(removed);
    found = found || mine;
    if (fields.empty()) continue;
    if (!(fields == before)) {
      entry["fieldsV1"] = fields.ToFieldsV1();
      if (mine) entry["time"] = FormatTimestamp(now);
    }
    kept.push_back(std::move(entry));
  }
  if (!found && !changed.empty()) {
    Json entry = {{"manager", std::string(manager)},
                  {"operation", std::string(operation)},
                  {"apiVersion", ApiVersionOf(updated)},
                  {"time", FormatTimestamp(now)},
                  {"fieldsType", "FieldsV1"},
                  {"fieldsV1", changed.ToFieldsV1()}};
    if (!subresource.empty()) entry["subresource"] = std::string(subresource);
    kept.push_back(std::move(entry));
  }
  Json& metadata = EnsureObject(updated, "metadata");
  if (kept.empty()) {
    metadata.erase("managedFields");
  } else {
    metadata["managedFields"] = std::move(kept);
  }
}

}  // namespace orch::api
