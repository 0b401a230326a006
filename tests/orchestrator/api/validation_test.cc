#include "orchestrator/api/validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "orchestrator/api/defaults.h"

namespace orch::api {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Json J(std::string_view text) {
  return Json::parse(text);
}

std::vector<std::string> Messages(const FieldErrors& errors) {
  std::vector<std::string> out;
  for (const FieldError& error : errors)
    out.push_back(error.ToString());
  return out;
}

// Validates `object` after defaulting, as the server does.
std::vector<std::string> Check(Kind kind, Json object) {
  ApplyDefaults(kind, object);
  return Messages(ValidateCreate(kind, object));
}

Json ValidPod() {
  return J(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-0","namespace":"default",
    "labels":{"app":"web"}},"spec":{"containers":[{"name":"app","image":"nginx:1.25",
    "ports":[{"containerPort":80,"name":"http"}],"resources":{"requests":{"cpu":"100m"},
    "limits":{"cpu":"1","memory":"128Mi"}},
    "livenessProbe":{"httpGet":{"port":"http"}},"readinessProbe":{"tcpSocket":{"port":80}}}],
    "tolerations":[{"key":"k","operator":"Equal","value":"v","effect":"NoSchedule"}],
    "nodeSelector":{"disk":"ssd"},
    "affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":
      {"nodeSelectorTerms":[{"matchExpressions":[{"key":"zone","operator":"In","values":["a"]}]}]}}}}})");
}

Json ValidDeployment() {
  return J(
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},
    "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"app","image":"nginx"}]}}}})");
}

TEST(ValidationTest, ValidObjectsPass) {
  EXPECT_THAT(Check(Kind::kPod, ValidPod()), IsEmpty());
  EXPECT_THAT(Check(Kind::kDeployment, ValidDeployment()), IsEmpty());
  Json replica_set = ValidDeployment();
  replica_set["kind"] = "ReplicaSet";
  replica_set["spec"].erase("strategy");
  EXPECT_THAT(Check(Kind::kReplicaSet, replica_set), IsEmpty());
  EXPECT_THAT(Check(Kind::kNamespace, J(R"({"metadata":{"name":"demo"}})")), IsEmpty());
  EXPECT_THAT(Check(Kind::kNode, J(R"({"metadata":{"name":"node-1.example"},"spec":{"taints":
    [{"key":"dedicated","value":"gpu","effect":"NoSchedule"}]},"status":{"capacity":{"cpu":"4"}}})")),
              IsEmpty());
  EXPECT_THAT(Check(Kind::kLease, J(R"({"metadata":{"name":"n","namespace":"kube-node-lease"},
    "spec":{"holderIdentity":"n","leaseDurationSeconds":40}})")),
              IsEmpty());
  EXPECT_THAT(Check(Kind::kEvent, J(R"({"metadata":{"name":"e.1","namespace":"d"},
    "involvedObject":{"kind":"Pod","name":"p","namespace":"d"},"type":"Normal","reason":"Started"})")),
              IsEmpty());
}

