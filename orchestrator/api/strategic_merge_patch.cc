// Strategic merge patch, following apimachinery's strategicpatch.StrategicMergeMapPatch with
// MergeParallelList and IgnoreUnmatchedNulls (what the API server uses), over a schema table
// of the patchStrategy/patchMergeKey tags of the served kinds.
#include <algorithm>
#include <map>

#include "orchestrator/api/patch.h"
#include "orchestrator/api/text.h"

namespace orch::api {
namespace {

struct PatchSchema;

// A field's patch metadata: whether its list merges (by merge_key, or as a set of scalars
// when merge_key is empty), and the schema of its value (or of its elements).
struct PatchField {
  bool merge_list = false;
  std::string merge_key;
  const PatchSchema* schema = nullptr;
};

struct PatchSchema {
  std::map<std::string, PatchField, std::less<>> fields;
  const PatchField* Find(std::string_view name) const {
    auto it = fields.find(name);
    return it == fields.end() ? nullptr : &it->second;
  }
};

PatchField MergeBy(std::string key, const PatchSchema* schema = nullptr) {
  return {true, std::move(key), schema};
}
PatchField Nested(const PatchSchema* schema) {
  return {false, "", schema};
}

struct Schemas {
  PatchSchema object_meta, container, pod_spec, pod_status, pod_template, pod, workload_spec,
      conditions_status, workload, node_spec, node_status, node, namespace_kind, metadata_only;

  Schemas() {
    object_meta.fields = {{"finalizers", MergeBy("")}, {"ownerReferences", MergeBy("uid")}};
    container.fields = {{"ports", MergeBy("containerPort")},
                        {"env", MergeBy("name")},
                        {"volumeMounts", MergeBy("mountPath")},
                        {"volumeDevices", MergeBy("devicePath")}};
    pod_spec.fields = {{"containers", MergeBy("name", &container)},
                       {"initContainers", MergeBy("name", &container)},
                       {"ephemeralContainers", MergeBy("name", &container)},
                       {"volumes", MergeBy("name")},
                       {"imagePullSecrets", MergeBy("name")},
                       {"hostAliases", MergeBy("ip")},
                       {"topologySpreadConstraints", MergeBy("topologyKey")},
                       {"resourceClaims", MergeBy("name")},
                       {"schedulingGates", MergeBy("name")}};
    pod_status.fields = {
        {"conditions", MergeBy("type")}, {"podIPs", MergeBy("ip")}, {"hostIPs", MergeBy("ip")}};
    pod_template.fields = {{"metadata", Nested(&object_meta)}, {"spec", Nested(&pod_spec)}};
    pod.fields = {{"metadata", Nested(&object_meta)},
                  {"spec", Nested(&pod_spec)},
                  {"status", Nested(&pod_status)}};
    workload_spec.fields = {{"template", Nested(&pod_template)}};
    conditions_status.fields = {{"conditions", MergeBy("type")}};
    workload.fields = {{"metadata", Nested(&object_meta)},
                       {"spec", Nested(&workload_spec)},
                       {"status", Nested(&conditions_status)}};
    node_spec.fields = {{"podCIDRs", MergeBy("")}};
    node_status.fields = {{"conditions", MergeBy("type")}, {"addresses", MergeBy("type")}};
    node.fields = {{"metadata", Nested(&object_meta)},
                   {"spec", Nested(&node_spec)},
                   {"status", Nested(&node_status)}};
    namespace_kind.fields = {{"metadata", Nested(&object_meta)},
                             {"status", Nested(&conditions_status)}};
    metadata_only.fields = {{"metadata", Nested(&object_meta)}};
  }
};

const PatchSchema* SchemaFor(Kind kind) {
  static const Schemas* const kSchemas = new Schemas();
  switch (kind) {
    case Kind::kPod:
      return &kSchemas->pod;
    case Kind::kDeployment:
    case Kind::kReplicaSet:
      return &kSchemas->workload;
    case Kind::kNode:
      return &kSchemas->node;
    case Kind::kNamespace:
      return &kSchemas->namespace_kind;
    default:
      return &kSchemas->metadata_only;
  }
}

constexpr std::string_view kDirective = "$patch";
constexpr std::string_view kRetainKeys = "$retainKeys";
constexpr std::string_view kSetElementOrderPrefix = "$setElementOrder/";
constexpr std::string_view kDeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/";

// Upstream's mergepatch errors: the 400 ones, the 422 ones, and the rest (500).
absl::Status BadRetainKeys() {
  return absl::InvalidArgumentError("invalid patch format of retainKeys");
}
absl::Status BadSetElementOrder() {
  return absl::InvalidArgumentError("invalid patch format of setElementOrder list");
}
absl::Status NoListOfLists() {
  return absl::FailedPreconditionError("lists of lists are not supported");
}
absl::Status NoMergeKey(const Json& map, std::string_view key) {
  return absl::InternalError(
      Cat("map: ", map.dump(), " does not contain declared merge key: ", key));
}
absl::Status BadPatchType(const Json& directive, const Json& map) {
  return absl::InternalError(
      Cat("unknown patch type: ",
          directive.is_string() ? directive.get<std::string>() : directive.dump(),
          " in map: ", map.dump()));
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

const PatchField* Lookup(const PatchSchema* schema, std::string_view name) {
  return schema == nullptr ? nullptr : schema->Find(name);
}

// Go decodes every JSON number as float64, so numbers are one "type" there.
int TypeClass(const Json& value) {
  if (value.is_number()) return 1;
  return static_cast<int>(value.type()) + 10;
}

// Removes null members a patch carries for a field the original lacks (IgnoreUnmatchedNulls).
Json DiscardNulls(Json value) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end();) {
      if (it->is_null()) {
        it = value.erase(it);
      } else {
        *it = DiscardNulls(std::move(*it));
        ++it;
      }
    }
  } else if (value.is_array()) {
    for (Json& element : value) {
      if (element.is_object()) element = DiscardNulls(std::move(element));
    }
  }
  return value;
}

