#include "orchestrator/api/status.h"

#include <gtest/gtest.h>

namespace orch::api {
namespace {

TEST(StatusTest, InvalidMatchesKubernetesShape) {
  FieldErrors errors = {
      Invalid(FieldPath("metadata").Child("name"), "Foo", "bad name"),
      Required(FieldPath("spec").Child("containers").Index(0).Child("name")),
  };
  Json status = StatusInvalid({"", "Pod"}, "Foo", errors);
  Json expected = Json::parse(R"({
    "kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
    "message":"Pod \"Foo\" is invalid: [metadata.name: Invalid value: \"Foo\": bad name, spec.containers[0].name: Required value]",
    "reason":"Invalid",
    "details":{"name":"Foo","kind":"Pod","causes":[
      {"reason":"FieldValueInvalid","message":"Invalid value: \"Foo\": bad name","field":"metadata.name"},
      {"reason":"FieldValueRequired","message":"Required value","field":"spec.containers[0].name"}]},
    "code":422})");
  EXPECT_EQ(status, expected) << status.dump();
}

TEST(StatusTest, InvalidWithOneErrorAndGroup) {
  Json status = StatusInvalid(
      {"apps", "Deployment"}, "web",
      {Invalid(FieldPath("spec").Child("replicas"), -1, "must be greater than or equal to 0")});
  EXPECT_EQ(status["message"],
            "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be "
            "greater than or equal to 0");
  EXPECT_EQ(status["details"]["group"], "apps");
}

TEST(StatusTest, DuplicateMessagesAppearOnce) {
  FieldErrors errors = {Required(FieldPath("a")), Required(FieldPath("a"))};
  EXPECT_EQ(AggregateMessage(errors), "a: Required value");
}

TEST(StatusTest, NotSupportedListsValues) {
  FieldError error = NotSupported(FieldPath("spec").Child("restartPolicy"), "Sometimes",
                                  {"Always", "OnFailure", "Never"});
  EXPECT_EQ(error.ToString(),
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", "
            "\"OnFailure\", \"Never\"");
  EXPECT_EQ(error.CauseReason(), "FieldValueNotSupported");
}

TEST(StatusTest, NotFoundAlreadyExistsConflict) {
  GroupResource pods{"", "pods"};
  GroupResource deployments{"apps", "deployments"};
  Json not_found = StatusNotFound(pods, "x");
  EXPECT_EQ(not_found["message"], "pods \"x\" not found");
  EXPECT_EQ(not_found["reason"], "NotFound");
  EXPECT_EQ(not_found["code"], 404);
  EXPECT_EQ(not_found["details"], Json::parse(R"({"name":"x","kind":"pods"})"));
  EXPECT_EQ(StatusNotFound(deployments, "web")["message"], "deployments.apps \"web\" not found");
  EXPECT_EQ(StatusNotFound(deployments, "web")["details"]["group"], "apps");

  Json exists = StatusAlreadyExists(pods, "x");
  EXPECT_EQ(exists["message"], "pods \"x\" already exists");
  EXPECT_EQ(exists["reason"], "AlreadyExists");
  EXPECT_EQ(exists["code"], 409);

  Json conflict = StatusConflict(pods, "x");
  EXPECT_EQ(conflict["message"],
            "Operation cannot be fulfilled on pods \"x\": the object has been modified; please "
            "apply your changes to the latest version and try again");
  EXPECT_EQ(conflict["reason"], "Conflict");
  EXPECT_EQ(StatusCode(conflict), 409);
}

TEST(StatusTest, OtherErrors) {
  Json gone = StatusTooOldResourceVersion(5, 17);
  EXPECT_EQ(gone["code"], 410);
  EXPECT_EQ(gone["reason"], "Expired");
  EXPECT_EQ(gone["message"], "too old resource version: 5 (17)");
  EXPECT_EQ(StatusBadRequest("bad")["code"], 400);
  Json method = StatusMethodNotAllowed({"", "namespaces"}, "deletecollection");
  EXPECT_EQ(method["message"],
            "deletecollection is not supported on resources of kind \"namespaces\"");
  EXPECT_EQ(method["code"], 405);
  EXPECT_EQ(StatusNoRoute()["message"], "the server could not find the requested resource");
  EXPECT_EQ(StatusForbidden({"", "pods"}, "x", "why")["message"], "pods \"x\" is forbidden: why");
  EXPECT_EQ(StatusInternalError("boom")["message"], "Internal error occurred: boom");
  EXPECT_EQ(StatusUnsupportedMediaType("text/plain")["code"], 415);
  EXPECT_EQ(StatusNotAcceptable()["code"], 406);
  EXPECT_EQ(StatusCode(Json::object()), 500);
  Json success = StatusSuccess({"apps", "deployments"}, "web", "u1");
  EXPECT_EQ(success["status"], "Success");
  EXPECT_EQ(success["details"],
            Json::parse(R"({"name":"web","group":"apps","kind":"deployments","uid":"u1"})"));
}

TEST(StatusTest, PatchErrorsMapToCodes) {
  EXPECT_EQ(StatusCode(StatusForPatchError(absl::InvalidArgumentError("x"))), 400);
  Json unprocessable = StatusForPatchError(absl::FailedPreconditionError("test failed"));
  EXPECT_EQ(StatusCode(unprocessable), 422);
  EXPECT_EQ(unprocessable["details"]["causes"][0]["message"], "test failed");
  EXPECT_EQ(StatusCode(StatusForPatchError(absl::InternalError("x"))), 500);
}

}  // namespace
}  // namespace orch::api