TEST(ValidationTest, ObjectMeta) {
  Json pod = ValidPod();
  pod["metadata"]["name"] = "Foo";
  EXPECT_THAT(
      Check(Kind::kPod, pod),
      Contains(
          "metadata.name: Invalid value: \"Foo\": a lowercase RFC 1123 subdomain must "
          "consist of lower case alphanumeric characters, '-' or '.', and must start "
          "and end with an alphanumeric character (e.g. 'example.com', regex used for "
          "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
  pod["metadata"].erase("name");
  EXPECT_THAT(Check(Kind::kPod, pod),
              Contains("metadata.name: Required value: name or generateName is required"));
  pod["metadata"]["generateName"] = "web-";
  EXPECT_THAT(Check(Kind::kPod, pod), IsEmpty());
  pod["metadata"]["generateName"] = "Web-";
  EXPECT_THAT(Check(Kind::kPod, pod), Contains(HasSubstr("metadata.generateName: Invalid value")));

  Json no_namespace = ValidPod();
  no_namespace["metadata"].erase("namespace");
  EXPECT_THAT(Check(Kind::kPod, no_namespace), Contains("metadata.namespace: Required value"));
  Json node = J(R"({"metadata":{"name":"n","namespace":"x"}})");
  EXPECT_THAT(Check(Kind::kNode, node),
              Contains("metadata.namespace: Forbidden: not allowed on this type"));
  EXPECT_THAT(
      Check(Kind::kNamespace, J(R"({"metadata":{"name":"a.b"}})")),
      Contains(HasSubstr("metadata.name: Invalid value: \"a.b\": a lowercase RFC 1123 label")));
  EXPECT_THAT(Check(Kind::kNamespace,
                    J(std::string(R"({"metadata":{"name":")") + std::string(64, 'a') + "\"}}")),
              Contains(HasSubstr("must be no more than 63 characters")));

  Json labels = ValidPod();
  labels["metadata"]["labels"] = {{"bad key", "v"}, {"ok", "bad value!"}, {"example.com/x", "y"}};
  std::vector<std::string> messages = Check(Kind::kPod, labels);
  EXPECT_THAT(messages,
              Contains(HasSubstr(
                  "metadata.labels: Invalid value: \"bad key\": name part must consist of")));
  EXPECT_THAT(messages, Contains(HasSubstr("metadata.labels: Invalid value: \"bad value!\": a "
                                           "valid label must be an empty string")));
  EXPECT_EQ(messages.size(), 2u);

  Json owners = ValidPod();
  owners["metadata"]["ownerReferences"] =
      J(R"([{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"a","uid":"1","controller":true},
    {"apiVersion":"apps/v1","kind":"ReplicaSet","name":"b","uid":"2","controller":true},{"apiVersion":"v1","kind":"X"}])");
  messages = Check(Kind::kPod, owners);
  EXPECT_THAT(messages, Contains(HasSubstr("Only one reference can have Controller set to true")));
  EXPECT_THAT(messages,
              Contains("metadata.ownerReferences.uid: Invalid value: \"\": uid must not be empty"));
  EXPECT_THAT(
      messages,
      Contains("metadata.ownerReferences.name: Invalid value: \"\": name must not be empty"));

  Json finalizers = ValidPod();
  finalizers["metadata"]["finalizers"] = J(R"(["example.com/ok","kubernetes","plain"])");
  EXPECT_THAT(Check(Kind::kPod, finalizers),
              Contains("metadata.finalizers: Invalid value: \"plain\": name is neither a standard "
                       "finalizer name nor is it fully qualified"));
}

TEST(ValidationTest, Containers) {
  Json pod = ValidPod();
  pod["spec"]["containers"] = Json::array();
  EXPECT_THAT(Check(Kind::kPod, pod), Contains("spec.containers: Required value"));

  pod = ValidPod();
  pod["spec"]["containers"].push_back(J(R"({"image":"x"})"));
  pod["spec"]["containers"].push_back(J(R"({"name":"app"})"));
  pod["spec"]["containers"].push_back(J(R"({"name":"Bad_Name","image":"x"})"));
  std::vector<std::string> messages = Check(Kind::kPod, pod);
  EXPECT_THAT(messages, Contains("spec.containers[1].name: Required value"));
  EXPECT_THAT(messages, Contains("spec.containers[2].name: Duplicate value: \"app\""));
  EXPECT_THAT(messages, Contains("spec.containers[2].image: Required value"));
  EXPECT_THAT(
      messages,
      Contains(HasSubstr(
          "spec.containers[3].name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 label")));

  pod = ValidPod();
  Json& container = pod["spec"]["containers"][0];
  container["imagePullPolicy"] = "Sometimes";
  container["ports"] =
      J(R"([{"containerPort":0},{"containerPort":80,"protocol":"HTTP","name":"http"},
                              {"containerPort":81,"name":"http"}])");
  container["env"] = J(R"([{"value":"x"},{"name":"A=B"},{"name":"C","value":"v","valueFrom":{}}])");
  messages = Check(Kind::kPod, pod);
  EXPECT_THAT(messages,
              Contains("spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": "
                       "supported values: \"Always\", \"IfNotPresent\", \"Never\""));
  EXPECT_THAT(messages,
              Contains("spec.containers[0].ports[0].containerPort: Invalid value: 0: must be "
                       "between 1 and 65535, inclusive"));
  EXPECT_THAT(messages,
              Contains("spec.containers[0].ports[1].protocol: Unsupported value: \"HTTP\": "
                       "supported values: \"SCTP\", \"TCP\", \"UDP\""));
  EXPECT_THAT(messages, Contains("spec.containers[0].ports[2].name: Duplicate value: \"http\""));
  EXPECT_THAT(messages, Contains("spec.containers[0].env[0].name: Required value"));
  EXPECT_THAT(messages,
              Contains(HasSubstr("spec.containers[0].env[1].name: Invalid value: \"A=B\"")));
  EXPECT_THAT(messages,
              Contains("spec.containers[0].env[2].valueFrom: Invalid value: \"\": may not be "
                       "specified when `value` is not empty"));
}

