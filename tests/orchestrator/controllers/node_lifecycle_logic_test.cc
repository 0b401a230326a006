#include "orchestrator/controllers/node_lifecycle_logic.h"

#include <gtest/gtest.h>

#include "orchestrator/api/object.h"

namespace orch::controllers {
namespace {

using api::Json;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

Json Node(std::string ready) {
  return {{"metadata", {{"name", "n1"}}},
          {"spec",
           {{"taints",
             Json::array({{{"key", "dedicated"}, {"value", "x"}, {"effect", "NoSchedule"}}})}}},
          {"status",
           {{"conditions",
             Json::array({{{"type", "Ready"}, {"status", ready}, {"reason", "KubeletReady"}},
                          {{"type", "MemoryPressure"}, {"status", "False"}}})}}}};
}

std::vector<std::string> TaintNames(const Json& taints) {
  std::vector<std::string> names;
  for (const Json& taint : taints) {
    names.push_back(api::StringAt(taint, {"key"}) + ":" + api::StringAt(taint, {"effect"}));
  }
  return names;
}

TEST(NodeLifecycleLogic, AStaleNodeBecomesUnknownOnce) {
  std::optional<Json> unknown = WithStatusUnknown(Node("True"), kNow);
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(api::ConditionStatus(*unknown, "Ready"), "Unknown");
  EXPECT_EQ(api::ConditionStatus(*unknown, "MemoryPressure"), "Unknown");
  const Json* ready = api::FindCondition((*unknown)["status"]["conditions"], "Ready");
  EXPECT_EQ(api::StringAt(*ready, {"reason"}), "NodeStatusUnknown");
  EXPECT_EQ(api::StringAt(*ready, {"message"}), "Kubelet stopped posting node status.");
  EXPECT_FALSE(WithStatusUnknown(*unknown, kNow).has_value());
}

TEST(NodeLifecycleLogic, TaintsFollowReadinessAndCordon) {
  EXPECT_EQ(TaintNames(DesiredTaints(Node("True"), kNow)),
            std::vector<std::string>{"dedicated:NoSchedule"});
  EXPECT_EQ(
      TaintNames(DesiredTaints(Node("Unknown"), kNow)),
      (std::vector<std::string>{"dedicated:NoSchedule", "node.kubernetes.io/unreachable:NoSchedule",
                                "node.kubernetes.io/unreachable:NoExecute"}));
  Json cordoned = Node("False");
  cordoned["spec"]["unschedulable"] = true;
  const Json taints = DesiredTaints(cordoned, kNow);
  EXPECT_EQ(
      TaintNames(taints),
      (std::vector<std::string>{"dedicated:NoSchedule", "node.kubernetes.io/not-ready:NoSchedule",
                                "node.kubernetes.io/not-ready:NoExecute",
                                "node.kubernetes.io/unschedulable:NoSchedule"}));
  // Recovered: our taints go, the others stay.
  Json recovered = Node("True");
  recovered["spec"]["taints"] = taints;
  EXPECT_EQ(TaintNames(DesiredTaints(recovered, kNow)),
            std::vector<std::string>{"dedicated:NoSchedule"});
  // Kept taints keep their timeAdded.
  Json again = cordoned;
  again["spec"]["taints"] = taints;
  EXPECT_EQ(DesiredTaints(again, kNow + absl::Hours(1)), taints);
}

TEST(NodeLifecycleLogic, PodsAreEvictedAfterTheTimeoutUnlessTheyTolerate) {
  const Json node = Node("Unknown");
  Json pod = {{"metadata", {{"name", "p"}}}, {"spec", {{"nodeName", "n1"}}}};
  EXPECT_EQ(PodEvictionTime(pod, node, kNow, absl::Seconds(30)), kNow + absl::Seconds(30));
  EXPECT_FALSE(PodEvictionTime(pod, Node("True"), kNow, absl::Seconds(30)).has_value());

  Json tolerating = pod;
  tolerating["spec"]["tolerations"] = Json::array({{{"key", "node.kubernetes.io/unreachable"},
                                                    {"operator", "Exists"},
                                                    {"effect", "NoExecute"},
                                                    {"tolerationSeconds", 5}}});
  EXPECT_EQ(PodEvictionTime(tolerating, node, kNow, absl::Seconds(30)), kNow + absl::Seconds(5));
  tolerating["spec"]["tolerations"][0].erase("tolerationSeconds");
  EXPECT_FALSE(PodEvictionTime(tolerating, node, kNow, absl::Seconds(30)).has_value());

  Json deleting = pod;
  deleting["metadata"]["deletionTimestamp"] = api::FormatTimestamp(kNow);
  EXPECT_FALSE(PodEvictionTime(deleting, node, kNow, absl::Seconds(30)).has_value());
}

}  // namespace
}  // namespace orch::controllers
