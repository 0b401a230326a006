#include "orchestrator/api/field_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace orch::api {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const SchemaDefinition& Kind(std::string_view api_version, std::string_view kind) {
  const SchemaDefinition* definition = SchemaSet::Builtin().FindByApiVersionKind(api_version, kind);
  EXPECT_NE(definition, nullptr) << kind;
  return *definition;
}

std::vector<std::string> Unknown(std::string_view api_version, std::string_view kind,
                                 std::string_view text) {
  return UnknownFields(SchemaSet::Builtin(), Kind(api_version, kind), Json::parse(text));
}

TEST(FieldValidationTest, DirectiveDefaultsToWarnAndRefusesOtherValues) {
  EXPECT_EQ(ParseFieldValidation(""), FieldValidationDirective::kWarn);
  EXPECT_EQ(ParseFieldValidation("Warn"), FieldValidationDirective::kWarn);
  EXPECT_EQ(ParseFieldValidation("Strict"), FieldValidationDirective::kStrict);
  EXPECT_EQ(ParseFieldValidation("Ignore"), FieldValidationDirective::kIgnore);
  EXPECT_EQ(ParseFieldValidation("strict"), std::nullopt);
  EXPECT_EQ(UnsupportedFieldValidation("foo").ToString(),
            R"(fieldValidation: Unsupported value: "foo": supported values: "", "Ignore", )"
            R"("Strict", "Warn")");
}

TEST(FieldValidationTest, AWellFormedPodHasNoUnknownFields) {
  EXPECT_THAT(Unknown("v1", "Pod", R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "p", "labels": {"any-key": "v"}, "annotations": {"x/y": "z"},
                 "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "r",
                                      "uid": "u", "controller": true}]},
    "spec": {"containers": [{"name": "c", "image": "sh", "command": ["sh"],
                             "env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "x"}}}],
                             "ports": [{"containerPort": 80, "protocol": "TCP"}],
                             "resources": {"limits": {"cpu": "1", "example.com/gpu": 2}},
                             "readinessProbe": {"httpGet": {"path": "/", "port": 80}}}],
             "nodeSelector": {"disk": "ssd"},
             "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoExecute"}],
             "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
                 {"nodeSelectorTerms": [{"matchExpressions": [{"key": "a", "operator": "In",
                                                               "values": ["b"]}]}]}}},
             "volumes": [{"name": "v", "emptyDir": {}}, {"name": "w", "csi": {"anything": 1}}]},
    "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
               "containerStatuses": [{"name": "c", "ready": true, "restartCount": 0,
                                      "state": {"running": {"startedAt": "2024-01-01T00:00:00Z"}}}]}
  })"),
              IsEmpty());
}

TEST(FieldValidationTest, UnknownFieldsAreNamedByTheirPathAsUpstreamWordsThem) {
  EXPECT_THAT(Unknown("v1", "Pod", R"({"apiVersion": "v1", "kind": "Pod", "foo": 1,
      "metadata": {"name": "p", "nam": "x"},
      "spec": {"containers": [{"name": "a"}, {"name": "b", "imagee": "x",
                               "livenessProbe": {"httpGet": {"port": 1, "pth": "/"}}}]}})"),
              ElementsAre(R"(unknown field "foo")", R"(unknown field "metadata.nam")",
                          R"(unknown field "spec.containers[1].imagee")",
                          R"(unknown field "spec.containers[1].livenessProbe.httpGet.pth")"));
  EXPECT_THAT(Unknown("apps/v1", "Deployment", R"({"spec": {"replicass": 2,
      "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "x": 1}},
      "template": {"spec": {"containers": [{"name": "a", "imagee": "sh"}]}}}})"),
              ElementsAre(R"(unknown field "spec.replicass")",
                          R"(unknown field "spec.strategy.rollingUpdate.x")",
                          R"(unknown field "spec.template.spec.containers[0].imagee")"));
}