TEST(ValidationTest, Resources) {
  Json pod = ValidPod();
  pod["spec"]["containers"][0]["resources"] =
      J(R"({"limits":{"cpu":"1","memory":"bad"},"requests":{"cpu":"2","ephemeral-storage":"-1"}})");
  std::vector<std::string> messages = Check(Kind::kPod, pod);
  EXPECT_THAT(messages,
              Contains("spec.containers[0].resources.requests[cpu]: Invalid value: \"2\": "
                       "must be less than or equal to cpu limit of 1"));
  EXPECT_THAT(
      messages,
      Contains(HasSubstr("spec.containers[0].resources.limits[memory]: Invalid value: \"bad\"")));
  EXPECT_THAT(messages,
              Contains("spec.containers[0].resources.requests[ephemeral-storage]: Invalid "
                       "value: \"-1\": must be greater than or equal to 0"));
}

TEST(ValidationTest, Probes) {
  Json pod = ValidPod();
  Json& container = pod["spec"]["containers"][0];
  container["livenessProbe"] = J(R"({"periodSeconds":5})");
  container["readinessProbe"] = J(R"({"exec":{"command":["x"]},"tcpSocket":{"port":1}})");
  container["startupProbe"] = J(R"({"httpGet":{"port":70000,"scheme":"FTP"},"successThreshold":2,
                                    "failureThreshold":-1})");
  std::vector<std::string> messages = Check(Kind::kPod, pod);
  EXPECT_THAT(
      messages,
      Contains("spec.containers[0].livenessProbe: Required value: must specify a handler type"));
  EXPECT_THAT(messages, Contains("spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not "
                                 "specify more than 1 handler type"));
  EXPECT_THAT(messages,
              Contains("spec.containers[0].startupProbe.httpGet.port: Invalid value: 70000: "
                       "must be between 1 and 65535, inclusive"));
  EXPECT_THAT(messages,
              Contains("spec.containers[0].startupProbe.httpGet.scheme: Unsupported value: "
                       "\"FTP\": supported values: \"HTTP\", \"HTTPS\""));
  EXPECT_THAT(
      messages,
      Contains("spec.containers[0].startupProbe.successThreshold: Invalid value: 2: must be 1"));
  EXPECT_THAT(messages,
              Contains("spec.containers[0].startupProbe.failureThreshold: Invalid value: -1: "
                       "must be greater than or equal to 0"));
}

TEST(ValidationTest, PodSpecFields) {
  Json pod = ValidPod();
  pod["spec"]["restartPolicy"] = "Sometimes";
  pod["spec"]["dnsPolicy"] = "Weird";
  pod["spec"]["terminationGracePeriodSeconds"] = -5;
  pod["spec"]["activeDeadlineSeconds"] = 0;
  pod["spec"]["nodeName"] = "Node_1";
  pod["spec"]["nodeSelector"] = {{"disk", "ssd ok"}};
  pod["spec"]["volumes"] =
      J(R"([{"name":"v","emptyDir":{},"hostPath":{"path":"/"}},{"name":"v","emptyDir":{}}])");
  pod["spec"]["containers"][0]["volumeMounts"] =
      J(R"([{"name":"missing","mountPath":"/m"},{"name":"v"}])");
  std::vector<std::string> messages = Check(Kind::kPod, pod);
  EXPECT_THAT(messages,
              Contains("spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: "
                       "\"Always\", \"OnFailure\", \"Never\""));
  EXPECT_THAT(messages, Contains(HasSubstr("spec.dnsPolicy: Unsupported value: \"Weird\"")));
  EXPECT_THAT(messages,
              Contains("spec.terminationGracePeriodSeconds: Invalid value: -5: must be greater "
                       "than or equal to 0"));
  EXPECT_THAT(messages,
              Contains("spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and "
                       "2147483647, inclusive"));
  EXPECT_THAT(messages, Contains(HasSubstr("spec.nodeName: Invalid value: \"Node_1\"")));
  EXPECT_THAT(messages, Contains(HasSubstr("spec.nodeSelector: Invalid value: \"ssd ok\"")));
  EXPECT_THAT(
      messages,
      Contains("spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type"));
  EXPECT_THAT(messages, Contains("spec.volumes[1].name: Duplicate value: \"v\""));
  EXPECT_THAT(messages,
              Contains("spec.containers[0].volumeMounts[0].name: Not found: \"missing\""));
  EXPECT_THAT(messages, Contains("spec.containers[0].volumeMounts[1].mountPath: Required value"));
}

