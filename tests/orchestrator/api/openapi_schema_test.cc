#include "orchestrator/api/openapi_schema.h"

#include <gtest/gtest.h>

#include <set>

namespace orch::api {
namespace {

constexpr std::string_view kCorePrefix = "#/components/schemas/";

TEST(OpenApiSchemaTest, BuiltinTableParsesAndEveryReferenceResolves) {
  const SchemaSet& schemas = SchemaSet::Builtin();
  ASSERT_GT(schemas.definitions().size(), 100u);
  for (const SchemaDefinition& definition : schemas.definitions()) {
    EXPECT_FALSE(definition.description.empty()) << definition.name;
    for (const SchemaProperty& property : definition.properties) {
      const SchemaType* type = &property.type;
      while (type->element != nullptr)
        type = type->element.get();
      if (type->shape == SchemaType::Shape::kReference) {
        EXPECT_NE(schemas.Find(type->name), nullptr) << definition.name << "." << property.name;
      }
    }
  }
}

TEST(OpenApiSchemaTest, EveryServedKindAndSubresourceHasASchema) {
  const SchemaSet& schemas = SchemaSet::Builtin();
  for (const ResourceInfo& resource : AllResources()) {
    EXPECT_NE(schemas.FindKind(resource.group, resource.version, resource.kind), nullptr)
        << resource.kind;
    if (!resource.list_kind.empty()) {
      EXPECT_NE(schemas.FindKind(resource.group, resource.version, resource.list_kind), nullptr)
          << resource.list_kind;
    }
    for (const SubresourceInfo& subresource : resource.subresources) {
      EXPECT_NE(schemas.FindKind(subresource.group, subresource.version, subresource.kind), nullptr)
          << resource.kind << "/" << subresource.name;
    }
  }
  EXPECT_EQ(schemas.FindByApiVersionKind("apps/v1", "Deployment")->name,
            "io.k8s.api.apps.v1.Deployment");
  EXPECT_EQ(schemas.FindByApiVersionKind("v1", "Pod")->name, "io.k8s.api.core.v1.Pod");
  EXPECT_EQ(schemas.FindByApiVersionKind("v1", "Nope"), nullptr);
}

TEST(OpenApiSchemaTest, ContainerFieldsCarryKubernetesNamesTypesAndPatchExtensions) {
  const SchemaDefinition* pod_spec = SchemaSet::Builtin().Find("io.k8s.api.core.v1.PodSpec");
  ASSERT_NE(pod_spec, nullptr);
  const Json schema = pod_spec->ToOpenApi();
  const Json& containers = schema["properties"]["containers"];
  EXPECT_EQ(containers["type"], "array");
  EXPECT_EQ(containers["items"]["$ref"], std::string(kCorePrefix) + "io.k8s.api.core.v1.Container");
  EXPECT_EQ(containers["x-kubernetes-patch-merge-key"], "name");
  EXPECT_EQ(containers["x-kubernetes-patch-strategy"], "merge");
  EXPECT_EQ(containers["x-kubernetes-list-type"], "map");
  EXPECT_EQ(containers["x-kubernetes-list-map-keys"], Json::array({"name"}));
  EXPECT_EQ(schema["properties"]["volumes"]["x-kubernetes-patch-strategy"], "merge,retainKeys");
  EXPECT_EQ(schema["properties"]["nodeSelector"]["additionalProperties"]["type"], "string");
  EXPECT_EQ(schema["properties"]["terminationGracePeriodSeconds"]["format"], "int64");
  EXPECT_EQ(schema["properties"]["affinity"]["allOf"][0]["$ref"],
            std::string(kCorePrefix) + "io.k8s.api.core.v1.Affinity");
  EXPECT_EQ(schema["required"], Json::array({"containers"}));

  const Json container = SchemaSet::Builtin().Find("io.k8s.api.core.v1.Container")->ToOpenApi();
  for (std::string_view field :
       {"args", "command", "env", "envFrom", "image", "imagePullPolicy", "lifecycle",
        "livenessProbe", "name", "ports", "readinessProbe", "resizePolicy", "resources",
        "restartPolicy", "securityContext", "startupProbe", "volumeMounts", "workingDir"}) {
    EXPECT_TRUE(container["properties"].contains(field)) << field;
  }
  EXPECT_EQ(container["properties"]["ports"]["x-kubernetes-list-map-keys"],
            Json::array({"containerPort", "protocol"}));
  const Json port = SchemaSet::Builtin().Find("io.k8s.api.core.v1.ContainerPort")->ToOpenApi();
  EXPECT_EQ(port["properties"]["protocol"]["default"], "TCP");
}

TEST(OpenApiSchemaTest, KindsCarryGroupVersionKindAndScalarsTheirFormat) {
  const SchemaSet& schemas = SchemaSet::Builtin();
  const Json deployment = schemas.Find("io.k8s.api.apps.v1.Deployment")->ToOpenApi();
  EXPECT_EQ(deployment["x-kubernetes-group-version-kind"],
            Json::parse(R"([{"group":"apps","kind":"Deployment","version":"v1"}])"));
  const Json strategy = schemas.Find("io.k8s.api.apps.v1.DeploymentSpec")->ToOpenApi();
  EXPECT_EQ(strategy["properties"]["strategy"]["x-kubernetes-patch-strategy"], "retainKeys");
  const Json time = schemas.Find("io.k8s.apimachinery.pkg.apis.meta.v1.Time")->ToOpenApi();
  EXPECT_EQ(time["type"], "string");
  EXPECT_EQ(time["format"], "date-time");
  EXPECT_FALSE(time.contains("properties"));
  const Json selector =
      schemas.Find("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector")->ToOpenApi();
  EXPECT_EQ(selector["x-kubernetes-map-type"], "atomic");
}

TEST(OpenApiSchemaTest, ParseRefusesUnknownTypesDuplicateNamesAndStrayFields) {
  EXPECT_FALSE(SchemaSet::Parse("type a.B : b\n  x Missing : x\n").ok());
  EXPECT_FALSE(SchemaSet::Parse("type a.B : b\ntype c.B : b\n").ok());
  EXPECT_FALSE(SchemaSet::Parse("  x string : x\n").ok());
  EXPECT_FALSE(SchemaSet::Parse("type a.B : b\n  x string bogus=1 : x\n").ok());
  absl::StatusOr<SchemaSet> parsed = SchemaSet::Parse(
      "# comment\ntype a.B gvk=core/v1/B : b\n  y []C list=set : y\n"
      "  x {}string : x\nscalar a.C string/date-time : c\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const SchemaDefinition* b = parsed->FindKind("", "v1", "B");
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(b->properties.size(), 2u);
  EXPECT_EQ(b->properties[0].name, "x");  // sorted
  EXPECT_EQ(b->properties[1].type.element->name, "a.C");
}

TEST(OpenApiSchemaTest, GroupVersionDocumentsDeclareFieldValidationOnEveryPatch) {
  for (std::string_view path : {"api/v1", "apis/apps/v1", "apis/coordination.k8s.io/v1"}) {
    absl::StatusOr<Json> document = OpenApiV3Document(path);
    ASSERT_TRUE(document.ok()) << path;
    EXPECT_EQ((*document)["openapi"], "3.0.0");
    int patches = 0;
    for (const auto& [url, item] : (*document)["paths"].items()) {
      if (!item.contains("patch")) continue;
      ++patches;
      const Json& patch = item["patch"];
      EXPECT_TRUE(patch.contains("x-kubernetes-group-version-kind")) << url;
      std::set<std::string> names;
      for (const Json& parameter : patch["parameters"])
        names.insert(parameter["name"]);
      EXPECT_TRUE(names.contains("fieldValidation")) << url;
      EXPECT_TRUE(names.contains("fieldManager")) << url;
      EXPECT_TRUE(names.contains("dryRun")) << url;
    }
    EXPECT_GT(patches, 0) << path;
    // Every reference resolves within the document.
    const std::string text = document->dump();
    const Json& schemas = (*document)["components"]["schemas"];
    for (size_t at = text.find(kCorePrefix); at != std::string::npos;
         at = text.find(kCorePrefix, at + 1)) {
      const size_t start = at + kCorePrefix.size();
      const std::string name = text.substr(start, text.find('"', start) - start);
      EXPECT_TRUE(schemas.contains(name)) << path << ": " << name;
    }
  }
  absl::StatusOr<Json> core = OpenApiV3Document("api/v1");
  const Json& pod = (*core)["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"];
  EXPECT_EQ(pod["patch"]["x-kubernetes-group-version-kind"],
            Json::parse(R"({"group":"","version":"v1","kind":"Pod"})"));
  EXPECT_EQ(pod["put"]["requestBody"]["content"]["*/*"]["schema"]["$ref"],
            std::string(kCorePrefix) + "io.k8s.api.core.v1.Pod");
  const Json& eviction = (*core)["paths"]["/api/v1/namespaces/{namespace}/pods/{name}/eviction"];
  EXPECT_EQ(eviction["post"]["x-kubernetes-group-version-kind"]["group"], "policy");
  EXPECT_TRUE((*core)["paths"].contains("/api/v1/pods"));
  EXPECT_TRUE((*core)["paths"].contains("/api/v1/nodes/{name}/status"));
  absl::StatusOr<Json> apps = OpenApiV3Document("apis/apps/v1");
  EXPECT_EQ((*apps)["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]["put"]
                   ["x-kubernetes-group-version-kind"]["kind"],
            "Scale");
  EXPECT_TRUE((*apps)["components"]["schemas"].contains("io.k8s.api.core.v1.Container"));
  EXPECT_FALSE(OpenApiV3Document("apis/batch/v1").ok());
}

}  // namespace
}  // namespace orch::api
