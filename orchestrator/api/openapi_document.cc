// The /openapi/v3 group-version documents: paths built from the resource registry, schemas
// from the schema table (openapi_schema.h).
#include <set>

#include "orchestrator/api/openapi_schema.h"
#include "orchestrator/api/text.h"

namespace orch::api {
namespace {

char ToUpper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

constexpr std::string_view kKubernetesVersion = "v1.32.4";
constexpr std::string_view kPatchDefinition = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
constexpr std::string_view kStatusDefinition = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
constexpr std::string_view kDeleteOptionsDefinition =
    "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";

Json QueryParameter(std::string_view name, std::string_view type, std::string_view description) {
  return Json{{"name", name},
              {"in", "query"},
              {"description", description},
              {"schema", {{"type", type}, {"uniqueItems", true}}}};
}

Json PathParameter(std::string_view name, std::string_view description) {
  return Json{{"name", name},
              {"in", "path"},
              {"description", description},
              {"required", true},
              {"schema", {{"type", "string"}, {"uniqueItems", true}}}};
}

Json DryRun() {
  return QueryParameter("dryRun", "string",
                        "When present, modifications are not persisted. The only valid value is "
                        "All: all dry run stages are processed.");
}

Json FieldManager() {
  return QueryParameter("fieldManager", "string",
                        "The name of the actor or entity making these changes (at most 128 "
                        "printable characters); required for apply patches.");
}

// The parameter whose presence tells kubectl that the server validates fields itself (it
// then sends fieldValidation=Strict instead of validating on the client).
Json FieldValidation() {
  return QueryParameter(
      "fieldValidation", "string",
      "What to do with unknown or duplicate fields in the request: Ignore (drop nothing, say "
      "nothing), Warn (the default: accept and send a Warning header per field) or Strict "
      "(refuse the request with a BadRequest naming every such field).");
}

std::vector<Json> WriteParameters(bool patch) {
  std::vector<Json> parameters = {DryRun(), FieldManager(), FieldValidation()};
  if (patch) {
    parameters.push_back(QueryParameter(
        "force", "boolean",
        "Apply requests only: take fields other managers own instead of failing on conflicts."));
  }
  return parameters;
}

std::vector<Json> ListParameters() {
  return {
      QueryParameter("allowWatchBookmarks", "boolean", "Ask for BOOKMARK events in a watch."),
      QueryParameter("continue", "string", "The token of the next page of a limited list."),
      QueryParameter("fieldSelector", "string", "Restrict the list by fields."),
      QueryParameter("labelSelector", "string", "Restrict the list by labels."),
      QueryParameter("limit", "integer", "The most items to return in one page."),
      QueryParameter("resourceVersion", "string", "Where a list or watch starts."),
      QueryParameter("resourceVersionMatch", "string", "How resourceVersion applies to a list."),
      QueryParameter("sendInitialEvents", "boolean", "Stream the initial state in a watch."),
      QueryParameter("timeoutSeconds", "integer", "How long a list or watch may take."),
      QueryParameter("watch", "boolean", "Watch for changes instead of listing."),
  };
}

std::vector<Json> DeleteParameters() {
  return {
      DryRun(),
      QueryParameter("gracePeriodSeconds", "integer",
                     "Seconds before the object is deleted; 0 deletes at once."),
      QueryParameter("ignoreStoreReadErrorWithClusterBreakingPotential", "boolean",
                     "Delete a corrupt object that cannot be read (unsafe)."),
      QueryParameter("orphanDependents", "boolean", "Deprecated: use propagationPolicy."),
      QueryParameter("propagationPolicy", "string",
                     "Orphan, Background or Foreground garbage collection of dependents."),
  };
}

Json SchemaRefObject(std::string_view definition) {
  return Json{{"$ref", Cat("#/components/schemas/", definition)}};
}

Json JsonContent(const Json& schema) {
  return Json{{"application/json", {{"schema", schema}}},
              {"application/yaml", {{"schema", schema}}}};
}

// "CoreV1", "AppsV1", "CoordinationV1", "PolicyV1": how operation ids name a group version.
std::string OperationGroupVersion(std::string_view group, std::string_view version) {
  std::string name(group.empty() ? "core" : group.substr(0, group.find('.')));
  std::string version_name(version);
  name[0] = ToUpper(name[0]);
  version_name[0] = ToUpper(version_name[0]);
  return name + version_name;
}

// Builds one group version's paths and remembers the definitions they reference.
class DocumentBuilder {
 public:
  explicit DocumentBuilder(const SchemaSet& schemas) : schemas_(schemas) {}