absl::StatusOr<Json> MergeMap(Json original, Json patch, const PatchSchema* schema);
absl::StatusOr<Json> MergeSliceHandler(Json original, Json patch, const PatchField* field,
                                       bool is_delete_list);

// The element type shared by the lists: 0 for none; errors for lists of lists or mixes.
absl::StatusOr<int> ElementType(std::initializer_list<const Json*> lists) {
  int type = 0;
  for (const Json* list : lists) {
    for (const Json& element : *list) {
      int current = TypeClass(element);
      if (type == 0) {
        if (element.is_array()) return NoListOfLists();
        type = current;
      } else if (type != current) {
        return absl::InternalError("list element types are not identical");
      }
    }
  }
  return type;
}

// Position of `item` in `list`, comparing merge key values for maps; -1 when absent.
int IndexOf(const Json& list, const Json& item, const std::string& merge_key) {
  for (size_t i = 0; i < list.size(); ++i) {
    bool same = merge_key.empty()
                    ? list[i] == item
                    : list[i].is_object() && item.is_object() && list[i].contains(merge_key) &&
                          item.contains(merge_key) && list[i][merge_key] == item[merge_key];
    if (same) return static_cast<int>(i);
  }
  return -1;
}

absl::Status RequireMergeKey(const Json& list, const std::string& merge_key) {
  for (const Json& item : list) {
    if (!item.is_object())
      return absl::InternalError(Cat("expected a map, but received ", item.dump()));
    if (!item.contains(merge_key)) return NoMergeKey(item, merge_key);
  }
  return absl::OkStatus();
}

bool IsDeleteDirective(const Json& item) {
  const Json* directive = Member(item, kDirective);
  return directive != nullptr && *directive == "delete";
}

// Sorts `to_sort` by the positions of its items in `order` (delete directives last).
absl::StatusOr<Json> NormalizeSliceOrder(Json to_sort, const Json& order,
                                         const std::string& merge_key, bool maps) {
  Json to_delete = Json::array();
  if (maps) {
    if (absl::Status valid = RequireMergeKey(to_sort, merge_key); !valid.ok()) return valid;
    if (absl::Status valid = RequireMergeKey(order, merge_key); !valid.ok()) return valid;
    Json kept = Json::array();
    for (Json& item : to_sort)
      (IsDeleteDirective(item) ? to_delete : kept).push_back(std::move(item));
    to_sort = std::move(kept);
  }
  std::vector<Json> items(to_sort.begin(), to_sort.end());
  std::stable_sort(items.begin(), items.end(), [&](const Json& a, const Json& b) {
    int ia = IndexOf(order, a, merge_key);
    int ib = IndexOf(order, b, merge_key);
    return ia >= 0 && ib >= 0 && ia < ib;
  });
  Json sorted = Json::array();
  for (Json& item : items)
    sorted.push_back(std::move(item));
  for (Json& item : to_delete)
    sorted.push_back(std::move(item));
  return sorted;
}

