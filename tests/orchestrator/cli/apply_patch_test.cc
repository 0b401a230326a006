#include "orchestrator/cli/apply_patch.h"

#include "gtest/gtest.h"
#include "orchestrator/api/patch.h"

namespace orch::cli {
namespace {

using api::Json;
using api::Kind;

Json Deployment(Json containers, Json extra_labels = Json::object()) {
  Json labels = {{"app", "web"}};
  labels.update(extra_labels);
  return {
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", {{"name", "web"}, {"namespace", "default"}, {"labels", labels}}},
      {"spec",
       {{"replicas", 2},
        {"selector", {{"matchLabels", {{"app", "web"}}}}},
        {"template",
         {{"metadata", {{"labels", {{"app", "web"}}}}}, {"spec", {{"containers", containers}}}}}}}};
}

// What the server holds after applying `manifest`: the manifest with defaults and metadata.
Json Live(const Json& manifest) {
  Json live = WithLastAppliedAnnotation(manifest);
  live["metadata"]["uid"] = "u1";
  live["metadata"]["resourceVersion"] = "7";
  live["spec"]["strategy"] = {{"type", "RollingUpdate"},
                              {"rollingUpdate", {{"maxSurge", "25%"}, {"maxUnavailable", "25%"}}}};
  for (Json& container : live["spec"]["template"]["spec"]["containers"])
    container["imagePullPolicy"] = "IfNotPresent";
  live["status"] = {{"replicas", 2}};
  return live;
}

Json PatchAndApply(const Json& before, const Json& after, Json& patch_out) {
  const Json live = Live(before);
  absl::StatusOr<Json> original = LastAppliedOf(live);
  EXPECT_TRUE(original.ok());
  absl::StatusOr<Json> patch =
      ThreeWayMergePatch(*original, WithLastAppliedAnnotation(after), live, Kind::kDeployment);
  EXPECT_TRUE(patch.ok()) << patch.status();
  patch_out = *patch;
  absl::StatusOr<Json> result = api::ApplyStrategicMergePatch(live, *patch, Kind::kDeployment);
  EXPECT_TRUE(result.ok()) << result.status();
  return *result;
}

TEST(ApplyPatch, RecordsTheManifestWithoutItsOwnAnnotation) {
  Json manifest = Deployment(Json::array({{{"name", "c"}, {"image", "sh"}}}));
  Json applied = WithLastAppliedAnnotation(WithLastAppliedAnnotation(manifest));
  absl::StatusOr<Json> recorded = LastAppliedOf(applied);
  ASSERT_TRUE(recorded.ok());
  EXPECT_EQ(*recorded, manifest);
  EXPECT_EQ(LastAppliedOf(manifest)->is_null(), true);
}

TEST(ApplyPatch, UnchangedManifestGivesAnEmptyPatch) {
  Json manifest = Deployment(Json::array({{{"name", "c"}, {"image", "sh"}}}));
  Json patch;
  PatchAndApply(manifest, manifest, patch);
  EXPECT_EQ(patch, Json::object());
}

TEST(ApplyPatch, RemovedFieldsGoAndServerFieldsStay) {
  Json before = Deployment(Json::array({{{"name", "c"}, {"image", "sh"}}}), {{"tier", "front"}});
  Json after = Deployment(Json::array({{{"name", "c"}, {"image", "sh:2"}}}));
  after["spec"].erase("replicas");
  Json patch;
  Json result = PatchAndApply(before, after, patch);
  EXPECT_FALSE(result["metadata"]["labels"].contains("tier")) << patch.dump();
  EXPECT_FALSE(result["spec"].contains("replicas"));
  EXPECT_EQ(result["spec"]["template"]["spec"]["containers"][0]["image"], "sh:2");
  // Defaults the server added (not in any manifest) are left alone.
  EXPECT_EQ(result["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"], "IfNotPresent");
  EXPECT_EQ(result["metadata"]["uid"], "u1");
  EXPECT_EQ(result["status"]["replicas"], 2);
  EXPECT_EQ(*LastAppliedOf(result), after);
}

TEST(ApplyPatch, ContainersMergeByNameWithDeletesAndOrder) {
  Json before = Deployment(
      Json::array({{{"name", "main"}, {"image", "sh"}, {"env", {{{"name", "A"}, {"value", "1"}}}}},
                   {{"name", "side"}, {"image", "sh"}}}));
  Json after = Deployment(Json::array(
      {{{"name", "main"}, {"image", "sh"}, {"env", {{{"name", "B"}, {"value", "2"}}}}}}));
  Json patch;
  Json result = PatchAndApply(before, after, patch);
  const Json& containers = result["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(containers.size(), 1u) << patch.dump();
  EXPECT_EQ(containers[0]["env"], (Json::array({{{"name", "B"}, {"value", "2"}}})));
  const Json& patch_containers = patch["spec"]["template"]["spec"]["containers"];
  EXPECT_EQ(patch["spec"]["template"]["spec"]["$setElementOrder/containers"],
            (Json::array({{{"name", "main"}}})));
  EXPECT_EQ(patch_containers.back(), (Json{{"$patch", "delete"}, {"name", "side"}}));
}

TEST(ApplyPatch, StrategyTypeChangeRetainsOnlyTheManifestsKeys) {
  Json before = Deployment(Json::array({{{"name", "c"}, {"image", "sh"}}}));
  Json after = before;
  after["spec"]["strategy"] = {{"type", "Recreate"}};
  Json patch;
  Json result = PatchAndApply(before, after, patch);
  EXPECT_EQ(result["spec"]["strategy"], (Json{{"type", "Recreate"}})) << patch.dump();
  EXPECT_EQ(patch["spec"]["strategy"]["$retainKeys"], (Json::array({"type"})));
}

TEST(ApplyPatch, ScalarSetsUseDeleteFromPrimitiveList) {
  Json before = Deployment(Json::array({{{"name", "c"}, {"image", "sh"}}}));
  before["metadata"]["finalizers"] = {"a", "b"};
  Json after = before;
  after["metadata"]["finalizers"] = {"b", "c"};
  Json patch;
  Json result = PatchAndApply(before, after, patch);
  EXPECT_EQ(result["metadata"]["finalizers"], (Json::array({"b", "c"}))) << patch.dump();
  EXPECT_EQ(patch["metadata"]["$deleteFromPrimitiveList/finalizers"], (Json::array({"a"})));
}

TEST(ApplyPatch, WithoutLastAppliedNothingIsDeleted) {
  Json manifest = Deployment(Json::array({{{"name", "c"}, {"image", "sh:3"}}}));
  Json live = Live(Deployment(Json::array({{{"name", "c"}, {"image", "sh"}}}), {{"x", "y"}}));
  live["metadata"]["annotations"].erase(std::string(kLastAppliedAnnotation));
  absl::StatusOr<Json> patch = ThreeWayMergePatch(nullptr, manifest, live, Kind::kDeployment);
  ASSERT_TRUE(patch.ok());
  absl::StatusOr<Json> result = api::ApplyStrategicMergePatch(live, *patch, Kind::kDeployment);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ((*result)["metadata"]["labels"]["x"], "y");
  EXPECT_EQ((*result)["spec"]["template"]["spec"]["containers"][0]["image"], "sh:3");
}

TEST(ApplyPatch, ListElementWithoutMergeKeyIsAnError) {
  Json before = Deployment(Json::array({{{"name", "c"}, {"image", "sh"}}}));
  Json after = Deployment(Json::array({{{"image", "sh"}}}));
  const Json live = Live(before);
  EXPECT_FALSE(ThreeWayMergePatch(*LastAppliedOf(live), after, live, Kind::kDeployment).ok());
}

}  // namespace
}  // namespace orch::cli
