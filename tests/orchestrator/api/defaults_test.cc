#include "orchestrator/api/defaults.h"

#include <gtest/gtest.h>

namespace orch::api {
namespace {

Json J(std::string_view text) {
  return Json::parse(text);
}

TEST(DefaultsTest, PodSpecAndContainers) {
  Json pod = J(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{
    "containers":[{"name":"a","image":"nginx","ports":[{"containerPort":80}],
      "resources":{"limits":{"cpu":"1"},"requests":{"memory":"1Gi"}},
      "livenessProbe":{"httpGet":{"port":80}},"readinessProbe":{"exec":{"command":["true"]},"periodSeconds":5},
      "env":[{"name":"N","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]},
     {"name":"b","image":"registry:5000/app:1.2"},{"name":"c","image":"busybox:latest"},
     {"name":"d","image":"app@sha256:abc"}],
    "volumes":[{"name":"scratch"},{"name":"cfg","configMap":{"name":"x"}}],
    "restartPolicy":"Never","x-unknown":1}})");
  ApplyDefaults(Kind::kPod, pod);
  const Json& spec = pod["spec"];
  EXPECT_EQ(spec["restartPolicy"], "Never");  // set values stay
  EXPECT_EQ(spec["terminationGracePeriodSeconds"], 30);
  EXPECT_EQ(spec["dnsPolicy"], "ClusterFirst");
  EXPECT_EQ(spec["schedulerName"], "default-scheduler");
  EXPECT_EQ(spec["securityContext"], Json::object());
  EXPECT_EQ(spec["enableServiceLinks"], true);
  EXPECT_EQ(spec["x-unknown"], 1);
  const Json& a = spec["containers"][0];
  EXPECT_EQ(a["imagePullPolicy"], "Always");
  EXPECT_EQ(a["terminationMessagePath"], "/dev/termination-log");
  EXPECT_EQ(a["terminationMessagePolicy"], "File");
  EXPECT_EQ(a["ports"][0]["protocol"], "TCP");
  EXPECT_EQ(a["resources"]["requests"], J(R"({"cpu":"1","memory":"1Gi"})"));
  EXPECT_EQ(a["livenessProbe"], J(R"({"httpGet":{"port":80,"path":"/","scheme":"HTTP"},
    "timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3})"));
  EXPECT_EQ(a["readinessProbe"]["periodSeconds"], 5);
  EXPECT_EQ(a["env"][0]["valueFrom"]["fieldRef"]["apiVersion"], "v1");
  EXPECT_EQ(spec["containers"][1]["imagePullPolicy"], "IfNotPresent");
  EXPECT_EQ(spec["containers"][1]["resources"], Json::object());
  EXPECT_EQ(spec["containers"][2]["imagePullPolicy"], "Always");
  EXPECT_EQ(spec["containers"][3]["imagePullPolicy"], "IfNotPresent");
  EXPECT_EQ(spec["volumes"][0], J(R"({"name":"scratch","emptyDir":{}})"));
  EXPECT_EQ(spec["volumes"][1]["configMap"]["defaultMode"], 420);
}

TEST(DefaultsTest, HostNetworkCopiesContainerPortToHostPort) {
  Json pod = J(R"({"spec":{"hostNetwork":true,"containers":[{"name":"a","image":"x:1",
    "ports":[{"containerPort":8080}]}]}})");
  ApplyDefaults(Kind::kPod, pod);
  EXPECT_EQ(pod["spec"]["containers"][0]["ports"][0]["hostPort"], 8080);
}

TEST(DefaultsTest, DeploymentAndReplicaSet) {
  Json deployment =
      J(R"({"spec":{"template":{"spec":{"containers":[{"name":"a","image":"x:1"}]}}}})");
  ApplyDefaults(Kind::kDeployment, deployment);
  EXPECT_EQ(deployment["spec"]["replicas"], 1);
  EXPECT_EQ(
      deployment["spec"]["strategy"],
      J(R"({"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":"25%"}})"));
  EXPECT_EQ(deployment["spec"]["revisionHistoryLimit"], 10);
  EXPECT_EQ(deployment["spec"]["progressDeadlineSeconds"], 600);
  EXPECT_EQ(deployment["spec"]["template"]["spec"]["restartPolicy"], "Always");
  EXPECT_EQ(deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
            "IfNotPresent");

  Json recreate = J(R"({"spec":{"replicas":0,"strategy":{"type":"Recreate"}}})");
  ApplyDefaults(Kind::kDeployment, recreate);
  EXPECT_EQ(recreate["spec"]["replicas"], 0);
  EXPECT_FALSE(recreate["spec"]["strategy"].contains("rollingUpdate"));

  Json replica_set = J(R"({"spec":{"template":{"spec":{"containers":[]}}}})");
  ApplyDefaults(Kind::kReplicaSet, replica_set);
  EXPECT_EQ(replica_set["spec"]["replicas"], 1);
  EXPECT_EQ(replica_set["spec"]["template"]["spec"]["dnsPolicy"], "ClusterFirst");
}

