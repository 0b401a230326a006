// JSON merge patch, JSON patch and patch dispatch; the strategic merge patch is in
// strategic_merge_patch.cc.
#include "absl/strings/ascii.h"
#include "orchestrator/api/patch.h"
#include "orchestrator/api/text.h"

namespace orch::api {
namespace {

// A decoded JSON pointer: "/a/b~1c" -> {"a", "b/c"}.
absl::StatusOr<std::vector<std::string>> DecodePointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer.front() != '/') {
    return absl::InvalidArgumentError(
        Cat("JSON pointer must be empty or start with a \"/\": ", pointer));
  }
  std::string current;
  for (size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(current));
      current.clear();
    } else if (pointer[i] == '~' && i + 1 < pointer.size() &&
               (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
      current.push_back(pointer[i + 1] == '0' ? '~' : '/');
      ++i;
    } else {
      current.push_back(pointer[i]);
    }
  }
  return tokens;
}

// An array index token: digits without leading zeros, within `limit` (inclusive).
std::optional<size_t> ArrayIndex(const std::string& token, size_t limit) {
  if (token.empty() || (token.size() > 1 && token[0] == '0')) return std::nullopt;
  int64_t index = 0;
  if (!ParseInt(token, index) || index < 0 || static_cast<size_t>(index) > limit) {
    return std::nullopt;
  }
  return static_cast<size_t>(index);
}

// The container holding the last token of `path`, or null when the path does not exist.
Json* Parent(Json& document, const std::vector<std::string>& path) {
  Json* current = &document;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    if (current->is_object()) {
      auto it = current->find(path[i]);
      if (it == current->end()) return nullptr;
      current = &*it;
    } else if (current->is_array()) {
      std::optional<size_t> index = ArrayIndex(path[i], current->size() - 1);
      if (!index || current->empty()) return nullptr;
      current = &(*current)[*index];
    } else {
      return nullptr;
    }
  }
  return current;
}

Json* Find(Json& document, const std::vector<std::string>& path) {
  if (path.empty()) return &document;
  Json* parent = Parent(document, path);
  if (parent == nullptr) return nullptr;
  if (parent->is_object()) {
    auto it = parent->find(path.back());
    return it == parent->end() ? nullptr : &*it;
  }
  if (parent->is_array() && !parent->empty()) {
    std::optional<size_t> index = ArrayIndex(path.back(), parent->size() - 1);
    return index ? &(*parent)[*index] : nullptr;
  }
  return nullptr;
}

absl::Status Missing(std::string_view op, std::string_view pointer) {
  return absl::FailedPreconditionError(
      Cat(op, " operation does not apply: doc is missing path: \"", pointer, "\": missing value"));
}

absl::Status Add(Json& document, const std::vector<std::string>& path, std::string_view pointer,
                 Json value) {
  if (path.empty()) {
    document = std::move(value);
    return absl::OkStatus();
  }
  Json* parent = Parent(document, path);
  if (parent == nullptr) return Missing("add", pointer);
  if (parent->is_object()) {
    (*parent)[path.back()] = std::move(value);
    return absl::OkStatus();
  }
  if (parent->is_array()) {
    if (path.back() == "-") {
      parent->push_back(std::move(value));
      return absl::OkStatus();
    }
    std::optional<size_t> index = ArrayIndex(path.back(), parent->size());
    if (!index) {
      return absl::FailedPreconditionError(
          Cat("Unable to access invalid index: ", path.back(), ": invalid index referenced"));
    }
    parent->insert(parent->begin() + static_cast<std::ptrdiff_t>(*index), std::move(value));
    return absl::OkStatus();
  }
  return Missing("add", pointer);
}

absl::StatusOr<Json> Remove(Json& document, const std::vector<std::string>& path,
                            std::string_view pointer) {
  if (path.empty()) return absl::FailedPreconditionError("unable to remove the whole document");
  Json* parent = Parent(document, path);
  if (parent != nullptr && parent->is_object()) {
    auto it = parent->find(path.back());
    if (it != parent->end()) {
      Json removed = std::move(*it);
      parent->erase(it);
      return removed;
    }
  } else if (parent != nullptr && parent->is_array() && !parent->empty()) {
    std::optional<size_t> index = ArrayIndex(path.back(), parent->size() - 1);
    if (index) {
      Json removed = std::move((*parent)[*index]);
      parent->erase(*index);
      return removed;
    }
  }
  return Missing("remove", pointer);
}