// Upstream mergeSortedSlice: interleaves server-only items (left) into patch items (right),
// taking a left item first only when both are in the live order and it comes earlier.
Json MergeSortedSlice(const Json& left, const Json& right, const Json& server_order,
                      const std::string& merge_key) {
  Json out = Json::array();
  size_t i = 0;
  size_t j = 0;
  while (i < left.size() || j < right.size()) {
    if (i >= left.size()) {
      out.push_back(right[j++]);
    } else if (j >= right.size()) {
      out.push_back(left[i++]);
    } else {
      int li = IndexOf(server_order, left[i], merge_key);
      int ri = IndexOf(server_order, right[j], merge_key);
      if (li >= 0 && ri >= 0 && li < ri) {
        out.push_back(left[i++]);
      } else {
        out.push_back(right[j++]);
      }
    }
  }
  return out;
}

absl::StatusOr<Json> NormalizeElementOrder(Json patch_items, Json server_only,
                                           const Json& patch_order, const Json& server_order,
                                           const std::string& merge_key, bool maps) {
  absl::StatusOr<Json> sorted_patch =
      NormalizeSliceOrder(std::move(patch_items), patch_order, merge_key, maps);
  if (!sorted_patch.ok()) return sorted_patch.status();
  absl::StatusOr<Json> sorted_server =
      NormalizeSliceOrder(std::move(server_only), server_order, merge_key, maps);
  if (!sorted_server.ok()) return sorted_server.status();
  return MergeSortedSlice(*sorted_server, *sorted_patch, server_order, merge_key);
}

// Splits `merged` into items present in `partition_by` and the rest (server-only).
absl::StatusOr<std::pair<Json, Json>> Partition(const Json& merged, const Json& partition_by,
                                                const std::string& merge_key, bool maps) {
  Json present = Json::array();
  Json server_only = Json::array();
  for (const Json& item : merged) {
    if (maps && (!item.is_object() || !item.contains(merge_key)))
      return NoMergeKey(item, merge_key);
    (IndexOf(partition_by, item, merge_key) >= 0 ? present : server_only).push_back(item);
  }
  return std::make_pair(std::move(present), std::move(server_only));
}

// Upstream deduplicateScalars, order effects included (they are normalized afterwards).
Json DeduplicateScalars(Json list) {
  std::vector<Json> items(list.begin(), list.end());
  int length = static_cast<int>(items.size()) - 1;
  for (int i = 0; i < length; ++i) {
    for (int j = i + 1; j <= length; ++j) {
      if (items[i] == items[j]) {
        items[j] = items[length];
        items.resize(length);
        --length;
        --j;
      }
    }
  }
  Json out = Json::array();
  for (Json& item : items)
    out.push_back(std::move(item));
  return out;
}

absl::StatusOr<Json> MergeSlice(Json original, Json patch, const PatchField* field,
                                bool is_delete_list) {
  if (original.empty() && patch.empty()) return original;
  absl::StatusOr<int> element_type = ElementType({&original, &patch});
  if (!element_type.ok()) return element_type.status();
  bool maps = *element_type == TypeClass(Json::object());
  const std::string merge_key = maps && field != nullptr ? field->merge_key : "";
  Json merged;
  if (!maps) {
    if (is_delete_list) {
      Json kept = Json::array();
      for (Json& item : original) {
        if (IndexOf(patch, item, "") < 0) kept.push_back(std::move(item));
      }
      return kept;
    }
    Json both = original;
    for (const Json& item : patch)
      both.push_back(item);
    merged = DeduplicateScalars(std::move(both));
  } else {
    if (merge_key.empty()) return absl::InternalError("cannot merge lists without merge key");
    // Special elements: {"$patch": "delete", key: v} removes, {"$patch": "replace"} replaces.
    Json plain_patch = Json::array();
    bool replace = false;
    for (Json& item : patch) {
      const Json* directive = Member(item, kDirective);
      if (directive == nullptr) {
        plain_patch.push_back(std::move(item));
      } else if (*directive == "delete") {
        if (!item.contains(merge_key)) return NoMergeKey(item, merge_key);
        Json kept = Json::array();
        for (Json& existing : original) {
          if (!existing.is_object())
            return absl::InternalError("value in a merging list is not a map");
          if (!(existing.contains(merge_key) && existing[merge_key] == item[merge_key])) {
            kept.push_back(std::move(existing));
          }
        }
        original = std::move(kept);
      } else if (*directive == "replace") {
        replace = true;
      } else if (*directive == "merge") {
        return absl::InternalError("merging lists cannot yet be specified in the patch");
      } else {
        return BadPatchType(*directive, item);
      }
    }
    if (replace) {
      original = std::move(plain_patch);
      plain_patch = Json::array();
    }
    patch = std::move(plain_patch);
    merged = original;
    for (const Json& item : patch) {
      if (!item.contains(merge_key)) return NoMergeKey(item, merge_key);
      int at = IndexOf(merged, item, merge_key);
      if (at >= 0) {
        absl::StatusOr<Json> element = MergeMap(merged[at], item, field->schema);
        if (!element.ok()) return element.status();
        merged[at] = *std::move(element);
        if (static_cast<size_t>(at) < original.size()) original[at] = merged[at];
      } else {
        merged.push_back(item);
      }
    }
  }
  absl::StatusOr<std::pair<Json, Json>> parts = Partition(merged, patch, merge_key, maps);
  if (!parts.ok()) return parts.status();
  return NormalizeElementOrder(std::move(parts->first), std::move(parts->second), patch, original,
                               merge_key, maps);
}

