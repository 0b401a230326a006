#include "orchestrator/api/patch.h"

#include <gtest/gtest.h>

#include "orchestrator/api/status.h"

namespace orch::api {
namespace {

Json J(std::string_view text) {
  return Json::parse(text);
}

Json Smp(const Json& original, const Json& patch, Kind kind = Kind::kPod) {
  absl::StatusOr<Json> result = ApplyStrategicMergePatch(original, patch, kind);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.value_or(Json());
}

Json Containers(const Json& pod) {
  return pod["spec"]["containers"];
}

const Json kPod = J(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p",
  "labels":{"app":"web","tier":"front"},"finalizers":["a","b"],"x-unknown":{"keep":1}},
  "spec":{"containers":[
    {"name":"a","image":"a:1","env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}],
     "ports":[{"containerPort":80,"name":"http"}],"volumeMounts":[{"name":"v","mountPath":"/data"}]},
    {"name":"b","image":"b:1"}],
   "tolerations":[{"key":"k1","operator":"Exists"}],
   "volumes":[{"name":"v","emptyDir":{}}],
   "customList":[1,2]},
  "status":{"conditions":[{"type":"Ready","status":"False"},{"type":"PodScheduled","status":"True"}]}})");

TEST(PatchTypeTest, FromContentType) {
  EXPECT_EQ(PatchTypeFromContentType("application/json-patch+json"), PatchType::kJsonPatch);
  EXPECT_EQ(PatchTypeFromContentType("application/merge-patch+json; charset=utf-8"),
            PatchType::kMergePatch);
  EXPECT_EQ(PatchTypeFromContentType("application/strategic-merge-patch+json"),
            PatchType::kStrategicMergePatch);
  EXPECT_EQ(PatchTypeFromContentType("application/apply-patch+yaml"), PatchType::kApplyPatch);
  EXPECT_EQ(PatchTypeFromContentType("application/json"), std::nullopt);
}

TEST(MergePatchTest, Rfc7386Examples) {
  EXPECT_EQ(MergePatch(J(R"({"a":"b"})"), J(R"({"a":"c"})")), J(R"({"a":"c"})"));
  EXPECT_EQ(MergePatch(J(R"({"a":"b"})"), J(R"({"b":"c"})")), J(R"({"a":"b","b":"c"})"));
  EXPECT_EQ(MergePatch(J(R"({"a":"b"})"), J(R"({"a":null})")), J(R"({})"));
  EXPECT_EQ(MergePatch(J(R"({"a":"b","b":"c"})"), J(R"({"a":null})")), J(R"({"b":"c"})"));
  EXPECT_EQ(MergePatch(J(R"({"a":["b"]})"), J(R"({"a":"c"})")), J(R"({"a":"c"})"));
  EXPECT_EQ(MergePatch(J(R"({"a":{"b":"c"}})"), J(R"({"a":{"b":"d","c":null}})")),
            J(R"({"a":{"b":"d"}})"));
  EXPECT_EQ(MergePatch(J(R"({"a":[{"b":"c"}]})"), J(R"({"a":[1]})")), J(R"({"a":[1]})"));
  EXPECT_EQ(MergePatch(J(R"({"e":null})"), J(R"({"a":1})")), J(R"({"e":null,"a":1})"));
  EXPECT_EQ(MergePatch(J(R"({})"), J(R"({"a":{"bb":{"ccc":null}}})")), J(R"({"a":{"bb":{}}})"));
}

TEST(MergePatchTest, ThroughApplyPatchKeepsUnknownFields) {
  absl::StatusOr<Json> result =
      ApplyPatch(PatchType::kMergePatch, kPod, R"({"spec":{"replicas":3}})", Kind::kPod);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ((*result)["spec"]["replicas"], 3);
  EXPECT_EQ((*result)["metadata"]["x-unknown"]["keep"], 1);
  absl::StatusOr<Json> bad = ApplyPatch(PatchType::kMergePatch, kPod, "{not json", Kind::kPod);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(StatusCode(StatusForPatchError(bad.status())), 400);
}

TEST(JsonPatchTest, Operations) {
  Json doc = J(R"({"a":{"b":[1,2,3]},"c":"x","d/e":1,"f~g":2})");
  absl::StatusOr<Json> result = ApplyJsonPatch(doc, J(R"([
    {"op":"test","path":"/c","value":"x"},
    {"op":"add","path":"/a/b/1","value":9},
    {"op":"add","path":"/a/b/-","value":4},
    {"op":"remove","path":"/a/b/0"},
    {"op":"replace","path":"/c","value":"y"},
    {"op":"move","from":"/d~1e","path":"/moved"},
    {"op":"copy","from":"/f~0g","path":"/copied"},
    {"op":"add","path":"/new","value":{"n":null}}])"));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, J(R"({"a":{"b":[9,2,3,4]},"c":"y","moved":1,"f~g":2,"copied":2,
                          "new":{"n":null}})"));
  EXPECT_EQ(*ApplyJsonPatch(doc, J(R"([{"op":"add","path":"","value":[1]}])")), J("[1]"));
}

