// The OpenAPI schemas of the kinds the server serves, as Kubernetes v1.32 publishes them
// (definition names such as io.k8s.api.core.v1.Pod, field names, list/map/patch extensions,
// x-kubernetes-group-version-kind), read from one table (openapi_schemas.txt, embedded at build
// time). From it come the /openapi/v3 documents kubectl uses for explain, apply's patches and
// its fieldValidation support check, and the unknown-field check of field_validation.h.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/registry.h"

namespace orch::api {

// A field's type: a primitive ("string", "int32", "int64", "double", "boolean", "object" for
// free-form), a reference to a definition, a list or a map (string keys) of an element type.
struct SchemaType {
  enum class Shape { kPrimitive, kReference, kList, kMap };
  Shape shape = Shape::kPrimitive;
  std::string name;  // the primitive, or the referenced definition's full name
  std::shared_ptr<const SchemaType> element;  // lists and maps
};

struct SchemaProperty {
  std::string name;
  SchemaType type;
  std::string description;
  bool required = false;
  std::string list_type;                   // x-kubernetes-list-type: map, set, atomic
  std::vector<std::string> list_map_keys;  // x-kubernetes-list-map-keys
  std::string patch_merge_key;             // x-kubernetes-patch-merge-key
  std::string patch_strategy;              // x-kubernetes-patch-strategy
  std::string map_type;                    // x-kubernetes-map-type (maps only)
  std::optional<std::string> default_value;
};

struct SchemaGroupVersionKind {
  std::string group;  // "" for the core group
  std::string version;
  std::string kind;
};

struct SchemaDefinition {
  std::string name;  // io.k8s.api.core.v1.Pod
  std::string description;
  // Scalar definitions (Quantity, Time, IntOrString, FieldsV1) have a type and no properties.
  bool scalar = false;
  std::string scalar_type;    // "string" or "object"
  std::string scalar_format;  // "date-time", "int-or-string", ...
  std::string map_type;       // "atomic" for structs replaced as a whole
  std::vector<SchemaGroupVersionKind> group_version_kinds;
  std::vector<SchemaProperty> properties;  // sorted by name

  const SchemaProperty* FindProperty(std::string_view property) const;
  // The OpenAPI v3 schema object (properties reference others as #/components/schemas/<name>).
  Json ToOpenApi() const;
};

class SchemaSet {
 public:
  // Parses the table format of openapi_schemas.txt; every reference must resolve.
  static absl::StatusOr<SchemaSet> Parse(std::string_view table);
  // The server's schemas (parsed from the embedded table once).
  static const SchemaSet& Builtin();

  const SchemaDefinition* Find(std::string_view definition_name) const;
  // The definition with x-kubernetes-group-version-kind {group, version, kind}.
  const SchemaDefinition* FindKind(std::string_view group, std::string_view version,
                                   std::string_view kind) const;
  // The definition of an object with this apiVersion ("v1", "apps/v1") and kind.
  const SchemaDefinition* FindByApiVersionKind(std::string_view api_version,
                                               std::string_view kind) const;
  const std::vector<SchemaDefinition>& definitions() const { return definitions_; }
  // The named definitions and every definition they reference, by name: a document's
  // components.schemas.
  Json ComponentsFor(const std::vector<std::string>& roots) const;

 private:
  std::vector<SchemaDefinition> definitions_;  // sorted by name
};

// /openapi/v3/<path> for one served group version: "api/v1", "apis/apps/v1", ...
std::string OpenApiV3Path(const GroupVersion& group_version);
// The OpenAPI v3 document of one served group version: paths for every resource and
// subresource (with the query parameters each verb takes, fieldValidation among them, and
// x-kubernetes-group-version-kind / x-kubernetes-action), and components.schemas.
// NotFound for a group version not served.
absl::StatusOr<Json> OpenApiV3Document(std::string_view group_version_path);

}  // namespace orch::api