TEST(ValidationTest, TolerationsAndAffinity) {
  Json pod = ValidPod();
  pod["spec"]["tolerations"] =
      J(R"([{"operator":"Equal","value":"x"},{"key":"k","operator":"Exists","value":"v"},
    {"key":"k","operator":"Maybe"},{"key":"k","operator":"Exists","effect":"NoSchedule","tolerationSeconds":5},
    {"key":"k","operator":"Exists","effect":"Sometimes"}])");
  pod["spec"]["affinity"] = J(R"({"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":
    {"nodeSelectorTerms":[{"matchExpressions":[{"key":"a","operator":"In"},{"key":"b","operator":"Exists","values":["x"]},
      {"key":"c","operator":"Gt","values":["x"]},{"key":"d","operator":"Near"}]}]},
    "preferredDuringSchedulingIgnoredDuringExecution":[{"weight":0,"preference":{}}]}})");
  std::vector<std::string> messages = Check(Kind::kPod, pod);
  EXPECT_THAT(
      messages,
      Contains("spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be "
               "Exists when `key` is empty, which means \"match all values and all keys\""));
  EXPECT_THAT(messages,
              Contains("spec.tolerations[1].value: Invalid value: \"v\": value must be empty when "
                       "`operator` is 'Exists'"));
  EXPECT_THAT(messages,
              Contains("spec.tolerations[2].operator: Unsupported value: \"Maybe\": supported "
                       "values: \"Equal\", \"Exists\""));
  EXPECT_THAT(messages,
              Contains("spec.tolerations[3].effect: Invalid value: \"NoSchedule\": effect must be "
                       "'NoExecute' when `tolerationSeconds` is set"));
  EXPECT_THAT(messages,
              Contains(HasSubstr("spec.tolerations[4].effect: Unsupported value: \"Sometimes\"")));
  std::string terms =
      "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms["
      "0]";
  EXPECT_THAT(messages,
              Contains(terms + ".matchExpressions[0].values: Required value: must be specified "
                               "when `operator` is 'In' or 'NotIn'"));
  EXPECT_THAT(messages,
              Contains(terms + ".matchExpressions[1].values: Forbidden: may not be specified when "
                               "`operator` is 'Exists' or 'DoesNotExist'"));
  EXPECT_THAT(messages,
              Contains(HasSubstr(terms + ".matchExpressions[2].values[0]: Invalid value")));
  EXPECT_THAT(
      messages,
      Contains(terms + ".matchExpressions[3].operator: Invalid value: \"Near\": not a valid "
                       "selector operator"));
  EXPECT_THAT(
      messages,
      Contains("spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]"
               ".weight: Invalid value: 0: must be in the range 1-100"));
  pod["spec"]["affinity"] = J(
      R"({"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[]}}})");
  EXPECT_THAT(Check(Kind::kPod, pod),
              Contains(HasSubstr(
                  "nodeSelectorTerms: Required value: must have at least one node selector term")));
}