  void AddResource(const ResourceInfo& resource) {
    const std::string base = resource.group.empty()
                                 ? Cat("/api/", resource.version)
                                 : Cat("/apis/", resource.group, "/", resource.version);
    const std::string collection = resource.namespaced
                                       ? Cat(base, "/namespaces/{namespace}/", resource.plural)
                                       : Cat(base, "/", resource.plural);
    const std::string item = collection + "/{name}";
    const SchemaGroupVersionKind gvk = {std::string(resource.group), std::string(resource.version),
                                        std::string(resource.kind)};
    const std::string kind_name = Cat(resource.namespaced ? "Namespaced" : "", resource.kind);
    const std::string op_group = OperationGroupVersion(resource.group, resource.version);
    const std::string object = DefinitionOf(gvk);
    const std::string list =
        resource.list_kind.empty()
            ? std::string()
            : DefinitionOf({gvk.group, gvk.version, std::string(resource.list_kind)});

    Json& collection_item = PathItem(collection, resource.namespaced, false);
    if (resource.HasVerb("list") && !list.empty()) {
      collection_item["get"] = Operation("list", Cat("list", op_group, kind_name), gvk,
                                         ListParameters(), std::nullopt, list);
      if (resource.namespaced) {
        Json& everywhere = PathItem(Cat(base, "/", resource.plural), false, false);
        everywhere["get"] =
            Operation("list", Cat("list", op_group, resource.kind, "ForAllNamespaces"), gvk,
                      ListParameters(), std::nullopt, list);
      }
    }
    if (resource.HasVerb("create")) {
      collection_item["post"] = Operation("post", Cat("create", op_group, kind_name), gvk,
                                          WriteParameters(false), BodyOf(object), object);
    }
    if (resource.HasVerb("deletecollection")) {
      std::vector<Json> parameters = ListParameters();
      for (Json& parameter : DeleteParameters())
        parameters.push_back(std::move(parameter));
      collection_item["delete"] =
          Operation("deletecollection", Cat("deletecollection", op_group, kind_name), gvk,
                    std::move(parameters), BodyOf(std::string(kDeleteOptionsDefinition)),
                    std::string(kStatusDefinition));
    }
    if (!resource.HasVerb("get")) return;  // bindings: create only
    Json& item_paths = PathItem(item, resource.namespaced, true);
    item_paths["get"] =
        Operation("get", Cat("read", op_group, kind_name), gvk, {}, std::nullopt, object);
    if (resource.HasVerb("update")) {
      item_paths["put"] = Operation("put", Cat("replace", op_group, kind_name), gvk,
                                    WriteParameters(false), BodyOf(object), object);
    }
    if (resource.HasVerb("patch")) {
      item_paths["patch"] = Operation("patch", Cat("patch", op_group, kind_name), gvk,
                                      WriteParameters(true), PatchBody(), object);
    }
    if (resource.HasVerb("delete")) {
      item_paths["delete"] =
          Operation("delete", Cat("delete", op_group, kind_name), gvk, DeleteParameters(),
                    BodyOf(std::string(kDeleteOptionsDefinition)), object);
    }
    for (const SubresourceInfo& subresource : resource.subresources) {
      AddSubresource(item, resource, subresource, op_group, kind_name);
    }
  }

  Json Build() && {
    return Json{{"openapi", "3.0.0"},
                {"info", {{"title", "Kubernetes"}, {"version", kKubernetesVersion}}},
                {"paths", std::move(paths_)},
                {"components", {{"schemas", schemas_.ComponentsFor(referenced_)}}}};
  }

 private:
  void AddSubresource(const std::string& item, const ResourceInfo& resource,
                      const SubresourceInfo& subresource, const std::string& op_group,
                      const std::string& kind_name) {
    const SchemaGroupVersionKind gvk = {std::string(subresource.group),
                                        std::string(subresource.version),
                                        std::string(subresource.kind)};
    std::string suffix(subresource.name);
    suffix[0] = ToUpper(suffix[0]);
    const std::string id = kind_name + suffix;
    Json& path = PathItem(Cat(item, "/", subresource.name), resource.namespaced, true);
    if (subresource.name == "log") {
      Json get = Operation("get", Cat("read", op_group, id), gvk,
                           {QueryParameter("container", "string", "The container to read."),
                            QueryParameter("follow", "boolean", "Stream the log."),
                            QueryParameter("previous", "boolean", "The previous instance's log."),
                            QueryParameter("tailLines", "integer", "Lines from the end."),
                            QueryParameter("timestamps", "boolean", "Prefix each line's time.")},
                           std::nullopt, std::nullopt);
      get["responses"]["200"]["content"] = {{"text/plain", {{"schema", {{"type", "string"}}}}}};
      path["get"] = std::move(get);
      return;
    }
    const std::string object = DefinitionOf(gvk);
    for (std::string_view verb : subresource.verbs) {
      if (verb == "get") {
        path["get"] = Operation("get", Cat("read", op_group, id), gvk, {}, std::nullopt, object);
      } else if (verb == "update") {
        path["put"] = Operation("put", Cat("replace", op_group, id), gvk, WriteParameters(false),
                                BodyOf(object), object);
      } else if (verb == "patch") {
        path["patch"] = Operation("patch", Cat("patch", op_group, id), gvk, WriteParameters(true),
                                  PatchBody(), object);
      } else if (verb == "create") {
        path["post"] = Operation("post", Cat("create", op_group, id), gvk, WriteParameters(false),
                                 BodyOf(object), object);
      }
    }
  }

