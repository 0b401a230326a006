#include "orchestrator/api/types.h"

#include <gtest/gtest.h>

#include "orchestrator/api/defaults.h"
#include "orchestrator/api/validation.h"
#include "orchestrator/api/yaml.h"

namespace orch::api {
namespace {

Json J(std::string_view text) {
  return Json::parse(text);
}

TEST(TypesTest, UnknownFieldsSurviveDefaultingValidationAndYaml) {
  Json pod = J(R"({"apiVersion":"v1","kind":"Pod","futureTopLevel":{"a":[1,2]},
    "metadata":{"name":"p","namespace":"d","futureMeta":"x"},
    "spec":{"futureSpec":true,"containers":[{"name":"a","image":"x:1","futureContainer":{"k":"v"},
      "resources":{"requests":{"cpu":"100m"},"futureResources":1}}]},
    "status":{"futureStatus":"y"}})");
  Json processed = pod;
  ApplyDefaults(Kind::kPod, processed);
  EXPECT_TRUE(ValidateCreate(Kind::kPod, processed).empty());
  absl::StatusOr<Json> back = YamlToJson(JsonToYaml(processed));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, processed);
  EXPECT_EQ(processed["futureTopLevel"], pod["futureTopLevel"]);
  EXPECT_EQ(processed["metadata"]["futureMeta"], "x");
  EXPECT_EQ(processed["spec"]["futureSpec"], true);
  EXPECT_EQ(processed["spec"]["containers"][0]["futureContainer"], J(R"({"k":"v"})"));
  EXPECT_EQ(processed["spec"]["containers"][0]["resources"]["futureResources"], 1);
  EXPECT_EQ(processed["status"]["futureStatus"], "y");
  // Serializing and parsing again gives the identical document.
  EXPECT_EQ(Json::parse(processed.dump()), processed);
}

TEST(TypesTest, DecodePodSpec) {
  Json spec =
      J(R"({"containers":[{"name":"app","image":"nginx","command":["/bin/app"],"args":["-v"],
      "workingDir":"/w","env":[{"name":"A","value":"1"},{"name":"B","valueFrom":{"fieldRef":{"fieldPath":"x"}}}],
      "ports":[{"containerPort":80,"name":"http"}],
      "resources":{"requests":{"cpu":"250m","memory":"64Mi"},"limits":{"cpu":"1"}},
      "livenessProbe":{"httpGet":{"port":"http","httpHeaders":[{"name":"H","value":"v"}]},"periodSeconds":5},
      "readinessProbe":{"tcpSocket":{"port":80}},"startupProbe":{"exec":{"command":["true"]}}},
     {"name":"side","image":"busybox","resources":{"requests":{"cpu":"250m"}}}],
    "initContainers":[{"name":"init","image":"busybox","resources":{"requests":{"cpu":"1","memory":"1Mi"}}}],
    "nodeName":"n1","nodeSelector":{"disk":"ssd"},"restartPolicy":"OnFailure",
    "terminationGracePeriodSeconds":5,"hostNetwork":true,
    "tolerations":[{"key":"k","operator":"Exists","effect":"NoExecute","tolerationSeconds":30}],
    "affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[
      {"matchExpressions":[{"key":"zone","operator":"In","values":["a","b"]}]}]}}}})");
  absl::StatusOr<PodSpec> decoded = DecodePodSpec(spec);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const Container& app = decoded->containers[0];
  EXPECT_EQ(app.command, std::vector<std::string>{"/bin/app"});
  EXPECT_EQ(app.args, std::vector<std::string>{"-v"});
  EXPECT_EQ(app.working_dir, "/w");
  EXPECT_EQ(app.env[0].value, "1");
  EXPECT_FALSE(app.env[1].value_from.is_null());
  EXPECT_EQ(app.ports[0].container_port, 80);
  EXPECT_EQ(app.ports[0].protocol, "TCP");
  EXPECT_EQ(app.requests.at("cpu").MilliValue(), 250);
  EXPECT_EQ(app.limits.at("cpu").MilliValue(), 1000);
  ASSERT_TRUE(app.liveness_probe && app.liveness_probe->http_get);
  EXPECT_FALSE(app.liveness_probe->http_get->port.is_int);
  EXPECT_EQ(app.liveness_probe->http_get->port.string_value, "http");
  EXPECT_EQ(app.liveness_probe->http_get->path, "/");
  EXPECT_EQ(app.liveness_probe->http_get->headers[0].first, "H");
  EXPECT_EQ(app.liveness_probe->period_seconds, 5);
  EXPECT_EQ(app.liveness_probe->failure_threshold, 3);
  EXPECT_EQ(app.readiness_probe->tcp_socket->port.int_value, 80);
  EXPECT_EQ(*app.startup_probe->exec_command, std::vector<std::string>{"true"});
  EXPECT_EQ(decoded->node_name, "n1");
  EXPECT_EQ(decoded->node_selector.at("disk"), "ssd");
  EXPECT_EQ(decoded->restart_policy, "OnFailure");
  EXPECT_EQ(decoded->termination_grace_period_seconds, 5);
  EXPECT_TRUE(decoded->host_network);
  EXPECT_EQ(decoded->tolerations[0].toleration_seconds, 30);
  ASSERT_TRUE(decoded->required_node_affinity.has_value());
  EXPECT_EQ(decoded->required_node_affinity->at(0).match_expressions[0].values.size(), 2u);

  ResourceList effective = decoded->EffectiveRequests();
  EXPECT_EQ(effective.at("cpu").MilliValue(), 1000);  // the init container's 1 > 250m + 250m
  EXPECT_EQ(effective.at("memory"), *Quantity::Parse("64Mi"));

  Json bad = J(R"({"containers":[{"name":"a","resources":{"limits":{"cpu":"lots"}}}]})");
  absl::StatusOr<PodSpec> bad_decoded = DecodePodSpec(bad);
  ASSERT_FALSE(bad_decoded.ok());
  EXPECT_NE(bad_decoded.status().message().find("spec.containers[0].resources.limits[cpu]"),
            std::string::npos)
      << bad_decoded.status();
}