TEST(JsonPatchTest, FailuresAre422AndBadBodies400) {
  Json doc = J(R"({"spec":{"replicas":1}})");
  absl::StatusOr<Json> failed_test =
      ApplyJsonPatch(doc, J(R"([{"op":"test","path":"/spec/replicas","value":2}])"));
  ASSERT_FALSE(failed_test.ok());
  EXPECT_EQ(failed_test.status().message(), "testing value /spec/replicas failed: test failed");
  EXPECT_EQ(StatusCode(StatusForPatchError(failed_test.status())), 422);
  EXPECT_FALSE(ApplyJsonPatch(doc, J(R"([{"op":"test","path":"/missing","value":null}])")).ok());

  absl::StatusOr<Json> missing =
      ApplyJsonPatch(doc, J(R"([{"op":"replace","path":"/spec/foo","value":2}])"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "replace operation does not apply: doc is missing key: /spec/foo: missing value");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(ApplyJsonPatch(doc, J(R"([{"op":"remove","path":"/nope"}])")).ok());
  EXPECT_FALSE(ApplyJsonPatch(doc, J(R"([{"op":"add","path":"/a/b","value":1}])")).ok());
  EXPECT_FALSE(
      ApplyJsonPatch(J(R"({"l":[1]})"), J(R"([{"op":"add","path":"/l/5","value":1}])")).ok());
  EXPECT_FALSE(ApplyJsonPatch(J(R"({"l":[1]})"), J(R"([{"op":"remove","path":"/l/01"}])")).ok());
  EXPECT_FALSE(ApplyJsonPatch(doc, J(R"([{"op":"move","from":"/spec","path":"/spec/x"}])")).ok());
  absl::StatusOr<Json> unknown = ApplyJsonPatch(doc, J(R"([{"op":"frob","path":"/spec"}])"));
  EXPECT_EQ(unknown.status().message(), "Unexpected kind: frob");

  EXPECT_EQ(ApplyJsonPatch(doc, J(R"({"op":"add"})")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyJsonPatch(doc, J(R"([{"path":"/a"}])")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyJsonPatch(doc, J(R"([{"op":"add","path":"/a"}])")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyJsonPatch(doc, J(R"([{"op":"add","path":"a","value":1}])")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(StrategicMergePatchTest, ContainersMergeByName) {
  Json result = Smp(kPod, J(R"({"spec":{"containers":[{"name":"b","image":"b:2"}]}})"));
  EXPECT_EQ(Containers(result).size(), 2u);
  EXPECT_EQ(Containers(result)[0]["name"], "a");
  EXPECT_EQ(Containers(result)[0]["image"], "a:1");
  EXPECT_EQ(Containers(result)[1], J(R"({"name":"b","image":"b:2"})"));
  EXPECT_EQ(result["metadata"]["x-unknown"]["keep"], 1);
  EXPECT_EQ(result["spec"]["customList"], J("[1,2]"));
}

TEST(StrategicMergePatchTest, NewElementsComeBeforeServerOnlyOnesAsUpstream) {
  Json result = Smp(kPod, J(R"({"spec":{"containers":[{"name":"c","image":"c:1"}]}})"));
  ASSERT_EQ(Containers(result).size(), 3u);
  EXPECT_EQ(Containers(result)[0]["name"], "c");
  EXPECT_EQ(Containers(result)[1]["name"], "a");
  EXPECT_EQ(Containers(result)[2]["name"], "b");
  // Patch items that exist on the server keep the live order relative to server-only ones.
  Json both = Smp(kPod, J(R"({"spec":{"containers":[{"name":"b","image":"b:3"},{"name":"c"}]}})"));
  EXPECT_EQ(Containers(both)[0]["name"], "a");
  EXPECT_EQ(Containers(both)[1]["name"], "b");
  EXPECT_EQ(Containers(both)[2]["name"], "c");
}

TEST(StrategicMergePatchTest, NestedEnvPortsAndMountsMergeByTheirKeys) {
  Json result = Smp(kPod, J(R"({"spec":{"containers":[{"name":"a",
    "env":[{"name":"Y","value":"two"},{"name":"X","$patch":"delete"}],
    "ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":443}],
    "volumeMounts":[{"mountPath":"/data","readOnly":true}]}]}})"));
  Json container = Containers(result)[0];
  EXPECT_EQ(container["env"], J(R"([{"name":"Y","value":"two"}])"));
  EXPECT_EQ(container["ports"], J(R"([{"containerPort":80,"name":"http","protocol":"TCP"},
                                      {"containerPort":443}])"));
  EXPECT_EQ(container["volumeMounts"], J(R"([{"name":"v","mountPath":"/data","readOnly":true}])"));
}

TEST(StrategicMergePatchTest, DeleteAndReplaceDirectives) {
  Json deleted = Smp(kPod, J(R"({"spec":{"containers":[{"name":"a","$patch":"delete"}]}})"));
  EXPECT_EQ(Containers(deleted), J(R"([{"name":"b","image":"b:1"}])"));

  Json replaced = Smp(kPod, J(R"({"spec":{"containers":[{"name":"z","image":"z"},
                                                        {"$patch":"replace"}]}})"));
  EXPECT_EQ(Containers(replaced), J(R"([{"name":"z","image":"z"}])"));

  Json labels = Smp(kPod, J(R"({"metadata":{"labels":{"$patch":"replace","only":"this"}}})"));
  EXPECT_EQ(labels["metadata"]["labels"], J(R"({"only":"this"})"));

  Json map_deleted = Smp(kPod, J(R"({"metadata":{"labels":{"$patch":"delete"}}})"));
  EXPECT_EQ(map_deleted["metadata"]["labels"], Json::object());

  Json whole = Smp(kPod, J(R"({"$patch":"replace","kind":"Pod"})"));
  EXPECT_EQ(whole, J(R"({"kind":"Pod"})"));
}

