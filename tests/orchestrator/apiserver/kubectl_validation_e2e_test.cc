// kubectl 1.32 against orch-apiserver: OpenAPI v3 and server-side field validation. kubectl
// finds fieldValidation in the /openapi/v3 documents, so `apply` sends fieldValidation=Strict
// (--validate=warn: Warn, --validate=false: Ignore) and the server judges unknown fields;
// `explain` reads the schemas.
#include "tests/orchestrator/apiserver/kubectl_fixture.h"

namespace orch::apiserver::kubectl_e2e {
namespace {

constexpr const char* kMisspelledPod = R"(apiVersion: v1
kind: Pod
metadata:
  name: typo
spec:
  containers:
  - name: app
    image: sh
    imagee: sh
  restartPolicyy: Never
)";

constexpr const char* kValidDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: sh
        env: [{name: A, value: "1"}]
        ports: [{containerPort: 8080}]
        resources: {limits: {cpu: 100m, memory: 64Mi}}
        readinessProbe: {httpGet: {path: /, port: 8080}}
      tolerations: [{key: k, operator: Exists}]
)";

TEST_F(KubectlTest, StrictApplyRefusesUnknownFieldsAndStoresNothing) {
  const std::string manifest = WriteFile("typo.yaml", kMisspelledPod);
  CommandResult apply = Kubectl("apply -f " + manifest);
  EXPECT_NE(apply.exit_code, 0) << apply.output;
  EXPECT_TRUE(absl::StrContains(
      apply.output,
      R"(Pod in version "v1" cannot be handled as a Pod: strict decoding error: )"
      R"(unknown field "spec.containers[0].imagee", unknown field "spec.restartPolicyy")"))
      << apply.output;
  CommandResult get = Kubectl("get pod typo");
  EXPECT_NE(get.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(get.output, "NotFound")) << get.output;
}

TEST_F(KubectlTest, WarnApplyStoresTheObjectAndPrintsEachUnknownField) {
  const std::string manifest = WriteFile("typo.yaml", kMisspelledPod);
  CommandResult apply = Kubectl("apply --validate=warn -f " + manifest);
  EXPECT_EQ(apply.exit_code, 0) << apply.output;
  EXPECT_TRUE(absl::StrContains(apply.output, "pod/typo created")) << apply.output;
  EXPECT_TRUE(
      absl::StrContains(apply.output, R"(Warning: unknown field "spec.containers[0].imagee")"))
      << apply.output;
  EXPECT_TRUE(absl::StrContains(apply.output, R"(Warning: unknown field "spec.restartPolicyy")"))
      << apply.output;
  // The unknown fields are kept, not dropped.
  CommandResult kept = Kubectl("get pod typo -o jsonpath={.spec.containers[0].imagee}");
  EXPECT_EQ(kept.output, "sh");
}

TEST_F(KubectlTest, ValidateFalseAppliesSilently) {
  const std::string manifest = WriteFile("typo.yaml", kMisspelledPod);
  CommandResult apply = Kubectl("apply --validate=false -f " + manifest);
  EXPECT_EQ(apply.exit_code, 0) << apply.output;
  EXPECT_EQ(apply.output, "pod/typo created\n");
}

TEST_F(KubectlTest, ServerSideApplyRefusesUnknownFieldsUnderStrict) {
  const std::string manifest = WriteFile("typo.yaml", kMisspelledPod);
  CommandResult apply = Kubectl("apply --server-side -f " + manifest);
  EXPECT_NE(apply.exit_code, 0) << apply.output;
  EXPECT_TRUE(absl::StrContains(
      apply.output, "failed to create typed patch object (default/typo; /v1, Kind=Pod)"))
      << apply.output;
  EXPECT_TRUE(
      absl::StrContains(apply.output, ".spec.containers[0].imagee: field not declared in schema"))
      << apply.output;
  EXPECT_NE(Kubectl("get pod typo").exit_code, 0);
}

