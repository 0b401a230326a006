#include "orchestrator/api/table.h"

#include <gtest/gtest.h>

namespace orch::api {
namespace {

Json J(std::string_view text) {
  return Json::parse(text);
}

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

TEST(TableTest, HumanDuration) {
  EXPECT_EQ(HumanDuration(absl::Seconds(-5)), "<invalid>");
  EXPECT_EQ(HumanDuration(absl::Seconds(-1)), "0s");
  EXPECT_EQ(HumanDuration(absl::Seconds(45)), "45s");
  EXPECT_EQ(HumanDuration(absl::Seconds(119)), "119s");
  EXPECT_EQ(HumanDuration(absl::Seconds(190)), "3m10s");
  EXPECT_EQ(HumanDuration(absl::Minutes(5)), "5m");
  EXPECT_EQ(HumanDuration(absl::Minutes(150)), "150m");
  EXPECT_EQ(HumanDuration(absl::Minutes(200)), "3h20m");
  EXPECT_EQ(HumanDuration(absl::Hours(5)), "5h");
  EXPECT_EQ(HumanDuration(absl::Hours(30)), "30h");
  EXPECT_EQ(HumanDuration(absl::Hours(76)), "3d4h");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 30)), "30d");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * (365 * 3 + 10))), "3y10d");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 365 * 9)), "9y");
  EXPECT_EQ(AgeSince(std::nullopt, kNow), "<unknown>");
}

TEST(TableTest, ColumnsAsKubectlShowsThem) {
  auto names = [](Kind kind, int priority) {
    std::vector<std::string> out;
    for (const TableColumn& column : TableColumns(kind)) {
      if (column.priority == priority) out.emplace_back(column.name);
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names(Kind::kPod, 0), (V{"Name", "Ready", "Status", "Restarts", "Age"}));
  EXPECT_EQ(names(Kind::kPod, 1), (V{"IP", "Node", "Nominated Node", "Readiness Gates"}));
  EXPECT_EQ(names(Kind::kNode, 0), (V{"Name", "Status", "Roles", "Age", "Version"}));
  EXPECT_EQ(names(Kind::kNode, 1),
            (V{"Internal-IP", "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime"}));
  EXPECT_EQ(names(Kind::kDeployment, 0), (V{"Name", "Ready", "Up-to-date", "Available", "Age"}));
  EXPECT_EQ(names(Kind::kDeployment, 1), (V{"Containers", "Images", "Selector"}));
  EXPECT_EQ(names(Kind::kReplicaSet, 0), (V{"Name", "Desired", "Current", "Ready", "Age"}));
  EXPECT_EQ(names(Kind::kNamespace, 0), (V{"Name", "Status", "Age"}));
  EXPECT_EQ(names(Kind::kEvent, 0), (V{"Last Seen", "Type", "Reason", "Object", "Message"}));
  Json definitions = TableColumnDefinitions(Kind::kPod);
  EXPECT_EQ(definitions[0]["format"], "name");
  EXPECT_EQ(definitions[5]["priority"], 1);
  for (Kind kind : {Kind::kPod, Kind::kNode, Kind::kDeployment, Kind::kReplicaSet, Kind::kNamespace,
                    Kind::kEvent, Kind::kLease}) {
    EXPECT_EQ(TableCells(kind, Json::object(), kNow).size(), TableColumns(kind).size());
  }
}

TEST(TableTest, PodRows) {
  Json pod =
      J(R"({"metadata":{"name":"web-0","namespace":"d","creationTimestamp":"2023-11-14T22:08:20Z"},
    "spec":{"nodeName":"n1","containers":[{"name":"a"},{"name":"b"}]},
    "status":{"phase":"Running","podIP":"10.0.0.7","podIPs":[{"ip":"10.0.0.7"}],"containerStatuses":[
      {"name":"a","ready":true,"restartCount":2,"state":{"running":{}},
       "lastState":{"terminated":{"exitCode":1,"finishedAt":"2023-11-14T22:12:20Z"}}},
      {"name":"b","ready":false,"restartCount":0,"state":{"running":{}}}]}})");
  EXPECT_EQ(
      TableCells(Kind::kPod, pod, kNow),
      J(R"j(["web-0","1/2","Running","2 (60s ago)","5m","10.0.0.7","n1","<none>","<none>"])j"));

  Json pending = J(
      R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}]},"status":{"phase":"Pending"}})");
  EXPECT_EQ(TableCells(Kind::kPod, pending, kNow),
            J(R"(["p","0/1","Pending","0","<unknown>","<none>","<none>","<none>","<none>"])"));

  Json crashing = J(
      R"({"metadata":{"name":"c"},"spec":{"containers":[{"name":"a"}]},"status":{"phase":"Running",
    "containerStatuses":[{"name":"a","restartCount":1,"state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}})");
  EXPECT_EQ(TableCells(Kind::kPod, crashing, kNow)[2], "CrashLoopBackOff");

  Json completed = J(
      R"({"metadata":{"name":"c"},"spec":{"containers":[{"name":"a"}]},"status":{"phase":"Succeeded",
    "containerStatuses":[{"name":"a","state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}})");
  EXPECT_EQ(TableCells(Kind::kPod, completed, kNow)[2], "Completed");
  EXPECT_EQ(TableRow(Kind::kPod, completed, kNow)["conditions"][0]["type"], "Completed");

  Json failed_exit =
      J(R"({"metadata":{"name":"c"},"spec":{"containers":[{"name":"a"}]},"status":{"phase":"Failed",
    "containerStatuses":[{"name":"a","state":{"terminated":{"exitCode":3}}}]}})");
  EXPECT_EQ(TableCells(Kind::kPod, failed_exit, kNow)[2], "ExitCode:3");

  Json init = J(R"({"metadata":{"name":"i"},"spec":{"initContainers":[{"name":"x"},{"name":"y"}],
    "containers":[{"name":"a"}]},"status":{"phase":"Pending","initContainerStatuses":[
      {"name":"x","state":{"terminated":{"exitCode":0}}},{"name":"y","state":{"running":{}}}]}})");
  EXPECT_EQ(TableCells(Kind::kPod, init, kNow)[2], "Init:1/2");

  Json terminating = J(R"({"metadata":{"name":"t","deletionTimestamp":"2023-11-14T22:13:00Z"},
    "spec":{"containers":[{"name":"a"}]},"status":{"phase":"Running"}})");
  EXPECT_EQ(TableCells(Kind::kPod, terminating, kNow)[2], "Terminating");

  Json gated = J(
      R"({"metadata":{"name":"g"},"spec":{"containers":[{"name":"a"}],"readinessGates":[{"conditionType":"x"}]},
    "status":{"phase":"Running","conditions":[{"type":"x","status":"True"}]}})");
  EXPECT_EQ(TableCells(Kind::kPod, gated, kNow)[8], "1/1");
}

