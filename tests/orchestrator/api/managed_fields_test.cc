#include "orchestrator/api/managed_fields.h"

#include <gtest/gtest.h>

namespace orch::api {
namespace {

Json J(std::string_view text) {
  return Json::parse(text);
}

const Json kDeployment = J(R"({"apiVersion":"apps/v1","kind":"Deployment",
  "metadata":{"name":"web","namespace":"d","uid":"u","labels":{"app":"web"},"finalizers":["example.com/f"]},
  "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
    "spec":{"containers":[{"name":"nginx","image":"nginx:1","ports":[{"containerPort":80}],"resources":{}}],
            "tolerations":[{"key":"a","operator":"Exists"}]}}}})");

TEST(ManagedFieldsTest, FieldsOfAnObjectInFieldsV1Form) {
  Json fields = FieldSet::Of(kDeployment).ToFieldsV1();
  EXPECT_EQ(fields, J(R"({
    "f:metadata":{"f:labels":{".":{},"f:app":{}},"f:finalizers":{".":{},"v:\"example.com/f\"":{}}},
    "f:spec":{"f:replicas":{},"f:selector":{"f:matchLabels":{".":{},"f:app":{}}},
      "f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},
        "f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{},
          "f:ports":{".":{},"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}},
          "f:resources":{}}},
        "f:tolerations":{}}}}})"))
      << fields.dump();
  absl::StatusOr<FieldSet> back = FieldSet::FromFieldsV1(fields);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, FieldSet::Of(kDeployment));
  EXPECT_FALSE(FieldSet::FromFieldsV1(J(R"({"x:bad":{}})")).ok());
  EXPECT_TRUE(FieldSet::FromFieldsV1(Json::object())->empty());
}

TEST(ManagedFieldsTest, ChangedAndSetAlgebra) {
  Json updated = kDeployment;
  updated["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:2";
  updated["metadata"]["labels"]["tier"] = "front";
  Json changed = FieldSet::Changed(updated, &kDeployment).ToFieldsV1();
  EXPECT_EQ(changed, J(R"({"f:metadata":{"f:labels":{"f:tier":{}}},
    "f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{"f:image":{}}}}}}})"))
      << changed.dump();
  FieldSet all = FieldSet::Of(kDeployment);
  FieldSet rest = all.Difference(FieldSet::Changed(updated, &kDeployment));
  EXPECT_EQ(rest.Union(FieldSet::Changed(updated, &kDeployment)).Difference(all).ToFieldsV1(),
            J(R"({"f:metadata":{"f:labels":{"f:tier":{}}}})"));
  EXPECT_TRUE(FieldSet::Changed(kDeployment, &kDeployment).empty());
}

TEST(ManagedFieldsTest, OwnershipMovesWithWrites) {
  absl::Time t0 = absl::FromUnixSeconds(0);
  absl::Time t1 = absl::FromUnixSeconds(60);
  Json created = kDeployment;
  UpdateManagedFields(created, nullptr, "kubectl-create", "Update", "", t0);
  ASSERT_EQ(created["metadata"]["managedFields"].size(), 1u);
  const Json& entry = created["metadata"]["managedFields"][0];
  EXPECT_EQ(entry["manager"], "kubectl-create");
  EXPECT_EQ(entry["operation"], "Update");
  EXPECT_EQ(entry["apiVersion"], "apps/v1");
  EXPECT_EQ(entry["fieldsType"], "FieldsV1");
  EXPECT_EQ(entry["time"], "1970-01-01T00:00:00Z");
  EXPECT_EQ(entry["fieldsV1"], FieldSet::Of(kDeployment).ToFieldsV1());

  Json scaled = created;
  scaled["spec"]["replicas"] = 5;
  UpdateManagedFields(scaled, &created, "kubectl-scale", "Update", "scale", t1);
  ASSERT_EQ(scaled["metadata"]["managedFields"].size(), 2u);
  EXPECT_EQ(scaled["metadata"]["managedFields"][1]["fieldsV1"],
            J(R"({"f:spec":{"f:replicas":{}}})"));
  EXPECT_EQ(scaled["metadata"]["managedFields"][1]["subresource"], "scale");
  EXPECT_FALSE(scaled["metadata"]["managedFields"][0]["fieldsV1"]["f:spec"].contains("f:replicas"));
  EXPECT_EQ(scaled["metadata"]["managedFields"][0]["time"], "1970-01-01T00:00:00Z");

  // Removing a field drops it from every owner; an owner left with nothing disappears.
  Json unscaled = scaled;
  unscaled["spec"].erase("replicas");
  UpdateManagedFields(unscaled, &scaled, "editor", "Update", "", t1);
  ASSERT_EQ(unscaled["metadata"]["managedFields"].size(), 1u);
  EXPECT_EQ(unscaled["metadata"]["managedFields"][0]["manager"], "kubectl-create");

  // A write that changes nothing adds no entry.
  Json same = unscaled;
  UpdateManagedFields(same, &unscaled, "noop", "Update", "", t1);
  EXPECT_EQ(same["metadata"]["managedFields"], unscaled["metadata"]["managedFields"]);
}

}  // namespace
}  // namespace orch::api