absl::StatusOr<Json> MergeSliceHandler(Json original, Json patch, const PatchField* field,
                                       bool is_delete_list) {
  if ((field != nullptr && field->merge_list) || is_delete_list) {
    return MergeSlice(std::move(original), std::move(patch), field, is_delete_list);
  }
  return patch;
}

absl::Status ApplyRetainKeys(Json& original, Json& patch) {
  auto found = patch.find(kRetainKeys);
  if (found == patch.end()) return absl::OkStatus();
  Json retain = std::move(*found);
  patch.erase(found);
  if (!retain.is_array()) return BadRetainKeys();
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null() || StartsWith(key, kDeleteFromPrimitiveListPrefix) ||
        StartsWith(key, kSetElementOrderPrefix)) {
      continue;
    }
    if (IndexOf(retain, Json(key), "") < 0) return BadRetainKeys();
  }
  for (auto it = original.begin(); it != original.end();) {
    it = IndexOf(retain, Json(it.key()), "") < 0 ? original.erase(it) : std::next(it);
  }
  return absl::OkStatus();
}

// Checks that the patch list's items appear in $setElementOrder's relative order.
absl::Status ValidateAgainstSetOrder(const Json& patch_list, const Json& set_order,
                                     const std::string& merge_key) {
  if (set_order.empty() || patch_list.empty()) return absl::OkStatus();
  Json non_delete = Json::array();
  for (const Json& item : patch_list) {
    if (!merge_key.empty() && !item.is_object()) {
      return absl::InternalError(Cat("expected a map, but received ", item.dump()));
    }
    if (merge_key.empty() || !IsDeleteDirective(item)) non_delete.push_back(item);
  }
  size_t patch_index = 0;
  size_t order_index = 0;
  while (patch_index < non_delete.size() && order_index < set_order.size()) {
    const Json& item = non_delete[patch_index];
    if (item.is_object() && item.contains(kDirective)) {
      ++patch_index;
      continue;
    }
    bool equal;
    if (merge_key.empty()) {
      equal = item == set_order[order_index];
    } else {
      if (!item.contains(merge_key)) return NoMergeKey(item, merge_key);
      if (!set_order[order_index].is_object() || !set_order[order_index].contains(merge_key)) {
        return NoMergeKey(set_order[order_index], merge_key);
      }
      equal = item[merge_key] == set_order[order_index][merge_key];
    }
    if (equal) ++patch_index;
    ++order_index;
  }
  if (patch_index < non_delete.size()) {
    return absl::InternalError(Cat("The order in patch list:\n", patch_list.dump(),
                                   "\n doesn't match $setElementOrder list:\n", set_order.dump()));
  }
  return absl::OkStatus();
}

