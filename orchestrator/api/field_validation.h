// Server-side field validation (the fieldValidation query parameter of create, update and
// patch): which fields of a request body the kind's schema (openapi_schema.h) does not know,
// and which JSON fields appear twice, worded as upstream's strict decoder words them:
// `unknown field "spec.containers[0].imagee"`, `duplicate field "metadata.name"`. Maps
// (labels, annotations, resource lists, nodeSelector) and free-form objects take any key.
// The caller decides what a problem means (refusal, warning); objects keep every field.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "orchestrator/api/field_errors.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/openapi_schema.h"

namespace orch::api {

enum class FieldValidationDirective { kIgnore, kWarn, kStrict };

// The query parameter's value: "" is Warn (upstream's default); another value is nullopt.
std::optional<FieldValidationDirective> ParseFieldValidation(std::string_view value);
// `fieldValidation: Unsupported value: "x": supported values: "", "Ignore", "Strict", "Warn"`,
// for upstream's 422 on CreateOptions / UpdateOptions / PatchOptions.
FieldError UnsupportedFieldValidation(std::string_view value);

// Fields of `object` (a whole object of the kind `definition` describes) the schema lacks.
std::vector<std::string> UnknownFields(const SchemaSet& schemas, const SchemaDefinition& definition,
                                       const Json& object);
// The same for a JSON merge patch or strategic merge patch: directives ($patch,
// $retainKeys, $setElementOrder/..., $deleteFromPrimitiveList/...) and null values (which
// delete) are not fields.
std::vector<std::string> UnknownPatchFields(const SchemaSet& schemas,
                                            const SchemaDefinition& definition, const Json& patch);
// The same for a JSON patch (RFC 6902): the paths and values of add, replace, copy and move.
std::vector<std::string> UnknownJsonPatchFields(const SchemaSet& schemas,
                                                const SchemaDefinition& definition,
                                                const Json& operations);
// Object members that appear more than once in a JSON text (nlohmann::json keeps the last
// one, so only the text shows them); nothing when the text is not valid JSON.
std::vector<std::string> DuplicateFields(std::string_view json_text);

// "strict decoding error: <problem>, <problem>" (upstream runtime.StrictDecodingError).
std::string StrictDecodingMessage(const std::vector<std::string>& problems);

}  // namespace orch::api