TEST(ValidationTest, Deployment) {
  Json deployment = ValidDeployment();
  deployment["spec"]["replicas"] = -1;
  deployment["spec"]["template"]["metadata"]["labels"] = {{"app", "other"}};
  deployment["spec"]["template"]["spec"]["restartPolicy"] = "Never";
  std::vector<std::string> messages = Check(Kind::kDeployment, deployment);
  EXPECT_THAT(messages,
              Contains("spec.replicas: Invalid value: -1: must be greater than or equal to 0"));
  EXPECT_THAT(messages,
              Contains("spec.template.metadata.labels: Invalid value: {\"app\":\"other\"}: "
                       "`selector` does not match template `labels`"));
  EXPECT_THAT(messages, Contains("spec.template.spec.restartPolicy: Unsupported value: \"Never\": "
                                 "supported values: \"Always\""));

  deployment = ValidDeployment();
  deployment["spec"].erase("selector");
  EXPECT_THAT(Check(Kind::kDeployment, deployment), Contains("spec.selector: Required value"));
  deployment["spec"]["selector"] = Json::object();
  EXPECT_THAT(
      Check(Kind::kDeployment, deployment),
      Contains("spec.selector: Invalid value: {}: empty selector is invalid for deployment"));
  deployment["spec"]["selector"] = J(R"({"matchExpressions":[{"key":"app","operator":"Is"}]})");
  EXPECT_THAT(Check(Kind::kDeployment, deployment),
              Contains("spec.selector.matchExpressions[0].operator: Invalid value: \"Is\": not a "
                       "valid selector operator"));

  deployment = ValidDeployment();
  deployment["spec"]["strategy"] = J(R"({"type":"Recreate","rollingUpdate":{"maxSurge":1}})");
  EXPECT_THAT(Check(Kind::kDeployment, deployment),
              Contains("spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy "
                       "`type` is 'Recreate'"));
  deployment["spec"]["strategy"] = J(R"({"type":"Canary"})");
  EXPECT_THAT(Check(Kind::kDeployment, deployment),
              Contains("spec.strategy.type: Unsupported value: \"Canary\": supported values: "
                       "\"Recreate\", \"RollingUpdate\""));
  deployment["spec"]["strategy"] =
      J(R"({"type":"RollingUpdate","rollingUpdate":{"maxSurge":0,"maxUnavailable":"0%"}})");
  EXPECT_THAT(
      Check(Kind::kDeployment, deployment),
      Contains("spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"0%\": may not be 0 "
               "when `maxSurge` is 0"));
  deployment["spec"]["strategy"] =
      J(R"({"type":"RollingUpdate","rollingUpdate":{"maxSurge":"150%","maxUnavailable":"x"}})");
  messages = Check(Kind::kDeployment, deployment);
  EXPECT_THAT(messages,
              Contains("spec.strategy.rollingUpdate.maxSurge: Invalid value: \"150%\": must not "
                       "be greater than 100%"));
  EXPECT_THAT(messages, Contains(HasSubstr(
                            "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"x\": "
                            "a valid percent string")));

  deployment = ValidDeployment();
  deployment["spec"]["minReadySeconds"] = 10;
  deployment["spec"]["progressDeadlineSeconds"] = 5;
  deployment["spec"]["revisionHistoryLimit"] = -2;
  messages = Check(Kind::kDeployment, deployment);
  EXPECT_THAT(
      messages,
      Contains(
          "spec.progressDeadlineSeconds: Invalid value: 5: must be greater than minReadySeconds"));
  EXPECT_THAT(
      messages,
      Contains("spec.revisionHistoryLimit: Invalid value: -2: must be greater than or equal to 0"));

  deployment = ValidDeployment();
  deployment["spec"]["template"]["spec"]["containers"][0].erase("image");
  EXPECT_THAT(Check(Kind::kDeployment, deployment),
              Contains("spec.template.spec.containers[0].image: Required value"));
}

TEST(ValidationTest, NodeEventLeaseBindingScale) {
  std::vector<std::string> messages =
      Check(Kind::kNode, J(R"({"metadata":{"name":"n"},"spec":{"taints":[
    {"key":"a","effect":"NoSchedule"},{"key":"a","effect":"NoSchedule"},{"key":"b","effect":"Often"},{"key":"c"}]}})"));
  EXPECT_THAT(messages, Contains(HasSubstr("spec.taints[1]: Duplicate value")));
  EXPECT_THAT(messages, Contains(HasSubstr("spec.taints[2].effect: Unsupported value: \"Often\"")));
  EXPECT_THAT(messages, Contains("spec.taints[3].effect: Required value"));

  EXPECT_THAT(
      Check(Kind::kEvent, J(R"({"metadata":{"name":"e","namespace":"a"},
    "involvedObject":{"namespace":"b"}})")),
      Contains("involvedObject.namespace: Invalid value: \"b\": does not match event.namespace"));
  EXPECT_THAT(
      Check(Kind::kLease,
            J(R"({"metadata":{"name":"l","namespace":"a"},"spec":{"leaseDurationSeconds":0}})")),
      Contains("spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"));
  EXPECT_THAT(Check(Kind::kBinding,
                    J(R"({"metadata":{"name":"p","namespace":"a"},"target":{"kind":"Pod"}})")),
              Contains("target.name: Required value"));
  EXPECT_THAT(Messages(ValidateScale(
                  J(R"({"metadata":{"name":"d","namespace":"a"},"spec":{"replicas":-3}})"))),
              Contains("spec.replicas: Invalid value: -3: must be greater than or equal to 0"));
}