TEST(TypesTest, TolerationsAndNodeAffinity) {
  Taint gpu{"gpu", "true", "NoSchedule"};
  EXPECT_TRUE((Toleration{"gpu", "Equal", "true", "NoSchedule", {}}).Tolerates(gpu));
  EXPECT_TRUE((Toleration{"gpu", "", "true", "", {}}).Tolerates(gpu));
  EXPECT_FALSE((Toleration{"gpu", "Equal", "false", "", {}}).Tolerates(gpu));
  EXPECT_TRUE((Toleration{"gpu", "Exists", "", "", {}}).Tolerates(gpu));
  EXPECT_TRUE((Toleration{"", "Exists", "", "", {}}).Tolerates(gpu));
  EXPECT_FALSE((Toleration{"gpu", "Exists", "", "NoExecute", {}}).Tolerates(gpu));
  EXPECT_FALSE((Toleration{"other", "Exists", "", "", {}}).Tolerates(gpu));

  Json node = J(R"({"metadata":{"name":"n1","labels":{"zone":"a","cores":"8"}}})");
  auto term = [](std::vector<NodeSelectorRequirement> expressions,
                 std::vector<NodeSelectorRequirement> fields = {}) {
    return std::vector<NodeSelectorTerm>{{std::move(expressions), std::move(fields)}};
  };
  EXPECT_TRUE(NodeMatchesTerms(term({{"zone", "In", {"a", "b"}}}), node));
  EXPECT_FALSE(NodeMatchesTerms(term({{"zone", "NotIn", {"a"}}}), node));
  EXPECT_TRUE(NodeMatchesTerms(term({{"gpu", "DoesNotExist", {}}, {"zone", "Exists", {}}}), node));
  EXPECT_TRUE(NodeMatchesTerms(term({{"cores", "Gt", {"4"}}}), node));
  EXPECT_FALSE(NodeMatchesTerms(term({{"cores", "Lt", {"4"}}}), node));
  EXPECT_TRUE(NodeMatchesTerms(term({}, {{"metadata.name", "In", {"n1"}}}), node));
  EXPECT_FALSE(NodeMatchesTerms(term({}), node));  // an empty term matches nothing
  std::vector<NodeSelectorTerm> either = {{{{"zone", "In", {"z"}}}, {}},
                                          {{{"zone", "In", {"a"}}}, {}}};
  EXPECT_TRUE(NodeMatchesTerms(either, node));
}