TEST(StrategicMergePatchTest, NullDeletesAndUnmatchedNullsAreDropped) {
  Json result = Smp(kPod, J(R"({"metadata":{"labels":{"tier":null,"new":"x"},
                                             "annotations":{"a":"1","gone":null}}})"));
  EXPECT_EQ(result["metadata"]["labels"], J(R"({"app":"web","new":"x"})"));
  EXPECT_EQ(result["metadata"]["annotations"], J(R"({"a":"1"})"));
}

TEST(StrategicMergePatchTest, ListsWithoutStrategyAreReplaced) {
  Json result = Smp(kPod, J(R"({"spec":{"tolerations":[{"key":"k2","operator":"Exists"}],
                                         "customList":[3]}})"));
  EXPECT_EQ(result["spec"]["tolerations"], J(R"([{"key":"k2","operator":"Exists"}])"));
  EXPECT_EQ(result["spec"]["customList"], J("[3]"));
}

TEST(StrategicMergePatchTest, PrimitiveListsMergeAsSetsAndDeleteFromPrimitiveList) {
  Json added = Smp(kPod, J(R"({"metadata":{"finalizers":["c","a"]}})"));
  EXPECT_EQ(added["metadata"]["finalizers"], J(R"(["c","a","b"])"));
  Json removed = Smp(kPod, J(R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}})"));
  EXPECT_EQ(removed["metadata"]["finalizers"], J(R"(["b"])"));
  Json absent = Smp(J(R"({"metadata":{}})"),
                    J(R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}})"));
  EXPECT_FALSE(absent["metadata"].contains("finalizers"));
}

TEST(StrategicMergePatchTest, SetElementOrder) {
  Json result = Smp(kPod, J(R"({"spec":{
    "$setElementOrder/containers":[{"name":"b"},{"name":"a"}],
    "containers":[{"name":"a","image":"a:2"}]}})"));
  ASSERT_EQ(Containers(result).size(), 2u);
  EXPECT_EQ(Containers(result)[0]["name"], "b");
  EXPECT_EQ(Containers(result)[1]["image"], "a:2");

  // kubectl apply's shape: the order list names every element, the patch only changed ones.
  Json env = Smp(kPod, J(R"({"spec":{"containers":[{"name":"a",
    "$setElementOrder/env":[{"name":"Z"},{"name":"X"},{"name":"Y"}],
    "env":[{"name":"Z","value":"26"}]}]}})"));
  EXPECT_EQ(Containers(env)[0]["env"],
            J(R"([{"name":"Z","value":"26"},{"name":"X","value":"1"},{"name":"Y","value":"2"}])"));

  Json finalizers = Smp(kPod, J(R"({"metadata":{"$setElementOrder/finalizers":["b","a"]}})"));
  EXPECT_EQ(finalizers["metadata"]["finalizers"], J(R"(["b","a"])"));

  absl::StatusOr<Json> mismatch =
      ApplyStrategicMergePatch(kPod, J(R"({"spec":{"$setElementOrder/containers":[{"name":"a"}],
                  "containers":[{"name":"b","image":"x"}]}})"),
                               Kind::kPod);
  EXPECT_FALSE(mismatch.ok());
  absl::StatusOr<Json> bad = ApplyStrategicMergePatch(
      kPod, J(R"({"spec":{"$setElementOrder/containers":"a"}})"), Kind::kPod);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(StatusCode(StatusForPatchError(bad.status())), 400);
}

