#include "orchestrator/api/registry.h"

#include <gtest/gtest.h>

#include "orchestrator/api/object.h"

namespace orch::api {
namespace {

TEST(RegistryTest, FindsResourcesByNameAndKind) {
  const ResourceInfo* pods = FindResource("", "v1", "pods");
  ASSERT_NE(pods, nullptr);
  EXPECT_EQ(pods->kind, "Pod");
  EXPECT_TRUE(pods->namespaced);
  EXPECT_EQ(pods->short_names, std::vector<std::string_view>{"po"});
  EXPECT_TRUE(pods->HasVerb("watch"));
  ASSERT_NE(pods->FindSubresource("log"), nullptr);

  const ResourceInfo* deployments = FindResourceByKind("apps/v1", "Deployment");
  ASSERT_NE(deployments, nullptr);
  EXPECT_EQ(deployments->plural, "deployments");
  EXPECT_EQ(deployments->group_resource().ToString(), "deployments.apps");
  EXPECT_EQ(deployments->FindSubresource("scale")->kind, "Scale");

  EXPECT_FALSE(FindResource("", "v1", "namespaces")->namespaced);
  EXPECT_FALSE(FindResource("", "v1", "namespaces")->HasVerb("deletecollection"));
  EXPECT_EQ(FindResource("", "v1", "services"), nullptr);
  EXPECT_EQ(FindResourceByKind("v1", "Deployment"), nullptr);
  EXPECT_EQ(ResourceFor(Kind::kLease).group, "coordination.k8s.io");

  for (std::string_view short_name : {"po", "no", "deploy", "rs", "ns", "ev"}) {
    bool found = false;
    for (const ResourceInfo& info : AllResources()) {
      for (std::string_view name : info.short_names)
        found = found || name == short_name;
    }
    EXPECT_TRUE(found) << short_name;
  }
}

TEST(RegistryTest, LegacyDiscoveryDocuments) {
  Json versions = ApiVersionsDocument("127.0.0.1:6443");
  EXPECT_EQ(versions["kind"], "APIVersions");
  EXPECT_EQ(versions["versions"], Json::array({"v1"}));
  EXPECT_EQ(versions["serverAddressByClientCIDRs"][0]["serverAddress"], "127.0.0.1:6443");

  Json groups = ApiGroupListDocument();
  ASSERT_EQ(groups["groups"].size(), 2u);
  EXPECT_EQ(groups["groups"][0]["name"], "apps");
  EXPECT_EQ(groups["groups"][0]["preferredVersion"]["groupVersion"], "apps/v1");
  EXPECT_EQ(groups["groups"][1]["name"], "coordination.k8s.io");

  absl::StatusOr<Json> apps = ApiResourceListDocument("apps", "v1");
  ASSERT_TRUE(apps.ok());
  EXPECT_EQ((*apps)["groupVersion"], "apps/v1");
  bool saw_scale = false;
  for (const Json& resource : (*apps)["resources"]) {
    if (resource["name"] == "deployments") {
      EXPECT_EQ(resource["shortNames"], Json::array({"deploy"}));
      EXPECT_EQ(resource["categories"], Json::array({"all"}));
      EXPECT_EQ(resource["verbs"].size(), 8u);
    }
    if (resource["name"] == "deployments/scale") {
      saw_scale = true;
      EXPECT_EQ(resource["group"], "autoscaling");
      EXPECT_EQ(resource["kind"], "Scale");
    }
  }
  EXPECT_TRUE(saw_scale);
  absl::StatusOr<Json> core = ApiResourceListDocument("", "v1");
  ASSERT_TRUE(core.ok());
  EXPECT_EQ((*core)["groupVersion"], "v1");
  EXPECT_FALSE(ApiResourceListDocument("batch", "v1").ok());
}

TEST(RegistryTest, AggregatedDiscovery) {
  Json core = AggregatedDiscoveryDocument(true);
  EXPECT_EQ(core["kind"], "APIGroupDiscoveryList");
  ASSERT_EQ(core["items"].size(), 1u);
  EXPECT_EQ(core["items"][0]["metadata"]["name"], "");
  Json apis = AggregatedDiscoveryDocument(false);
  ASSERT_EQ(apis["items"].size(), 2u);
  const Json& deployments = apis["items"][0]["versions"][0]["resources"][0];
  EXPECT_EQ(deployments["resource"], "deployments");
  EXPECT_EQ(deployments["scope"], "Namespaced");
  EXPECT_EQ(deployments["responseKind"]["kind"], "Deployment");
  EXPECT_EQ(deployments["subresources"][0]["subresource"], "scale");
  EXPECT_EQ(deployments["subresources"][0]["responseKind"]["group"], "autoscaling");
}

TEST(ObjectTest, MetadataAndConditions) {
  Json pod = Json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","namespace":"d",
    "labels":{"app":"x"},"ownerReferences":[{"uid":"1"},{"uid":"2","controller":true}]},
    "spec":{},"status":{"conditions":[{"type":"Ready","status":"False","lastTransitionTime":"t0"}]}})");
  EXPECT_EQ(NameOf(pod), "a");
  EXPECT_EQ(NamespaceOf(pod), "d");
  EXPECT_EQ(LabelsOf(pod)["app"], "x");
  EXPECT_EQ((*ControllerRefOf(pod))["uid"], "2");
  EXPECT_EQ(ConditionStatus(pod, "Ready"), "False");
  SetCondition(pod, {{"type", "Ready"}, {"status", "False"}, {"lastTransitionTime", "t1"}});
  EXPECT_EQ(pod["status"]["conditions"][0]["lastTransitionTime"], "t0");
  SetCondition(pod, {{"type", "Ready"}, {"status", "True"}, {"lastTransitionTime", "t2"}});
  EXPECT_EQ(pod["status"]["conditions"][0]["lastTransitionTime"], "t2");
  SetCondition(pod, {{"type", "PodScheduled"}, {"status", "True"}});
  EXPECT_EQ(pod["status"]["conditions"].size(), 2u);

  pod["metadata"]["resourceVersion"] = "7";
  pod["metadata"]["deletionTimestamp"] = "x";
  StampCreateMetadata(pod, "uid-1", absl::FromUnixSeconds(1700000000));
  EXPECT_EQ(UidOf(pod), "uid-1");
  EXPECT_EQ(pod["metadata"]["creationTimestamp"], "2023-11-14T22:13:20Z");
  EXPECT_FALSE(pod["metadata"].contains("resourceVersion"));
  EXPECT_FALSE(IsBeingDeleted(pod));
  EXPECT_EQ(*TimestampAt(pod, {"metadata", "creationTimestamp"}),
            absl::FromUnixSeconds(1700000000));
  EXPECT_FALSE(ParseTimestamp("yesterday").has_value());

  std::string generated = NameFromGenerateName("web-", 12345);
  EXPECT_EQ(generated.size(), 9u);
  EXPECT_EQ(generated.substr(0, 4), "web-");
  EXPECT_EQ(NameFromGenerateName(std::string(80, 'a'), 1).size(), 63u);

  Json list = ListDocument(ResourceFor(Kind::kPod), Json::array({pod}), "12", "next");
  EXPECT_EQ(list["kind"], "PodList");
  EXPECT_EQ(list["metadata"]["continue"], "next");
  EXPECT_EQ(list["items"].size(), 1u);
}

}  // namespace
}  // namespace orch::api