  std::string DefinitionOf(const SchemaGroupVersionKind& gvk) {
    const SchemaDefinition* definition = schemas_.FindKind(gvk.group, gvk.version, gvk.kind);
    return definition == nullptr ? std::string() : definition->name;
  }

  Json& PathItem(const std::string& path, bool namespaced, bool named) {
    Json& item = paths_[path];
    if (!item.contains("parameters")) {
      Json parameters = Json::array();
      if (named) parameters.push_back(PathParameter("name", "The name of the object."));
      if (namespaced) {
        parameters.push_back(PathParameter("namespace", "The object's namespace."));
      }
      parameters.push_back(
          QueryParameter("pretty", "string", "If 'true', the output is pretty printed."));
      item["parameters"] = std::move(parameters);
    }
    return item;
  }

  std::optional<Json> BodyOf(const std::string& definition) {
    if (definition.empty()) return std::nullopt;
    referenced_.push_back(definition);
    return Json{{"required", true},
                {"content", {{"*/*", {{"schema", SchemaRefObject(definition)}}}}}};
  }

  Json PatchBody() {
    referenced_.emplace_back(kPatchDefinition);
    const Json schema = SchemaRefObject(kPatchDefinition);
    return Json{{"required", true},
                {"content",
                 {{"application/apply-patch+yaml", {{"schema", schema}}},
                  {"application/json-patch+json", {{"schema", schema}}},
                  {"application/merge-patch+json", {{"schema", schema}}},
                  {"application/strategic-merge-patch+json", {{"schema", schema}}}}}};
  }

  Json Operation(std::string_view action, const std::string& operation_id,
                 const SchemaGroupVersionKind& gvk, std::vector<Json> parameters,
                 std::optional<Json> body, std::optional<std::string> response) {
    Json operation = {{"operationId", operation_id},
                      {"parameters", std::move(parameters)},
                      {"responses", {{"401", {{"description", "Unauthorized"}}}}},
                      {"x-kubernetes-action", action},
                      {"x-kubernetes-group-version-kind",
                       {{"group", gvk.group}, {"version", gvk.version}, {"kind", gvk.kind}}}};
    if (body.has_value()) operation["requestBody"] = std::move(*body);
    Json ok = {{"description", "OK"}};
    if (response.has_value() && !response->empty()) {
      referenced_.push_back(*response);
      ok["content"] = JsonContent(SchemaRefObject(*response));
    }
    operation["responses"]["200"] = std::move(ok);
    if (action == "post") operation["responses"]["201"] = {{"description", "Created"}};
    return operation;
  }

  const SchemaSet& schemas_;
  Json paths_ = Json::object();
  std::vector<std::string> referenced_;
};

}  // namespace

std::string OpenApiV3Path(const GroupVersion& group_version) {
  if (group_version.group.empty()) return Cat("api/", group_version.version);
  return Cat("apis/", group_version.group, "/", group_version.version);
}

absl::StatusOr<Json> OpenApiV3Document(std::string_view group_version_path) {
  std::vector<GroupVersion> served = ServedGroupVersions();
  served.insert(served.begin(), GroupVersion{"", "v1"});
  for (const GroupVersion& group_version : served) {
    if (OpenApiV3Path(group_version) != group_version_path) continue;
    DocumentBuilder builder(SchemaSet::Builtin());
    for (const ResourceInfo& resource : AllResources()) {
      if (resource.group == group_version.group && resource.version == group_version.version) {
        builder.AddResource(resource);
      }
    }
    return std::move(builder).Build();
  }
  return absl::NotFoundError(Cat("no OpenAPI document for ", group_version_path));
}

}  // namespace orch::api