// Handles every $setElementOrder/<list> of `patch` with its list, removing both from `patch`.
absl::Status ApplySetElementOrder(Json& original, Json& patch, const PatchSchema* schema) {
  std::vector<std::string> directives;
  for (const auto& [key, value] : patch.items()) {
    if (StartsWith(key, kSetElementOrderPrefix)) directives.push_back(key);
  }
  for (const std::string& directive : directives) {
    Json set_order = std::move(patch[directive]);
    patch.erase(directive);
    if (!set_order.is_array()) return BadSetElementOrder();
    std::string key = directive.substr(kSetElementOrderPrefix.size());
    const Json* original_list = Member(original, key);
    const Json* patch_list = Member(patch, key);
    if (original_list != nullptr && !original_list->is_array()) {
      return absl::InternalError(Cat("expected a list for ", key));
    }
    if (patch_list != nullptr && !patch_list->is_array()) return BadSetElementOrder();
    const PatchField* field = Lookup(schema, key);
    std::string merge_key = field != nullptr ? field->merge_key : "";
    if (absl::Status valid =
            ValidateAgainstSetOrder(patch_list ? *patch_list : Json::array(), set_order, merge_key);
        !valid.ok()) {
      return valid;
    }
    if (original_list == nullptr && patch_list == nullptr) continue;
    Json original_value = original_list ? *original_list : Json::array();
    Json patch_value = patch_list ? *patch_list : Json::array();
    Json merged;
    if (original_list != nullptr && patch_list != nullptr) {
      absl::StatusOr<Json> result = MergeSliceHandler(original_value, patch_value, field, false);
      if (!result.ok()) return result.status();
      merged = *std::move(result);
    } else {
      merged = original_list ? original_value : patch_value;
    }
    absl::StatusOr<int> element_type = ElementType({&original_value, &patch_value});
    if (!element_type.ok()) return element_type.status();
    bool maps = *element_type == TypeClass(Json::object());
    absl::StatusOr<std::pair<Json, Json>> parts =
        Partition(merged, set_order, maps ? merge_key : "", maps);
    if (!parts.ok()) return parts.status();
    absl::StatusOr<Json> ordered =
        NormalizeElementOrder(std::move(parts->first), std::move(parts->second), set_order,
                              original_value, maps ? merge_key : "", maps);
    if (!ordered.ok()) return ordered.status();
    original[key] = *std::move(ordered);
    patch.erase(key);
  }
  return absl::OkStatus();
}

absl::StatusOr<Json> MergeMap(Json original, Json patch, const PatchSchema* schema) {
  if (const Json* directive = Member(patch, kDirective)) {
    if (*directive == "replace") {
      patch.erase(std::string(kDirective));
      return patch;
    }
    if (*directive == "delete") return Json::object();
    return BadPatchType(*directive, patch);
  }
  if (!original.is_object()) original = Json::object();
  if (absl::Status retained = ApplyRetainKeys(original, patch); !retained.ok()) return retained;
  if (absl::Status ordered = ApplySetElementOrder(original, patch, schema); !ordered.ok()) {
    return ordered;
  }
  for (auto& [patch_key, patch_value] : patch.items()) {
    std::string key = patch_key;
    bool is_delete_list = false;
    if (StartsWith(key, kDeleteFromPrimitiveListPrefix)) {
      key = key.substr(kDeleteFromPrimitiveListPrefix.size());
      is_delete_list = true;
    }
    if (patch_value.is_null()) {
      original.erase(key);
      continue;
    }
    auto existing = original.find(key);
    if (existing == original.end() || TypeClass(*existing) != TypeClass(patch_value)) {
      if (!is_delete_list) original[key] = DiscardNulls(patch_value);
      continue;
    }
    const PatchField* field = Lookup(schema, key);
    absl::StatusOr<Json> merged;
    if (existing->is_object()) {
      merged = MergeMap(std::move(*existing), patch_value, field ? field->schema : nullptr);
    } else if (existing->is_array()) {
      merged = MergeSliceHandler(std::move(*existing), patch_value, field, is_delete_list);
    } else {
      merged = patch_value;
    }
    if (!merged.ok()) return merged.status();
    original[key] = *std::move(merged);
  }
  return original;
}

}  // namespace

absl::StatusOr<Json> ApplyStrategicMergePatch(Json original, Json patch, Kind kind) {
  if (!patch.is_object()) return absl::InvalidArgumentError("invalid JSON document");
  return MergeMap(std::move(original), std::move(patch), SchemaFor(kind));
}

std::optional<std::string> StrategicMergeKeyAt(Kind kind, const std::vector<std::string>& path) {
  const PatchSchema* schema = SchemaFor(kind);
  const PatchField* field = nullptr;
  for (const std::string& name : path) {
    if (field != nullptr) schema = field->schema;
    field = Lookup(schema, name);
    if (field == nullptr) return std::nullopt;
  }
  if (field == nullptr || !field->merge_list) return std::nullopt;
  return field->merge_key;
}

}  // namespace orch::api
