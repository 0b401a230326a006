#include "orchestrator/api/server_side_apply.h"

#include <algorithm>

#include "orchestrator/api/field_schema.h"
#include "orchestrator/api/managed_fields.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/text.h"

namespace orch::api {
namespace {

using Path = std::vector<std::string>;

struct ManagerEntry {
  Json entry;
  FieldSet fields;
  bool is_applier = false;  // the applying manager's own Apply entry
};

std::vector<ManagerEntry> EntriesOf(const Json* live, std::string_view manager) {
  std::vector<ManagerEntry> entries;
  if (live == nullptr) return entries;
  for (const Json& entry : ArrayAt(*live, {"metadata", "managedFields"})) {
    absl::StatusOr<FieldSet> fields = FieldSet::FromFieldsV1(ObjectAt(entry, {"fieldsV1"}));
    entries.push_back(ManagerEntry{.entry = entry,
                                   .fields = fields.ok() ? *fields : FieldSet(),
                                   .is_applier = StringAt(entry, {"manager"}) == manager &&
                                                 StringAt(entry, {"operation"}) == "Apply" &&
                                                 StringAt(entry, {"subresource"}).empty()});
  }
  return entries;
}

// The child of `value` that one path element names, or null (JsonT: Json or const Json).
template <typename JsonT>
JsonT* Step(JsonT& value, const std::string& element, std::string_view field) {
  if (element.starts_with("f:")) {
    if (!value.is_object()) return nullptr;
    auto it = value.find(element.substr(2));
    return it == value.end() ? nullptr : &*it;
  }
  if (!value.is_array()) return nullptr;
  const std::vector<std::string>* keys = ListKeys(field);
  for (JsonT& item : value) {
    if (element.starts_with("k:") && keys != nullptr && item.is_object() &&
        ElementKey(item, *keys) == element)
      return &item;
    if (element.starts_with("v:") && Cat("v:", item.dump()) == element) return &item;
  }
  return nullptr;
}

// The field name a path element stands for, for ListKeys of what it holds.
std::string FieldName(const std::string& element) {
  return element.starts_with("f:") ? element.substr(2) : "";
}

template <typename JsonT>
JsonT* ValueAt(JsonT& object, const Path& path) {
  JsonT* value = &object;
  std::string field;
  for (const std::string& element : path) {
    value = Step(*value, element, field);
    if (value == nullptr) return nullptr;
    field = FieldName(element);
  }
  return value;
}

void RemoveAt(Json& object, const Path& path) {
  Json* found = ValueAt(object, Path(path.begin(), path.end() - 1));
  if (found == nullptr) return;
  Json& parent = *found;
  const std::string& last = path.back();
  if (last.starts_with("f:")) {
    if (parent.is_object()) parent.erase(last.substr(2));
    return;
  }
  if (!parent.is_array()) return;
  const std::string field = path.size() >= 2 ? FieldName(path[path.size() - 2]) : "";
  const Json* target = Step(parent, last, field);
  for (auto it = parent.begin(); it != parent.end(); ++it) {
    if (&*it == target) {
      parent.erase(it);
      return;
    }
  }
}

// ".spec.template.spec.containers[name=\"web\"].image", as structured-merge-diff prints paths.
std::string PathString(const Path& path) {
  std::string out;
  for (const std::string& element : path) {
    if (element.starts_with("f:")) {
      out += Cat(".", element.substr(2));
    } else if (element.starts_with("k:")) {
      const Json key = Json::parse(element.substr(2), nullptr, false);
      std::vector<std::string> parts;
      if (key.is_object())
        for (const auto& [name, value] : key.items())
          parts.push_back(Cat(name, "=", value.dump()));
      out += Cat("[", Join(parts, ","), "]");
    } else {
      out += Cat("[=", element.substr(2), "]");
    }
  }
  return out;
}

void MergeInto(Json& live, const Json& applied, std::string_view field);

void MergeKeyedList(Json& live, const Json& applied, const std::vector<std::string>& keys) {
  for (const Json& element : applied) {
    if (keys.empty() || !element.is_object()) {
      if (std::find(live.begin(), live.end(), element) == live.end()) live.push_back(element);
      continue;
    }
    const std::string key = ElementKey(element, keys);
    auto match = std::find_if(live.begin(), live.end(), [&](const Json& item) {
      return item.is_object() && ElementKey(item, keys) == key;
    });
    if (match == live.end()) {
      live.push_back(element);
    } else {
      MergeInto(*match, element, "");
    }
  }
}

void MergeInto(Json& live, const Json& applied, std::string_view field) {
  if (applied.is_object() && live.is_object() && !applied.empty()) {
    for (const auto& [key, value] : applied.items()) {
      auto existing = live.find(key);
      if (existing == live.end()) {
        live[key] = value;
      } else {
        MergeInto(*existing, value, key);
      }
    }
    return;
  }
  const std::vector<std::string>* keys = ListKeys(field);
  if (applied.is_array() && live.is_array() && keys != nullptr) {
    MergeKeyedList(live, applied, *keys);
    return;
  }
  live = applied;
}

std::vector<ApplyConflict> FindConflicts(const Json& live, const Json& applied,
                                         const FieldSet& applied_fields,
                                         const std::vector<ManagerEntry>& entries) {
  std::vector<ApplyConflict> conflicts;
  for (size_t index = 0; index < entries.size(); ++index) {
    const ManagerEntry& other = entries[index];
    if (other.is_applier || StringAt(other.entry, {"manager"}).empty()) continue;
    for (const Path& path : other.fields.Intersection(applied_fields).Paths()) {
      const Json* now = ValueAt(live, path);
      const Json* wanted = ValueAt(applied, path);
      // Owning the same value is shared ownership, not a conflict; containers of fields
      // (list elements, maps) are checked through their leaves.
      if (now == nullptr || wanted == nullptr || *now == *wanted) continue;
      if ((now->is_object() && wanted->is_object()) || path.back().starts_with("k:")) continue;
      conflicts.push_back(ApplyConflict{.manager = StringAt(other.entry, {"manager"}),
                                        .api_version = StringAt(other.entry, {"apiVersion"}),
                                        .field = PathString(path),
                                        .path = path,
                                        .entry = index});
    }
  }
  return conflicts;
}

// The other managers' entries as they now stand, then the applier's Apply entry.
Json ManagedFieldsAfterApply(std::vector<ManagerEntry> entries, const Json& object,
                             const FieldSet& applied_fields, std::string_view manager,
                             absl::Time now) {
  Json out = Json::array();
  for (ManagerEntry& entry : entries) {
    if (entry.is_applier || entry.fields.empty()) continue;
    entry.entry["fieldsV1"] = entry.fields.ToFieldsV1();
    out.push_back(std::move(entry.entry));
  }
  if (!applied_fields.empty()) {
    out.push_back(Json{{"manager", std::string(manager)},
                       {"operation", "Apply"},
                       {"apiVersion", ApiVersionOf(object)},
                       {"time", FormatTimestamp(now)},
                       {"fieldsType", "FieldsV1"},
                       {"fieldsV1", applied_fields.ToFieldsV1()}});
  }
  return out;
}

}  // namespace

ApplyOutcome ServerSideApply(const Json* live, const Json& applied, std::string_view manager,
                             bool force, absl::Time now) {
  const FieldSet applied_fields = FieldSet::Of(applied);
  std::vector<ManagerEntry> entries = EntriesOf(live, manager);
  ApplyOutcome outcome;
  if (live != nullptr) outcome.conflicts = FindConflicts(*live, applied, applied_fields, entries);
  if (!outcome.conflicts.empty() && !force) return outcome;

  // Forced conflicts move to the applier: the losers stop owning those fields.
  for (const ApplyConflict& conflict : outcome.conflicts) {
    ManagerEntry& loser = entries[conflict.entry];
    loser.fields = loser.fields.Difference(FieldSet::FromPath(conflict.path));
  }

  Json object = live != nullptr ? *live : Json::object();
  FieldSet others;
  FieldSet previously_applied;
  for (const ManagerEntry& entry : entries) {
    if (entry.is_applier) {
      previously_applied = entry.fields;
    } else {
      others = others.Union(entry.fields);
    }
  }
  for (const Path& path : previously_applied.Difference(applied_fields).Difference(others).Paths())
    RemoveAt(object, path);
  MergeInto(object, applied, "");
  EnsureObject(object, "metadata")["managedFields"] =
      ManagedFieldsAfterApply(std::move(entries), object, applied_fields, manager, now);
  outcome.object = std::move(object);
  return outcome;
}

Json StatusApplyConflict(const std::vector<ApplyConflict>& conflicts) {
  Json causes = Json::array();
  std::vector<std::string> lines;
  for (const ApplyConflict& conflict : conflicts) {
    const std::string with =
        Cat("conflict with \"", conflict.manager, "\" using ", conflict.api_version);
    causes.push_back(
        {{"reason", "FieldManagerConflict"}, {"message", with}, {"field", conflict.field}});
    lines.push_back(Cat(with, ": ", conflict.field));
  }
  const std::string message =
      conflicts.size() == 1
          ? Cat("Apply failed with 1 conflict: ", lines.front())
          : Cat("Apply failed with ", conflicts.size(), " conflicts: ", Join(lines, "\n"));
  return Json{{"kind", "Status"},
              {"apiVersion", "v1"},
              {"metadata", Json::object()},
              {"status", "Failure"},
              {"message", message},
              {"reason", "Conflict"},
              {"details", {{"causes", causes}}},
              {"code", 409}};
}

}  // namespace orch::api
