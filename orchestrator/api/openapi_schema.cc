#include "orchestrator/api/openapi_schema.h"

#include <algorithm>
#include <map>
#include <set>

#include "orchestrator/api/text.h"

namespace orch::api {

// openapi_schemas.txt, embedded by the build (cmake/EmbedText.cmake).
extern const std::string_view kOpenApiSchemaTable;

namespace {

// This abseil's string functions take absl::string_view, not std::string_view (text.h).
std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// Before and after the first `separator` (all of `text` and "" when there is none).
std::pair<std::string_view, std::string_view> SplitOnce(std::string_view text,
                                                        std::string_view separator) {
  const size_t at = text.find(separator);
  if (at == std::string_view::npos) return {text, ""};
  return {text.substr(0, at), text.substr(at + separator.size())};
}

bool ConsumePrefix(std::string_view& text, std::string_view prefix) {
  if (!text.starts_with(prefix)) return false;
  text.remove_prefix(prefix.size());
  return true;
}

std::string_view StripWhitespace(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

constexpr std::string_view kSchemaRefPrefix = "#/components/schemas/";
constexpr std::string_view kPrimitives[] = {"string", "int32",   "int64",
                                            "double", "boolean", "object"};

bool IsPrimitive(std::string_view name) {
  return std::find(std::begin(kPrimitives), std::end(kPrimitives), name) != std::end(kPrimitives);
}

std::string ShortName(std::string_view definition_name) {
  return std::string(definition_name.substr(definition_name.rfind('.') + 1));
}

// "[]Container", "{}Quantity", "string": the type; references stay short until resolved.
absl::StatusOr<SchemaType> ParseType(std::string_view text) {
  SchemaType type;
  const bool list = ConsumePrefix(text, "[]");
  if (list || ConsumePrefix(text, "{}")) {
    absl::StatusOr<SchemaType> element = ParseType(text);
    if (!element.ok()) return element.status();
    type.shape = list ? SchemaType::Shape::kList : SchemaType::Shape::kMap;
    type.element = std::make_shared<const SchemaType>(std::move(*element));
    return type;
  }
  if (text.empty()) return absl::InvalidArgumentError("empty type");
  type.shape = IsPrimitive(text) ? SchemaType::Shape::kPrimitive : SchemaType::Shape::kReference;
  type.name = std::string(text);
  return type;
}

// Turns short references ("Container") into full definition names.
absl::Status ResolveType(SchemaType& type, const std::map<std::string, std::string>& full_names) {
  if (type.element != nullptr) {
    SchemaType element = *type.element;
    if (absl::Status resolved = ResolveType(element, full_names); !resolved.ok()) return resolved;
    type.element = std::make_shared<const SchemaType>(std::move(element));
    return absl::OkStatus();
  }
  if (type.shape != SchemaType::Shape::kReference) return absl::OkStatus();
  auto found = full_names.find(type.name);
  if (found == full_names.end()) {
    return absl::InvalidArgumentError(Cat("unknown type ", type.name));
  }
  type.name = found->second;
  return absl::OkStatus();
}

// The "key=value" attributes after a property's type.
absl::Status ApplyPropertyAttribute(SchemaProperty& property, std::string_view attribute) {
  if (attribute == "required") {
    property.required = true;
    return absl::OkStatus();
  }
  const auto [key, value] = SplitOnce(attribute, "=");
  if (key == "list") {
    property.list_type = std::string(value);
  } else if (key == "keys") {
    for (std::string_view key_name : Split(value, ','))
      property.list_map_keys.emplace_back(key_name);
  } else if (key == "merge") {
    property.patch_merge_key = std::string(value);
  } else if (key == "strategy") {
    property.patch_strategy = std::string(value);
  } else if (key == "map") {
    property.map_type = std::string(value);
  } else if (key == "default") {
    property.default_value = std::string(value);
  } else {
    return absl::InvalidArgumentError(Cat("unknown attribute ", attribute));
  }
  return absl::OkStatus();
}

absl::Status ApplyDefinitionAttribute(SchemaDefinition& definition, std::string_view attribute) {
  if (ConsumePrefix(attribute, "map=")) {
    definition.map_type = std::string(attribute);
    return absl::OkStatus();
  }
  if (ConsumePrefix(attribute, "gvk=")) {
    std::vector<std::string_view> parts = Split(attribute, '/');
    if (parts.size() != 3) return absl::InvalidArgumentError(Cat("bad gvk ", attribute));
    definition.group_version_kinds.push_back({parts[0] == "core" ? "" : std::string(parts[0]),
                                              std::string(parts[1]), std::string(parts[2])});
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(Cat("unknown attribute ", attribute));
}

// One table line without its description, split into words.
std::vector<std::string_view> Words(std::string_view head) {
  std::vector<std::string_view> words;
  for (std::string_view word : Split(head, ' ')) {
    if (!word.empty()) words.push_back(word);
  }
  return words;
}

absl::StatusOr<SchemaDefinition> ParseDefinitionLine(std::string_view head,
                                                     std::string description) {
  std::vector<std::string_view> words = Words(head);
  SchemaDefinition definition;
  definition.description = std::move(description);
  if (words.size() >= 3 && words[0] == "scalar") {
    definition.name = std::string(words[1]);
    definition.scalar = true;
    const auto type_format = SplitOnce(words[2], "/");
    definition.scalar_type = std::string(type_format.first);
    definition.scalar_format = std::string(type_format.second);
    return definition;
  }
  if (words.size() < 2 || words[0] != "type") {
    return absl::InvalidArgumentError(Cat("expected a definition: ", head));
  }
  definition.name = std::string(words[1]);
  for (size_t i = 2; i < words.size(); ++i) {
    if (absl::Status applied = ApplyDefinitionAttribute(definition, words[i]); !applied.ok()) {
      return applied;
    }
  }
  return definition;
}

absl::StatusOr<SchemaProperty> ParsePropertyLine(std::string_view head, std::string description) {
  std::vector<std::string_view> words = Words(head);
  if (words.size() < 2) return absl::InvalidArgumentError(Cat("bad field: ", head));
  SchemaProperty property;
  property.name = std::string(words[0]);
  property.description = std::move(description);
  absl::StatusOr<SchemaType> type = ParseType(words[1]);
  if (!type.ok()) return type.status();
  property.type = std::move(*type);
  for (size_t i = 2; i < words.size(); ++i) {
    if (absl::Status applied = ApplyPropertyAttribute(property, words[i]); !applied.ok()) {
      return applied;
    }
  }
  return property;
}

Json PrimitiveSchema(std::string_view name) {
  if (name == "int32") return Json{{"type", "integer"}, {"format", "int32"}};
  if (name == "int64") return Json{{"type", "integer"}, {"format", "int64"}};
  if (name == "double") return Json{{"type", "number"}, {"format", "double"}};
  return Json{{"type", name}};
}

std::string SchemaRef(std::string_view definition_name) {
  return Cat(kSchemaRefPrefix, definition_name);
}

// A type as it appears in list items and map values: references bare.
Json TypeSchema(const SchemaType& type) {
  switch (type.shape) {
    case SchemaType::Shape::kPrimitive:
      return PrimitiveSchema(type.name);
    case SchemaType::Shape::kReference:
      return Json{{"$ref", SchemaRef(type.name)}};
    case SchemaType::Shape::kList:
      return Json{{"type", "array"}, {"items", TypeSchema(*type.element)}};
    case SchemaType::Shape::kMap:
      return Json{{"type", "object"}, {"additionalProperties", TypeSchema(*type.element)}};
  }
  return Json::object();
}

Json PropertySchema(const SchemaProperty& property) {
  Json schema;
  // OpenAPI 3.0 ignores siblings of $ref: a described reference is wrapped in allOf, as
  // Kubernetes publishes it.
  if (property.type.shape == SchemaType::Shape::kReference) {
    schema = Json{{"allOf", Json::array({TypeSchema(property.type)})}};
  } else {
    schema = TypeSchema(property.type);
  }
  schema["description"] = property.description;
  if (property.default_value.has_value()) schema["default"] = *property.default_value;
  if (!property.list_type.empty()) schema["x-kubernetes-list-type"] = property.list_type;
  if (!property.list_map_keys.empty()) {
    schema["x-kubernetes-list-map-keys"] = property.list_map_keys;
  }
  if (!property.map_type.empty()) schema["x-kubernetes-map-type"] = property.map_type;
  if (!property.patch_merge_key.empty()) {
    schema["x-kubernetes-patch-merge-key"] = property.patch_merge_key;
  }
  if (!property.patch_strategy.empty()) {
    schema["x-kubernetes-patch-strategy"] = property.patch_strategy;
  }
  return schema;
}

void CollectReferences(const SchemaType& type, std::vector<std::string>& names) {
  if (type.element != nullptr) {
    CollectReferences(*type.element, names);
  } else if (type.shape == SchemaType::Shape::kReference) {
    names.push_back(type.name);
  }
}

}  // namespace

const SchemaProperty* SchemaDefinition::FindProperty(std::string_view property) const {
  auto found = std::lower_bound(
      properties.begin(), properties.end(), property,
      [](const SchemaProperty& candidate, std::string_view name) { return candidate.name < name; });
  return found != properties.end() && found->name == property ? &*found : nullptr;
}

Json SchemaDefinition::ToOpenApi() const {
  if (scalar) {
    Json schema = {{"description", description}, {"type", scalar_type}};
    if (!scalar_format.empty()) schema["format"] = scalar_format;
    return schema;
  }
  Json schema = {{"description", description}, {"type", "object"}};
  Json properties_schema = Json::object();
  Json required = Json::array();
  for (const SchemaProperty& property : properties) {
    properties_schema[property.name] = PropertySchema(property);
    if (property.required) required.push_back(property.name);
  }
  schema["properties"] = std::move(properties_schema);
  if (!required.empty()) schema["required"] = std::move(required);
  if (!map_type.empty()) schema["x-kubernetes-map-type"] = map_type;
  if (!group_version_kinds.empty()) {
    Json kinds = Json::array();
    for (const SchemaGroupVersionKind& gvk : group_version_kinds) {
      kinds.push_back({{"group", gvk.group}, {"kind", gvk.kind}, {"version", gvk.version}});
    }
    schema["x-kubernetes-group-version-kind"] = std::move(kinds);
  }
  return schema;
}

absl::StatusOr<SchemaSet> SchemaSet::Parse(std::string_view table) {
  SchemaSet set;
  int line_number = 0;
  for (std::string_view line : Split(table, '\n')) {
    ++line_number;
    const std::string_view trimmed = StripWhitespace(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    const auto head_description = SplitOnce(trimmed, " : ");
    std::string description(StripWhitespace(head_description.second));
    const bool is_property = (line.front() == ' ' || line.front() == '\t');
    absl::Status parsed;
    if (is_property) {
      if (set.definitions_.empty() || set.definitions_.back().scalar) {
        parsed = absl::InvalidArgumentError("a field outside a type");
      } else {
        absl::StatusOr<SchemaProperty> property =
            ParsePropertyLine(head_description.first, std::move(description));
        parsed = property.status();
        if (property.ok()) set.definitions_.back().properties.push_back(std::move(*property));
      }
    } else {
      absl::StatusOr<SchemaDefinition> definition =
          ParseDefinitionLine(head_description.first, std::move(description));
      parsed = definition.status();
      if (definition.ok()) set.definitions_.push_back(std::move(*definition));
    }
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          Cat("openapi schema table line ", line_number, ": ", parsed.message()));
    }
  }
  std::map<std::string, std::string> full_names;
  for (const SchemaDefinition& definition : set.definitions_) {
    auto [it, inserted] = full_names.emplace(ShortName(definition.name), definition.name);
    if (!inserted) {
      return absl::InvalidArgumentError(
          Cat("two definitions are named ", it->first, ": ", definition.name));
    }
  }
  for (SchemaDefinition& definition : set.definitions_) {
    for (SchemaProperty& property : definition.properties) {
      if (absl::Status resolved = ResolveType(property.type, full_names); !resolved.ok()) {
        return absl::InvalidArgumentError(
            Cat(definition.name, ".", property.name, ": ", resolved.message()));
      }
    }
    std::sort(definition.properties.begin(), definition.properties.end(),
              [](const SchemaProperty& a, const SchemaProperty& b) { return a.name < b.name; });
  }
  std::sort(set.definitions_.begin(), set.definitions_.end(),
            [](const SchemaDefinition& a, const SchemaDefinition& b) { return a.name < b.name; });
  return set;
}

const SchemaSet& SchemaSet::Builtin() {
  static const SchemaSet* const kBuiltin = [] {
    absl::StatusOr<SchemaSet> parsed = Parse(kOpenApiSchemaTable);
    // The table is part of the source; a broken one fails its unit test before it ships.
    return new SchemaSet(parsed.ok() ? std::move(*parsed) : SchemaSet());
  }();
  return *kBuiltin;
}

const SchemaDefinition* SchemaSet::Find(std::string_view definition_name) const {
  auto found = std::lower_bound(definitions_.begin(), definitions_.end(), definition_name,
                                [](const SchemaDefinition& candidate, std::string_view name) {
                                  return candidate.name < name;
                                });
  return found != definitions_.end() && found->name == definition_name ? &*found : nullptr;
}

const SchemaDefinition* SchemaSet::FindKind(std::string_view group, std::string_view version,
                                            std::string_view kind) const {
  for (const SchemaDefinition& definition : definitions_) {
    for (const SchemaGroupVersionKind& gvk : definition.group_version_kinds) {
      if (gvk.group == group && gvk.version == version && gvk.kind == kind) return &definition;
    }
  }
  return nullptr;
}

const SchemaDefinition* SchemaSet::FindByApiVersionKind(std::string_view api_version,
                                                        std::string_view kind) const {
  const size_t slash = api_version.find('/');
  if (slash == std::string_view::npos) return FindKind("", api_version, kind);
  return FindKind(api_version.substr(0, slash), api_version.substr(slash + 1), kind);
}

Json SchemaSet::ComponentsFor(const std::vector<std::string>& roots) const {
  Json schemas = Json::object();
  std::vector<std::string> pending = roots;
  while (!pending.empty()) {
    const std::string name = std::move(pending.back());
    pending.pop_back();
    if (schemas.contains(name)) continue;
    const SchemaDefinition* definition = Find(name);
    if (definition == nullptr) continue;
    schemas[name] = definition->ToOpenApi();
    for (const SchemaProperty& property : definition->properties)
      CollectReferences(property.type, pending);
  }
  return schemas;
}

}  // namespace orch::api
