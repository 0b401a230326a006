#include "orchestrator/apiserver/write_field_check.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "orchestrator/api/field_validation.h"
#include "orchestrator/api/openapi_schema.h"
#include "orchestrator/api/patch.h"
#include "orchestrator/api/status.h"
#include "orchestrator/api/yaml.h"
#include "spdlog/spdlog.h"

namespace orch::apiserver {
namespace {

using api::Json;

HttpResponse StatusResponse(const Json& status) {
  HttpResponse response;
  response.status = api::StatusCode(status);
  response.body = status.dump();
  return response;
}

// The schema a body of this request is decoded into.
const api::SchemaDefinition* BodySchema(const api::ResourceInfo& resource,
                                        std::string_view subresource) {
  const api::SchemaSet& schemas = api::SchemaSet::Builtin();
  if (subresource.empty() || subresource == "status" || subresource == "finalize") {
    return schemas.FindKind(resource.group, resource.version, resource.kind);
  }
  // policy/v1beta1 Evictions have the fields of policy/v1 ones.
  const api::SubresourceInfo* info = resource.FindSubresource(subresource);
  if (info == nullptr || subresource == "log") return nullptr;
  return schemas.FindKind(info->group, info->version, info->kind);
}

std::string_view MediaType(std::string_view content_type) {
  return content_type.substr(0, content_type.find(';'));
}

// Go's %+v of a decoded JSON value (map[a:1 b:[x y]]), as upstream prints a strategic merge
// patch in its Invalid value.
void AppendGoValue(std::string& out, const Json& value) {
  if (value.is_object()) {
    out += "map[";
    bool first = true;
    for (const auto& [key, entry] : value.items()) {  // nlohmann keeps keys sorted, as Go prints
      if (!first) out += ' ';
      first = false;
      out += key;
      out += ':';
      AppendGoValue(out, entry);
    }
    out += ']';
  } else if (value.is_array()) {
    out += '[';
    for (size_t i = 0; i < value.size(); ++i) {
      if (i > 0) out += ' ';
      AppendGoValue(out, value[i]);
    }
    out += ']';
  } else if (value.is_string()) {
    out += value.get<std::string>();
  } else if (value.is_null()) {
    out += "<nil>";
  } else {
    out += value.dump();
  }
}

// The problems of one request body, in upstream's order: duplicates as the decoder meets
// them, then unknown fields.
struct BodyProblems {
  std::vector<std::string> problems;
  std::optional<api::PatchType> patch_type;
  Json decoded;  // the parsed body (for the refusal's text)
};

std::optional<BodyProblems> FindBodyProblems(const HttpRequest& request,
                                             const api::SchemaDefinition& schema) {
  const api::SchemaSet& schemas = api::SchemaSet::Builtin();
  BodyProblems found;
  const std::string_view media_type = MediaType(request.content_type);
  const bool json = media_type.empty() || media_type == "application/json" || media_type == "*/*";
  if (request.method == "PATCH") {
    found.patch_type = api::PatchTypeFromContentType(request.content_type);
    if (!found.patch_type.has_value()) return std::nullopt;
  } else if (!json && media_type != "application/yaml") {
    return std::nullopt;  // protobuf carries only the fields its decoder knows
  }
  const bool yaml = media_type == "application/yaml" ||
                    found.patch_type == std::optional(api::PatchType::kApplyPatch);
  absl::StatusOr<Json> body = yaml ? api::YamlToJson(request.body) : api::ParseJson(request.body);
  if (!body.ok()) return std::nullopt;
  found.decoded = std::move(*body);
  if (!yaml && found.patch_type != std::optional(api::PatchType::kJsonPatch)) {
    found.problems = api::DuplicateFields(request.body);
  }
  std::vector<std::string> unknown;
  if (!found.patch_type.has_value() || *found.patch_type == api::PatchType::kApplyPatch) {
    unknown = api::UnknownFields(schemas, schema, found.decoded);
  } else if (*found.patch_type == api::PatchType::kJsonPatch) {
    unknown = api::UnknownJsonPatchFields(schemas, schema, found.decoded);
  } else {
    unknown = api::UnknownPatchFields(schemas, schema, found.decoded);
  }
  for (std::string& problem : unknown)
    found.problems.push_back(std::move(problem));
  return found;
}

// Upstream's answer under Strict, by how the body was decoded.
HttpResponse StrictRefusal(const BodyProblems& found, const api::SchemaDefinition& schema,
                           std::string_view namespace_name, std::string_view name) {
  const api::SchemaGroupVersionKind& gvk = schema.group_version_kinds.front();
  const std::string message = api::StrictDecodingMessage(found.problems);
  if (!found.patch_type.has_value()) {
    // The create and update handlers' transformDecodeError.
    const std::string body_kind = api::StringAt(found.decoded, {"kind"}, gvk.kind);
    std::string body_version = api::StringAt(found.decoded, {"apiVersion"}, gvk.version);
    body_version = body_version.substr(body_version.find('/') + 1);
    return StatusResponse(
        api::StatusBadRequest(absl::StrCat(body_kind, " in version \"", body_version,
                                           "\" cannot be handled as a ", gvk.kind, ": ", message)));
  }
  if (*found.patch_type == api::PatchType::kApplyPatch) {
    // Server-side apply's typed conversion (structured-merge-diff) words it per field.
    std::vector<std::string> errors;
    for (const std::string& problem : found.problems) {
      const size_t open = problem.find('"');
      const std::string path = problem.substr(open + 1, problem.rfind('"') - open - 1);
      errors.push_back(absl::StrCat(".", path, ": field not declared in schema"));
    }
    const std::string listed = errors.size() == 1
                                   ? errors.front()
                                   : absl::StrCat("errors:\n  ", absl::StrJoin(errors, "\n  "));
    return StatusResponse(api::StatusBadRequest(absl::StrCat(
        "failed to create typed patch object (", std::string(namespace_name), "/",
        std::string(name), "; ", gvk.group, "/", gvk.version, ", Kind=", gvk.kind, "): ", listed)));
  }
  // The patch handlers: 422 on the field "patch", whose value upstream prints as the patched
  // object (JSON and merge patches; here the patch as sent) or as Go prints the strategic
  // merge patch map.
  std::string value;
  if (*found.patch_type == api::PatchType::kStrategicMergePatch) {
    AppendGoValue(value, found.decoded);
  } else {
    value = found.decoded.dump();
  }
  return StatusResponse(
      api::StatusInvalid({"", ""}, "", {api::Invalid(api::FieldPath("patch"), value, message)}));
}

std::string_view OptionsKind(std::string_view method) {
  if (method == "POST") return "CreateOptions";
  if (method == "PUT") return "UpdateOptions";
  return "PatchOptions";
}

// Upstream's warning text escaping: a quoted string with \ and " escaped.
std::string WarningHeader(std::string_view problem) {
  std::string value = "299 - \"";
  for (char c : problem) {
    if (c == '"' || c == '\\') value += '\\';
    value += c;
  }
  value += '"';
  return value;
}

}  // namespace

WriteFieldCheck CheckWriteFields(const HttpRequest& request, const api::ResourceInfo& resource,
                                 std::string_view subresource, std::string_view namespace_name,
                                 std::string_view name) {
  WriteFieldCheck check;
  const std::string& method = request.method;
  if (method != "POST" && method != "PUT" && method != "PATCH") return check;
  const std::string requested = request.Query("fieldValidation");
  const std::optional<api::FieldValidationDirective> directive =
      api::ParseFieldValidation(requested);
  if (!directive.has_value()) {
    check.refusal =
        StatusResponse(api::StatusInvalid({"meta.k8s.io", std::string(OptionsKind(method))}, "",
                                          {api::UnsupportedFieldValidation(requested)}));
    return check;
  }
  if (*directive == api::FieldValidationDirective::kIgnore || request.body.empty()) return check;
  const api::SchemaDefinition* schema = BodySchema(resource, subresource);
  if (schema == nullptr || schema->group_version_kinds.empty()) return check;
  std::optional<BodyProblems> found = FindBodyProblems(request, *schema);
  if (!found.has_value() || found->problems.empty()) return check;
  if (*directive == api::FieldValidationDirective::kStrict) {
    check.refusal = StrictRefusal(*found, *schema, namespace_name, name);
    return check;
  }
  spdlog::info("apiserver: {} {} {}/{} accepted with {} (fieldManager {})", method,
               std::string(resource.plural), std::string(namespace_name), std::string(name),
               absl::StrJoin(found->problems, ", "), request.Query("fieldManager"));
  check.warnings = std::move(found->problems);
  return check;
}

void AddFieldWarnings(HttpResponse& response, const std::vector<std::string>& problems) {
  for (const std::string& problem : problems)
    response.headers.emplace_back("Warning", WarningHeader(problem));
}

}  // namespace orch::apiserver