TEST(ValidationTest, DeleteOptions) {
  EXPECT_THAT(Messages(ValidateDeleteOptions(J(R"({"propagationPolicy":"Foreground"})"))),
              IsEmpty());
  EXPECT_THAT(Messages(ValidateDeleteOptions(J(R"({"propagationPolicy":"Later"})"))),
              Contains("propagationPolicy: Unsupported value: \"Later\": supported values: "
                       "\"Foreground\", \"Background\", \"Orphan\", \"nil\""));
  EXPECT_THAT(Messages(ValidateDeleteOptions(
                  J(R"({"propagationPolicy":"Orphan","orphanDependents":true})"))),
              Contains("propagationPolicy: Invalid value: \"Orphan\": orphanDependents and "
                       "deletionPropagation cannot be both set"));
  EXPECT_THAT(Messages(ValidateDeleteOptions(J(R"({"dryRun":["Some"]})"))),
              Contains("dryRun: Unsupported value: \"Some\": supported values: \"All\""));
}

TEST(ValidationTest, WrongTypesAreInvalid) {
  Json deployment = ValidDeployment();
  deployment["spec"]["replicas"] = "two";
  EXPECT_THAT(Check(Kind::kDeployment, deployment),
              Contains("spec.replicas: Invalid value: \"two\": must be an integer"));
  Json pod = ValidPod();
  pod["spec"]["containers"][0]["ports"] = "80";
  EXPECT_THAT(Check(Kind::kPod, pod),
              Contains("spec.containers[0].ports: Invalid value: \"80\": must be a list"));
}

TEST(ValidationTest, Updates) {
  Json existing = ValidPod();
  ApplyDefaults(Kind::kPod, existing);
  existing["metadata"]["uid"] = "u1";
  Json image_change = existing;
  image_change["spec"]["containers"][0]["image"] = "nginx:1.26";
  image_change["spec"]["tolerations"].push_back(J(R"({"key":"new","operator":"Exists"})"));
  EXPECT_THAT(Messages(ValidateUpdate(Kind::kPod, image_change, existing)), IsEmpty());

  Json spec_change = existing;
  spec_change["spec"]["containers"][0]["args"] = Json::array({"x"});
  EXPECT_THAT(Messages(ValidateUpdate(Kind::kPod, spec_change, existing)),
              Contains(HasSubstr("spec: Forbidden: pod updates may not change fields other than")));
  Json removed_toleration = existing;
  removed_toleration["spec"]["tolerations"] = Json::array();
  EXPECT_THAT(Messages(ValidateUpdate(Kind::kPod, removed_toleration, existing)),
              Contains(HasSubstr("spec: Forbidden")));

  Json renamed = existing;
  renamed["metadata"]["uid"] = "u2";
  EXPECT_THAT(Messages(ValidateUpdate(Kind::kPod, renamed, existing)),
              Contains("metadata.uid: Invalid value: \"u2\": field is immutable"));

  Json deployment = ValidDeployment();
  ApplyDefaults(Kind::kDeployment, deployment);
  Json new_selector = deployment;
  new_selector["spec"]["selector"]["matchLabels"]["tier"] = "x";
  new_selector["spec"]["template"]["metadata"]["labels"]["tier"] = "x";
  EXPECT_THAT(Messages(ValidateUpdate(Kind::kDeployment, new_selector, deployment)),
              Contains(HasSubstr("spec.selector: Invalid value: {\"matchLabels\"")));
  Json scaled = deployment;
  scaled["spec"]["replicas"] = 5;
  EXPECT_THAT(Messages(ValidateUpdate(Kind::kDeployment, scaled, deployment)), IsEmpty());
}

}  // namespace
}  // namespace orch::api