TEST(TypesTest, PodStatusRoundTrip) {
  Json status = J(R"({"phase":"Running","hostIP":"10.0.0.1","podIP":"10.1.0.5",
    "startTime":"2023-11-14T22:13:20Z","qosClass":"Burstable",
    "conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2023-11-14T22:13:20Z"}],
    "containerStatuses":[{"name":"a","image":"x","imageID":"","ready":true,"started":true,"restartCount":1,
      "containerID":"raftkv://1","state":{"running":{"startedAt":"2023-11-14T22:13:20Z"}},
      "lastState":{"terminated":{"exitCode":137,"reason":"Error","finishedAt":"2023-11-14T22:13:10Z"}}}]})");
  PodStatus decoded = PodStatus::FromJson(status);
  EXPECT_EQ(decoded.phase, "Running");
  EXPECT_EQ(decoded.container_statuses[0].state.phase, ContainerState::Phase::kRunning);
  EXPECT_EQ(decoded.container_statuses[0].last_state.exit_code, 137);
  Json encoded = decoded.ToJson();
  EXPECT_EQ(encoded["podIPs"], J(R"([{"ip":"10.1.0.5"}])"));
  EXPECT_EQ(encoded["hostIPs"], J(R"([{"ip":"10.0.0.1"}])"));
  encoded.erase("podIPs");
  encoded.erase("hostIPs");
  EXPECT_EQ(encoded, status);
}

TEST(TypesTest, NodeStatusAndSpec) {
  NodeStatus status;
  status.capacity = {{"cpu", *Quantity::Parse("4")}, {"memory", *Quantity::Parse("8Gi")}};
  status.allocatable = status.capacity;
  status.conditions.push_back({"Ready",
                               "True",
                               "KubeletReady",
                               "kubelet is posting ready status",
                               absl::FromUnixSeconds(0),
                               {},
                               absl::FromUnixSeconds(10),
                               {},
                               {}});
  status.addresses.push_back({"InternalIP", "127.0.0.1"});
  status.kubelet_port = 10250;
  status.node_info.kubelet_version = "v1.32.4";
  Json encoded = status.ToJson();
  EXPECT_EQ(encoded["capacity"], J(R"({"cpu":"4","memory":"8Gi"})"));
  EXPECT_EQ(encoded["daemonEndpoints"]["kubeletEndpoint"]["Port"], 10250);
  EXPECT_EQ(encoded["conditions"][0]["lastHeartbeatTime"], "1970-01-01T00:00:10Z");
  absl::StatusOr<NodeStatus> decoded = NodeStatus::FromJson(encoded);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->capacity.at("memory").Value(), 8LL << 30);
  EXPECT_EQ(decoded->kubelet_port, 10250);
  EXPECT_EQ(decoded->node_info.kubelet_version, "v1.32.4");
  EXPECT_EQ(decoded->ToJson(), encoded);

  NodeSpec spec = NodeSpec::FromJson(
      J(R"({"unschedulable":true,"taints":[{"key":"a","effect":"NoSchedule"}]})"));
  EXPECT_TRUE(spec.unschedulable);
  EXPECT_EQ(spec.taints[0].effect, "NoSchedule");
}

TEST(TypesTest, WorkloadsAndIntOrString) {
  DeploymentSpec spec =
      DeploymentSpec::FromJson(J(R"({"replicas":10,"selector":{"matchLabels":{"a":"b"}},
    "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":3,"maxUnavailable":"25%"}},"paused":true})"));
  EXPECT_EQ(spec.replicas, 10);
  EXPECT_EQ(*spec.max_surge.Scaled(10, true), 3);
  EXPECT_EQ(*spec.max_unavailable.Scaled(10, false), 2);
  EXPECT_EQ(*spec.max_unavailable.Scaled(10, true), 3);
  EXPECT_TRUE(spec.paused);
  EXPECT_EQ(spec.revision_history_limit, 10);
  EXPECT_FALSE(IntOrString::FromJson(Json("x")).Scaled(10, true).ok());
  EXPECT_EQ(IntOrString::FromJson(Json("25%")).ToJson(), "25%");

  WorkloadStatus status;
  status.observed_generation = 2;
  status.replicas = 3;
  status.ready_replicas = 3;
  EXPECT_EQ(status.ToDeploymentJson(),
            J(R"({"observedGeneration":2,"replicas":3,"readyReplicas":3})"));
  WorkloadStatus empty;
  EXPECT_EQ(empty.ToReplicaSetJson(), J(R"({"replicas":0})"));
  EXPECT_EQ(WorkloadStatus::FromJson(status.ToDeploymentJson()).ready_replicas, 3);
  ReplicaSetSpec rs = ReplicaSetSpec::FromJson(J(R"({"template":{"metadata":{}}})"));
  EXPECT_EQ(rs.replicas, 1);
}

}  // namespace
}  // namespace orch::api