absl::Status ApplyOperation(Json& document, const Json& operation) {
  if (!operation.is_object())
    return absl::InvalidArgumentError("a JSON patch operation must be an object");
  std::string op = StringAt(operation, {"op"});
  const Json* path_value = Member(operation, "path");
  if (path_value == nullptr || !path_value->is_string()) {
    return absl::InvalidArgumentError(Cat("operation \"", op, "\" is missing path"));
  }
  std::string pointer = path_value->get<std::string>();
  absl::StatusOr<std::vector<std::string>> path = DecodePointer(pointer);
  if (!path.ok()) return path.status();
  const Json* value = Member(operation, "value");
  bool needs_value = op == "add" || op == "replace" || op == "test";
  if (needs_value && value == nullptr) {
    return absl::InvalidArgumentError(Cat("operation \"", op, "\" is missing value"));
  }
  if (op == "add") return Add(document, *path, pointer, *value);
  if (op == "remove") return Remove(document, *path, pointer).status();
  if (op == "replace") {
    Json* target = Find(document, *path);
    if (target == nullptr) {
      return absl::FailedPreconditionError(Cat(
          "replace operation does not apply: doc is missing key: ", pointer, ": missing value"));
    }
    *target = *value;
    return absl::OkStatus();
  }
  if (op == "test") {
    Json* target = Find(document, *path);
    if (target == nullptr || *target != *value) {
      return absl::FailedPreconditionError(Cat("testing value ", pointer, " failed: test failed"));
    }
    return absl::OkStatus();
  }
  if (op == "move" || op == "copy") {
    const Json* from_value = Member(operation, "from");
    if (from_value == nullptr || !from_value->is_string()) {
      return absl::InvalidArgumentError(Cat("operation \"", op, "\" is missing from"));
    }
    std::string from_pointer = from_value->get<std::string>();
    absl::StatusOr<std::vector<std::string>> from = DecodePointer(from_pointer);
    if (!from.ok()) return from.status();
    if (op == "move") {
      if (pointer.size() > from_pointer.size() && pointer.rfind(from_pointer + "/", 0) == 0) {
        return absl::FailedPreconditionError(Cat("move operation does not apply: cannot move ",
                                                 from_pointer, " into its child ", pointer));
      }
      absl::StatusOr<Json> moved = Remove(document, *from, from_pointer);
      if (!moved.ok()) return Missing("move", from_pointer);
      return Add(document, *path, pointer, *std::move(moved));
    }
    Json* source = Find(document, *from);
    if (source == nullptr) return Missing("copy", from_pointer);
    return Add(document, *path, pointer, *source);
  }
  return absl::FailedPreconditionError(Cat("Unexpected kind: ", op));
}

}  // namespace

std::optional<PatchType> PatchTypeFromContentType(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && absl::ascii_isspace(media.back()))
    media.remove_suffix(1);
  if (media == "application/json-patch+json") return PatchType::kJsonPatch;
  if (media == "application/merge-patch+json") return PatchType::kMergePatch;
  if (media == "application/strategic-merge-patch+json") return PatchType::kStrategicMergePatch;
  if (media == "application/apply-patch+yaml") return PatchType::kApplyPatch;
  return std::nullopt;
}

Json MergePatch(Json original, const Json& patch) {
  original.merge_patch(patch);
  return original;
}

absl::StatusOr<Json> ApplyJsonPatch(Json original, const Json& operations) {
  if (!operations.is_array()) {
    return absl::InvalidArgumentError(
        "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  }
  // Validate the shape of every operation first: a malformed one is a bad request even if an
  // earlier operation would fail to apply.
  for (const Json& operation : operations) {
    if (!operation.is_object() || !Member(operation, "op") ||
        !(*Member(operation, "op")).is_string()) {
      return absl::InvalidArgumentError("a JSON patch operation must be an object with an \"op\"");
    }
  }
  for (const Json& operation : operations) {
    if (absl::Status applied = ApplyOperation(original, operation); !applied.ok()) return applied;
  }
  return original;
}

absl::StatusOr<Json> ApplyPatch(PatchType type, const Json& original, std::string_view body,
                                Kind kind) {
  absl::StatusOr<Json> patch = ParseJson(body);
  if (!patch.ok()) return patch.status();
  switch (type) {
    case PatchType::kJsonPatch:
      return ApplyJsonPatch(original, *patch);
    case PatchType::kMergePatch:
      return MergePatch(original, *patch);
    case PatchType::kStrategicMergePatch:
      if (!patch->is_object()) {
        return absl::InvalidArgumentError(
            "json: cannot unmarshal non-object into Go value of type map[string]interface {}");
      }
      return ApplyStrategicMergePatch(original, *std::move(patch), kind);
    case PatchType::kApplyPatch:
      break;
  }
  return absl::InvalidArgumentError("apply patches need the server-side apply path");
}

}  // namespace orch::api