TEST(StrategicMergePatchTest, RetainKeys) {
  Json deployment = J(R"({"spec":{"strategy":{"type":"RollingUpdate",
    "rollingUpdate":{"maxSurge":1,"maxUnavailable":0}}}})");
  Json result =
      Smp(deployment, J(R"({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}})"),
          Kind::kDeployment);
  EXPECT_EQ(result["spec"]["strategy"], J(R"({"type":"Recreate"})"));
  Json volumes = Smp(kPod, J(R"({"spec":{"volumes":[{"name":"v","$retainKeys":["name","hostPath"],
    "hostPath":{"path":"/x"}}]}})"));
  EXPECT_EQ(volumes["spec"]["volumes"], J(R"([{"name":"v","hostPath":{"path":"/x"}}])"));

  absl::StatusOr<Json> bad = ApplyStrategicMergePatch(
      deployment, J(R"({"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{}}}})"),
      Kind::kDeployment);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "invalid patch format of retainKeys");
  EXPECT_EQ(StatusCode(StatusForPatchError(bad.status())), 400);
}

TEST(StrategicMergePatchTest, DeploymentTemplateAndConditions) {
  Json deployment = J(R"({"kind":"Deployment","spec":{"replicas":1,"template":{"metadata":
    {"labels":{"app":"w"}},"spec":{"containers":[{"name":"app","image":"v1"}]}}},
    "status":{"conditions":[{"type":"Available","status":"False"},{"type":"Progressing","status":"True"}]}})");
  Json result = Smp(deployment, J(R"({"spec":{"template":{"spec":{"containers":
    [{"name":"app","image":"v2"}]}}},"status":{"conditions":[{"type":"Available","status":"True"}]}})"),
                    Kind::kDeployment);
  EXPECT_EQ(result["spec"]["template"]["spec"]["containers"],
            J(R"([{"name":"app","image":"v2"}])"));
  EXPECT_EQ(result["spec"]["replicas"], 1);
  EXPECT_EQ(result["status"]["conditions"],
            J(R"([{"type":"Available","status":"True"},{"type":"Progressing","status":"True"}])"));
}

TEST(StrategicMergePatchTest, OwnerReferencesMergeByUid) {
  Json object = J(R"({"metadata":{"ownerReferences":[{"uid":"1","name":"a"}]}})");
  Json result =
      Smp(object, J(R"({"metadata":{"ownerReferences":[{"uid":"1","controller":true}]}})"),
          Kind::kReplicaSet);
  EXPECT_EQ(result["metadata"]["ownerReferences"],
            J(R"([{"uid":"1","name":"a","controller":true}])"));
}

TEST(StrategicMergePatchTest, NodeTaintsReplacedConditionsMerged) {
  Json node = J(R"({"spec":{"taints":[{"key":"a","effect":"NoSchedule"}]},
    "status":{"conditions":[{"type":"Ready","status":"True"}],"addresses":[{"type":"InternalIP","address":"1"}]}})");
  Json result = Smp(node, J(R"({"spec":{"taints":[{"key":"b","effect":"NoExecute"}]},
    "status":{"conditions":[{"type":"MemoryPressure","status":"False"}]}})"),
                    Kind::kNode);
  EXPECT_EQ(result["spec"]["taints"], J(R"([{"key":"b","effect":"NoExecute"}])"));
  EXPECT_EQ(result["status"]["conditions"].size(), 2u);
  EXPECT_EQ(result["status"]["addresses"].size(), 1u);
}

TEST(StrategicMergePatchTest, ErrorsAsTheRealServer) {
  auto code = [](const Json& original, const Json& patch) {
    absl::StatusOr<Json> result = ApplyStrategicMergePatch(original, patch, Kind::kPod);
    EXPECT_FALSE(result.ok());
    return StatusCode(StatusForPatchError(result.status()));
  };
  EXPECT_EQ(code(kPod, J(R"({"spec":{"containers":[{"image":"no-name"}]}})")), 500);
  EXPECT_EQ(code(kPod, J(R"({"spec":{"containers":[{"$patch":"merge"}]}})")), 500);
  EXPECT_EQ(code(kPod, J(R"({"metadata":{"labels":{"$patch":"frob"}}})")), 500);
  EXPECT_EQ(code(J(R"({"metadata":{"finalizers":[["a"]]}})"),
                 J(R"({"metadata":{"finalizers":[["b"]]}})")),
            422);
  EXPECT_EQ(code(kPod, J(R"({"metadata":{"$retainKeys":"x"}})")), 400);
  absl::StatusOr<Json> not_object =
      ApplyPatch(PatchType::kStrategicMergePatch, kPod, "[1]", Kind::kPod);
  EXPECT_EQ(not_object.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace orch::api