TEST(FieldValidationTest, MapsAndFreeFormObjectsTakeAnyKey) {
  EXPECT_THAT(Unknown("v1", "Node", R"({"status": {"capacity": {"cpu": "4", "pods": "110"},
      "allocatable": {"whatever": "1"}, "daemonEndpoints": {"kubeletEndpoint": {"Port": 1}},
      "nodeInfo": {"kubeletVersion": "v1.32"}}, "spec": {"taints": [{"key": "k",
      "effect": "NoSchedule", "bogus": true}]}})"),
              ElementsAre(R"(unknown field "spec.taints[0].bogus")"));
  EXPECT_THAT(Unknown("v1", "Event", R"({"involvedObject": {"kind": "Pod", "name": "p"},
      "eventTime": "2024-01-01T00:00:00.000000Z", "source": {"component": "c"},
      "series": {"count": 2}, "reportingComponent": "r"})"),
              IsEmpty());
  // A wrong type is not this check's business (validation reports it).
  EXPECT_THAT(Unknown("v1", "Pod", R"({"spec": {"containers": "no"}, "metadata": []})"), IsEmpty());
}

TEST(FieldValidationTest, PatchesSkipDirectivesAndDeletions) {
  const SchemaSet& schemas = SchemaSet::Builtin();
  EXPECT_THAT(UnknownPatchFields(schemas, Kind("apps/v1", "Deployment"), Json::parse(R"({
      "metadata": {"annotations": {"a": null}, "bogus": null},
      "spec": {"$retainKeys": ["x"], "template": {"spec": {
        "$setElementOrder/containers": [{"name": "a"}],
        "containers": [{"name": "a", "$patch": "delete"}, {"name": "b", "imagee": "x"}]}},
        "strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": null},
        "paused": true, "pausd": true}})")),
              ElementsAre(R"(unknown field "spec.pausd")",
                          R"(unknown field "spec.template.spec.containers[1].imagee")"));
}

TEST(FieldValidationTest, JsonPatchPathsAndValuesAreChecked) {
  const SchemaSet& schemas = SchemaSet::Builtin();
  EXPECT_THAT(
      UnknownJsonPatchFields(schemas, Kind("v1", "Pod"), Json::parse(R"([
      {"op": "replace", "path": "/spec/containers/0/image", "value": "x"},
      {"op": "add", "path": "/spec/containers/0/imagee", "value": "x"},
      {"op": "add", "path": "/metadata/labels/a~1b", "value": "x"},
      {"op": "add", "path": "/spec/containers/-", "value": {"name": "n", "bad": 1}},
      {"op": "remove", "path": "/spec/whatever"},
      {"op": "test", "path": "/spec/whatever", "value": 1},
      {"op": "add", "path": "/status", "value": {"phase": "x", "phse": "y"}}])")),
      ElementsAre(R"(unknown field "spec.containers[0].imagee")",
                  R"(unknown field "spec.containers[-].bad")", R"(unknown field "status.phse")"));
}

TEST(FieldValidationTest, DuplicateFieldsAreFoundInTheText) {
  EXPECT_THAT(
      DuplicateFields(R"({"metadata": {"name": "a", "name": "b"}, "spec": {
      "containers": [{"name": "x"}, {"name": "y", "image": "a", "image": "b"}]},
      "spec": {}})"),
      ElementsAre(R"(duplicate field "metadata.name")",
                  R"(duplicate field "spec.containers[1].image")", R"(duplicate field "spec")"));
  EXPECT_THAT(DuplicateFields(R"({"a": [1, [2, {"b": 1, "b": 2}]]})"),
              ElementsAre(R"(duplicate field "a[1][1].b")"));
  EXPECT_THAT(DuplicateFields(R"({"a": 1, "b": {"a": 2}})"), IsEmpty());
  EXPECT_THAT(DuplicateFields(R"({"a": 1, "a": )"), IsEmpty());  // not JSON: parsing says so
}

TEST(FieldValidationTest, StrictDecodingMessageJoinsProblems) {
  EXPECT_EQ(StrictDecodingMessage({R"(unknown field "a")", R"(duplicate field "b")"}),
            R"(strict decoding error: unknown field "a", duplicate field "b")");
}

}  // namespace
}  // namespace orch::api
