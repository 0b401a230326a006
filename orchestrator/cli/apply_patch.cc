#include "orchestrator/cli/apply_patch.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "orchestrator/api/patch.h"
#include "orchestrator/api/text.h"

namespace orch::cli {
namespace {

using api::Cat;
using api::Json;
using Path = std::vector<std::string>;

// Fields whose patch strategy includes retainKeys among the served kinds (upstream tags).
bool RetainsKeys(api::Kind kind, const Path& path) {
  return kind == api::Kind::kDeployment && path == Path{"spec", "strategy"};
}

const Json* Find(const Json* object, const std::string& key) {
  if (object == nullptr || !object->is_object()) return nullptr;
  auto it = object->find(key);
  return it == object->end() ? nullptr : &*it;
}

const Json* FindElement(const Json* list, const std::string& merge_key, const Json& value) {
  if (list == nullptr || !list->is_array()) return nullptr;
  for (const Json& element : *list)
    if (element.is_object() && element.contains(merge_key) && element[merge_key] == value)
      return &element;
  return nullptr;
}

bool ContainsScalar(const Json& list, const Json& value) {
  return list.is_array() && std::find(list.begin(), list.end(), value) != list.end();
}

class PatchBuilder {
 public:
  explicit PatchBuilder(api::Kind kind) : kind_(kind) {}

  absl::StatusOr<Json> DiffMaps(const Json* original, const Json& modified, const Json& current,
                                Path& path) {
    Json patch = Json::object();
    for (const auto& [key, modified_value] : modified.items()) {
      if (modified_value.is_null()) continue;
      const Json* current_value = Find(&current, key);
      if (current_value == nullptr) {
        patch[key] = modified_value;
        continue;
      }
      if (*current_value == modified_value) continue;
      path.push_back(key);
      absl::Status added =
          AddFieldDiff(Find(original, key), modified_value, *current_value, path, key, patch);
      path.pop_back();
      if (!added.ok()) return added;
    }
    if (original != nullptr && original->is_object())
      for (const auto& [key, value] : original->items())
        if (!modified.contains(key)) patch[key] = nullptr;
    if (RetainsKeys(kind_, path) && !patch.empty()) {
      Json keys = Json::array();
      for (const auto& [key, value] : modified.items())
        if (!value.is_null()) keys.push_back(key);
      patch["$retainKeys"] = keys;  // object keys iterate sorted, as upstream sorts them
    }
    return patch;
  }

 private:
  absl::Status AddFieldDiff(const Json* original, const Json& modified, const Json& current,
                            Path& path, const std::string& key, Json& patch) {
    if (modified.is_object() && current.is_object()) {
      absl::StatusOr<Json> nested = DiffMaps(original, modified, current, path);
      if (!nested.ok()) return nested.status();
      if (!nested->empty()) patch[key] = *std::move(nested);
      return absl::OkStatus();
    }
    std::optional<std::string> merge_key;
    if (modified.is_array() && current.is_array())
      merge_key = api::StrategicMergeKeyAt(kind_, path);
    if (!merge_key) {
      patch[key] = modified;
      return absl::OkStatus();
    }
    if (merge_key->empty()) {
      DiffScalarSet(original, modified, current, key, patch);
      return absl::OkStatus();
    }
    return DiffListOfMaps(original, modified, current, path, key, *merge_key, patch);
  }

  static void DiffScalarSet(const Json* original, const Json& modified, const Json& current,
                            const std::string& key, Json& patch) {
    Json added = Json::array();
    for (const Json& item : modified)
      if (!ContainsScalar(current, item)) added.push_back(item);
    Json removed = Json::array();
    if (original != nullptr && original->is_array())
      for (const Json& item : *original)
        if (!ContainsScalar(modified, item)) removed.push_back(item);
    if (!added.empty()) patch[key] = added;
    if (!removed.empty()) patch[Cat("$deleteFromPrimitiveList/", key)] = removed;
    if (!added.empty() || !removed.empty()) patch[Cat("$setElementOrder/", key)] = modified;
  }

  absl::Status DiffListOfMaps(const Json* original, const Json& modified, const Json& current,
                              Path& path, const std::string& key, const std::string& merge_key,
                              Json& patch) {
    Json items = Json::array();
    Json order = Json::array();
    Json current_order = Json::array();
    for (const Json& element : modified) {
      if (!element.is_object() || !element.contains(merge_key))
        return absl::InvalidArgumentError(
            Cat("map: ", element.dump(), " does not contain declared merge key: ", merge_key));
      const Json& id = element[merge_key];
      order.push_back({{merge_key, id}});
      const Json* live = FindElement(&current, merge_key, id);
      if (live == nullptr) {
        items.push_back(element);
        continue;
      }
      absl::StatusOr<Json> nested =
          DiffMaps(FindElement(original, merge_key, id), element, *live, path);
      if (!nested.ok()) return nested.status();
      if (nested->empty()) continue;
      (*nested)[merge_key] = id;
      items.push_back(*std::move(nested));
    }
    if (original != nullptr && original->is_array())
      for (const Json& element : *original)
        if (element.is_object() && element.contains(merge_key) &&
            FindElement(&modified, merge_key, element[merge_key]) == nullptr)
          items.push_back({{"$patch", "delete"}, {merge_key, element[merge_key]}});
    for (const Json& element : current)
      if (element.is_object() && element.contains(merge_key) &&
          FindElement(&modified, merge_key, element[merge_key]) != nullptr)
        current_order.push_back({{merge_key, element[merge_key]}});
    if (!items.empty()) patch[key] = items;
    if (!items.empty() || current_order != order) patch[Cat("$setElementOrder/", key)] = order;
    return absl::OkStatus();
  }

  api::Kind kind_;
};

}  // namespace

Json WithLastAppliedAnnotation(const Json& manifest) {
  Json recorded = manifest;
  if (Json* annotations = recorded.contains("metadata") && recorded["metadata"].is_object() &&
                                  recorded["metadata"].contains("annotations")
                              ? &recorded["metadata"]["annotations"]
                              : nullptr;
      annotations != nullptr && annotations->is_object()) {
    annotations->erase(std::string(kLastAppliedAnnotation));
    if (annotations->empty()) recorded["metadata"].erase("annotations");
  }
  Json applied = manifest;
  Json& metadata = api::EnsureObject(applied, "metadata");
  api::EnsureObject(metadata, "annotations")[std::string(kLastAppliedAnnotation)] =
      recorded.dump() + "\n";
  return applied;
}

absl::StatusOr<Json> LastAppliedOf(const Json& live) {
  const std::string text = api::StringAt(live, {"metadata", "annotations", kLastAppliedAnnotation});
  if (text.empty()) return Json(nullptr);
  absl::StatusOr<Json> parsed = api::ParseJson(text);
  if (!parsed.ok())
    return absl::InvalidArgumentError(Cat("the annotation ", kLastAppliedAnnotation,
                                          " is not JSON: ", parsed.status().message()));
  return parsed;
}

absl::StatusOr<Json> ThreeWayMergePatch(const Json& original, const Json& modified,
                                        const Json& current, api::Kind kind) {
  PatchBuilder builder(kind);
  Path path;
  return builder.DiffMaps(original.is_object() ? &original : nullptr, modified, current, path);
}

}  // namespace orch::cli