TEST(DefaultsTest, NamespaceAndNode) {
  Json ns = J(R"({"metadata":{"name":"demo"}})");
  ApplyDefaults(Kind::kNamespace, ns);
  EXPECT_EQ(ns["status"]["phase"], "Active");
  EXPECT_EQ(ns["metadata"]["labels"]["kubernetes.io/metadata.name"], "demo");
  PrepareForCreate(Kind::kNamespace, ns);
  PrepareForCreate(Kind::kNamespace, ns);
  EXPECT_EQ(ns["spec"]["finalizers"], J(R"(["kubernetes"])"));

  Json node = J(R"({"status":{"capacity":{"cpu":"4","pods":"110"}}})");
  ApplyDefaults(Kind::kNode, node);
  EXPECT_EQ(node["status"]["allocatable"], node["status"]["capacity"]);
}

TEST(DefaultsTest, QosClass) {
  auto qos = [](std::string_view resources) {
    return PodQosClass(J(std::string(R"({"spec":{"containers":[{"name":"a","resources":)") +
                         std::string(resources) + "}]}}"));
  };
  EXPECT_EQ(qos("{}"), "BestEffort");
  EXPECT_EQ(qos(R"({"requests":{"cpu":"100m"}})"), "Burstable");
  EXPECT_EQ(
      qos(R"({"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"1000m","memory":"1Gi"}})"),
      "Guaranteed");
  EXPECT_EQ(qos(R"({"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"500m"}})"), "Burstable");
}

TEST(DefaultsTest, CreateAndUpdateStrategies) {
  Json pod = J(R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}]},
                  "status":{"phase":"Running"}})");
  PrepareForCreate(Kind::kPod, pod);
  EXPECT_EQ(pod["status"], J(R"({"phase":"Pending","qosClass":"BestEffort"})"));

  Json deployment = J(R"({"metadata":{"name":"d"},"spec":{"replicas":1},"status":{"replicas":9}})");
  PrepareForCreate(Kind::kDeployment, deployment);
  EXPECT_EQ(deployment["status"], Json::object());
  EXPECT_EQ(deployment["metadata"]["generation"], 1);

  Json existing = J(R"({"metadata":{"name":"d","uid":"u","creationTimestamp":"t","generation":4},
                        "spec":{"replicas":1},"status":{"replicas":1}})");
  Json same_spec = J(R"({"metadata":{"name":"d","labels":{"a":"b"}},"spec":{"replicas":1},
                         "status":{"replicas":7}})");
  PrepareForUpdate(Kind::kDeployment, same_spec, existing);
  EXPECT_EQ(same_spec["metadata"]["generation"], 4);
  EXPECT_EQ(same_spec["metadata"]["uid"], "u");
  EXPECT_EQ(same_spec["metadata"]["creationTimestamp"], "t");
  EXPECT_EQ(same_spec["status"], J(R"({"replicas":1})"));
  Json new_spec = J(R"({"metadata":{"name":"d"},"spec":{"replicas":3}})");
  PrepareForUpdate(Kind::kDeployment, new_spec, existing);
  EXPECT_EQ(new_spec["metadata"]["generation"], 5);
  Json annotated = J(R"({"metadata":{"name":"d","annotations":{"x":"y"}},"spec":{"replicas":1}})");
  PrepareForUpdate(Kind::kDeployment, annotated, existing);
  EXPECT_EQ(annotated["metadata"]["generation"], 5);

  Json status_update = J(R"({"metadata":{"name":"d","resourceVersion":"9","labels":{"x":"y"}},
                             "spec":{"replicas":100},"status":{"replicas":2}})");
  Json result = PrepareForStatusUpdate(status_update, existing);
  EXPECT_EQ(result["spec"]["replicas"], 1);
  EXPECT_EQ(result["status"]["replicas"], 2);
  EXPECT_EQ(result["metadata"]["resourceVersion"], "9");
  EXPECT_FALSE(result["metadata"].contains("labels"));

  Json ns_existing = J(R"({"metadata":{"name":"n"},"spec":{"finalizers":["kubernetes"]},
                           "status":{"phase":"Terminating"}})");
  Json ns = J(R"({"metadata":{"name":"n"},"spec":{},"status":{"phase":"Active"}})");
  PrepareForUpdate(Kind::kNamespace, ns, ns_existing);
  EXPECT_EQ(ns["spec"]["finalizers"], J(R"(["kubernetes"])"));
  EXPECT_EQ(ns["status"]["phase"], "Terminating");
}

}  // namespace
}  // namespace orch::api