TEST_F(KubectlTest, ValidApplyAndUpdateWorkWithoutWarnings) {
  const std::string manifest = WriteFile("web.yaml", kValidDeployment);
  CommandResult create = Kubectl("apply -f " + manifest);
  EXPECT_EQ(create.exit_code, 0) << create.output;
  EXPECT_EQ(create.output, "deployment.apps/web created\n");
  // The update is a strategic merge patch kubectl builds from the v3 schema's merge keys.
  std::string updated = kValidDeployment;
  updated.replace(updated.find("value: \"1\""), 10, "value: \"2\"");
  updated.replace(updated.find("replicas: 2"), 11, "replicas: 3");
  CommandResult update = Kubectl("apply -f " + WriteFile("web.yaml", updated));
  EXPECT_EQ(update.exit_code, 0) << update.output;
  EXPECT_EQ(update.output, "deployment.apps/web configured\n");
  CommandResult read = Kubectl(
      "get deployment web -o jsonpath={.spec.replicas},{.spec.template.spec.containers[0]"
      ".env[0].value},{.spec.template.spec.containers[0].ports[0].containerPort}");
  EXPECT_EQ(read.output, "3,2,8080");
  CommandResult server_side = Kubectl("apply --server-side --force-conflicts -f " + manifest);
  EXPECT_EQ(server_side.exit_code, 0) << server_side.output;
  EXPECT_FALSE(absl::StrContains(server_side.output, "Warning")) << server_side.output;
}

TEST_F(KubectlTest, ExplainReadsTheOpenApiV3Schemas) {
  CommandResult containers = Kubectl("explain pod.spec.containers");
  EXPECT_EQ(containers.exit_code, 0) << containers.output;
  for (const char* field : {"FIELD: containers <[]Container>", "image\t<string>",
                            "livenessProbe\t<Probe>", "resources\t<ResourceRequirements>",
                            "volumeMounts\t<[]VolumeMount>", "name\t<string> -required-"}) {
    EXPECT_TRUE(absl::StrContains(containers.output, field)) << field << "\n" << containers.output;
  }
  CommandResult strategy = Kubectl("explain deployment.spec.strategy");
  EXPECT_EQ(strategy.exit_code, 0) << strategy.output;
  EXPECT_TRUE(absl::StrContains(strategy.output, "GROUP:      apps")) << strategy.output;
  EXPECT_TRUE(absl::StrContains(strategy.output, "rollingUpdate\t<RollingUpdateDeployment>"))
      << strategy.output;
  EXPECT_TRUE(absl::StrContains(strategy.output, "type\t<string>")) << strategy.output;
  CommandResult lease = Kubectl("explain lease.spec.holderIdentity");
  EXPECT_EQ(lease.exit_code, 0) << lease.output;
}

TEST_F(KubectlTest, OpenApiV3DocumentsAreServedByHash) {
  CommandResult root = Curl("GET", "/openapi/v3");
  ASSERT_TRUE(absl::StrContains(root.output, R"("apis/apps/v1":{"serverRelativeURL":)"))
      << root.output;
  CommandResult stale = Curl("GET", "/openapi/v3/apis/apps/v1?hash=stale");
  EXPECT_TRUE(absl::EndsWith(stale.output, "\n301")) << stale.output;
  CommandResult missing = Curl("GET", "/openapi/v3/apis/batch/v1");
  EXPECT_TRUE(absl::EndsWith(missing.output, "\n404")) << missing.output;
  // An unsupported fieldValidation value is upstream's 422 on the options.
  CommandResult invalid = Curl("POST", "/api/v1/namespaces/default/pods?fieldValidation=Loose",
                               R"({"metadata":{"name":"x"},"spec":{"containers":[]}})");
  EXPECT_TRUE(absl::StrContains(
      invalid.output, R"(CreateOptions.meta.k8s.io \"\" is invalid: fieldValidation: )"
                      R"(Unsupported value: \"Loose\": supported values: \"\", \"Ignore\", )"
                      R"(\"Strict\", \"Warn\")"))
      << invalid.output;
  EXPECT_TRUE(absl::EndsWith(invalid.output, "\n422")) << invalid.output;
}

}  // namespace
}  // namespace orch::apiserver::kubectl_e2e