TEST(TableTest, NodeDeploymentReplicaSetNamespaceEventLease) {
  Json node = J(R"({"metadata":{"name":"n1","creationTimestamp":"2023-11-14T21:13:20Z",
    "labels":{"node-role.kubernetes.io/control-plane":"","node-role.kubernetes.io/worker":""}},
    "spec":{"unschedulable":true},"status":{"conditions":[{"type":"Ready","status":"True"}],
    "addresses":[{"type":"InternalIP","address":"10.1.0.1"}],
    "nodeInfo":{"kubeletVersion":"v1.32.4","osImage":"Debian","kernelVersion":"6.1","containerRuntimeVersion":"raftkv://1"}}})");
  EXPECT_EQ(TableCells(Kind::kNode, node, kNow),
            J(R"(["n1","Ready,SchedulingDisabled","control-plane,worker","60m","v1.32.4","10.1.0.1",
                  "<none>","Debian","6.1","raftkv://1"])"));
  EXPECT_EQ(TableCells(Kind::kNode, J(R"({"metadata":{"name":"x"}})"), kNow)[1], "Unknown");

  Json deployment =
      J(R"({"metadata":{"name":"web"},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},
    "template":{"spec":{"containers":[{"name":"a","image":"nginx"},{"name":"b","image":"busybox"}]}}},
    "status":{"readyReplicas":2,"updatedReplicas":3,"availableReplicas":2}})");
  EXPECT_EQ(TableCells(Kind::kDeployment, deployment, kNow),
            J(R"(["web","2/3",3,2,"<unknown>","a,b","nginx,busybox","app=web"])"));
  Json replica_set = deployment;
  replica_set["status"] = {{"replicas", 3}, {"readyReplicas", 1}};
  EXPECT_EQ(TableCells(Kind::kReplicaSet, replica_set, kNow),
            J(R"(["web",3,3,1,"<unknown>","a,b","nginx,busybox","app=web"])"));
  EXPECT_EQ(TableCells(Kind::kNamespace,
                       J(R"({"metadata":{"name":"d"},"status":{"phase":"Active"}})"), kNow),
            J(R"(["d","Active","<unknown>"])"));
  Json event = J(R"({"metadata":{"name":"web-0.1"},"involvedObject":{"kind":"Pod","name":"web-0"},
    "reason":"Started","message":" Started container a \n","type":"Normal","count":3,
    "source":{"component":"kubelet","host":"n1"},"firstTimestamp":"2023-11-14T21:13:20Z",
    "lastTimestamp":"2023-11-14T22:12:20Z"})");
  EXPECT_EQ(
      TableCells(Kind::kEvent, event, kNow),
      J(R"(["60s","Normal","Started","pod/web-0","","kubelet, n1","Started container a","60m",3,"web-0.1"])"));
  EXPECT_EQ(TableCells(Kind::kLease,
                       J(R"({"metadata":{"name":"l"},"spec":{"holderIdentity":"n1"}})"), kNow)[1],
            "n1");
}

TEST(TableTest, Document) {
  Json pod = J(R"({"metadata":{"name":"a","namespace":"d","uid":"u"},"spec":{"containers":[]}})");
  Json table = TableDocument(Kind::kPod, {pod}, "42", "", kNow);
  EXPECT_EQ(table["kind"], "Table");
  EXPECT_EQ(table["apiVersion"], "meta.k8s.io/v1");
  EXPECT_EQ(table["metadata"], J(R"({"resourceVersion":"42"})"));
  EXPECT_EQ(table["columnDefinitions"].size(), 9u);
  EXPECT_EQ(table["rows"][0]["object"]["kind"], "PartialObjectMetadata");
  EXPECT_EQ(table["rows"][0]["object"]["metadata"]["namespace"], "d");
  Json watch_table =
      TableDocument(Kind::kPod, {pod}, "43", "", kNow, IncludeObject::kObject, false);
  EXPECT_TRUE(watch_table["columnDefinitions"].is_null());
  EXPECT_EQ(watch_table["rows"][0]["object"], pod);
  EXPECT_FALSE(TableRow(Kind::kPod, pod, kNow, IncludeObject::kNone).contains("object"));
}

}  // namespace
}  // namespace orch::api
