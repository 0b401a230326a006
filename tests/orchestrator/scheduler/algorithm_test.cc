#include "orchestrator/scheduler/algorithm.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <set>

#include "absl/random/random.h"
#include "tests/orchestrator/scheduler/test_objects.h"

namespace orch::scheduler {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::MakeNode;
using testing::MakePod;
using testing::NodeParams;
using testing::PodParams;

NodeInfo Node(const std::string& name, const NodeParams& params = {}) {
  NodeInfo node(name);
  EXPECT_TRUE(node.SetNode(MakeNode(name, params)).ok());
  return node;
}

PodInfo Pod(const std::string& name, const PodParams& params = {}) {
  absl::StatusOr<PodInfo> pod = PodInfo::FromPod(MakePod(name, params));
  EXPECT_TRUE(pod.ok()) << pod.status();
  return *pod;
}

std::vector<std::string> Reasons(const PodInfo& pod, const NodeInfo& node, FilterCode expected) {
  std::vector<std::string> reasons;
  EXPECT_EQ(FilterNode(pod, node, &reasons), expected);
  return reasons;
}

TEST(FilterTest, ResourcesAgainstAllocatableMinusRequested) {
  NodeInfo node = Node("n1", {.cpu = "2", .memory = "1Gi", .pods = "2"});
  EXPECT_THAT(Reasons(Pod("p", {.cpu = "1500m", .memory = "512Mi"}), node, FilterCode::kFits),
              IsEmpty());
  node.AddPod(Pod("existing", {.cpu = "1", .memory = "768Mi"}).Usage());
  EXPECT_THAT(
      Reasons(Pod("p", {.cpu = "1500m", .memory = "512Mi"}), node, FilterCode::kUnschedulable),
      ElementsAre("Insufficient cpu", "Insufficient memory"));
  EXPECT_THAT(Reasons(Pod("p", {.cpu = "1"}), node, FilterCode::kFits), IsEmpty());
  node.AddPod(Pod("second").Usage());
  EXPECT_THAT(Reasons(Pod("p"), node, FilterCode::kUnschedulable), ElementsAre("Too many pods"));
}

TEST(FilterTest, NodeSelector) {
  NodeInfo node = Node("n1", {.labels = {{"disk", "ssd"}}});
  EXPECT_EQ(FilterNode(Pod("p", {.node_selector = {{"disk", "ssd"}}}), node, nullptr),
            FilterCode::kFits);
  EXPECT_THAT(
      Reasons(Pod("p", {.node_selector = {{"disk", "hdd"}}}), node, FilterCode::kUnresolvable),
      ElementsAre("node(s) didn't match Pod's node affinity/selector"));
}

TEST(FilterTest, RequiredNodeAffinityOperators) {
  NodeInfo node = Node("n1", {.labels = {{"zone", "a"}, {"cores", "8"}}});
  auto fits = [&](api::Json expressions, const char* key = "matchExpressions") {
    api::Json terms = {{{key, expressions}}};
    return FilterNode(Pod("p", {.affinity_terms = terms}), node, nullptr) == FilterCode::kFits;
  };
  auto requirement = [](const char* key, const char* op, std::vector<std::string> values = {}) {
    api::Json r = {{"key", key}, {"operator", op}};
    if (!values.empty()) r["values"] = values;
    return api::Json::array({r});
  };
  EXPECT_TRUE(fits(requirement("zone", "In", {"a", "b"})));
  EXPECT_FALSE(fits(requirement("zone", "In", {"b"})));
  EXPECT_TRUE(fits(requirement("zone", "NotIn", {"b"})));
  EXPECT_FALSE(fits(requirement("zone", "NotIn", {"a"})));
  EXPECT_TRUE(fits(requirement("zone", "Exists")));
  EXPECT_FALSE(fits(requirement("gpu", "Exists")));
  EXPECT_TRUE(fits(requirement("gpu", "DoesNotExist")));
  EXPECT_FALSE(fits(requirement("zone", "DoesNotExist")));
  EXPECT_TRUE(fits(requirement("cores", "Gt", {"4"})));
  EXPECT_FALSE(fits(requirement("cores", "Gt", {"8"})));
  EXPECT_TRUE(fits(requirement("cores", "Lt", {"16"})));
  EXPECT_FALSE(fits(requirement("cores", "Lt", {"2"})));
  EXPECT_TRUE(fits(requirement("metadata.name", "In", {"n1"}), "matchFields"));
  EXPECT_FALSE(fits(requirement("metadata.name", "In", {"n2"}), "matchFields"));
}

TEST(FilterTest, TaintsAndTolerations) {
  NodeInfo node =
      Node("n1", {.taints = {{{"key", "dedicated"}, {"value", "db"}, {"effect", "NoSchedule"}}}});
  EXPECT_THAT(Reasons(Pod("p"), node, FilterCode::kUnresolvable),
              ElementsAre("node(s) had untolerated taint {dedicated: db}"));
  api::Json exists = {{{"key", "dedicated"}, {"operator", "Exists"}}};
  EXPECT_EQ(FilterNode(Pod("p", {.tolerations = exists}), node, nullptr), FilterCode::kFits);
  api::Json wrong_value = {{{"key", "dedicated"}, {"value", "web"}, {"effect", "NoSchedule"}}};
  EXPECT_EQ(FilterNode(Pod("p", {.tolerations = wrong_value}), node, nullptr),
            FilterCode::kUnresolvable);

  NodeInfo no_execute =
      Node("n2", {.taints = {{{"key", "k"}, {"value", ""}, {"effect", "NoExecute"}}}});
  EXPECT_THAT(Reasons(Pod("p"), no_execute, FilterCode::kUnresolvable),
              ElementsAre("node(s) had untolerated taint {k: }"));
  NodeInfo prefer =
      Node("n3", {.taints = {{{"key", "k"}, {"value", "v"}, {"effect", "PreferNoSchedule"}}}});
  EXPECT_EQ(FilterNode(Pod("p"), prefer, nullptr), FilterCode::kFits);
  EXPECT_EQ(CountIntolerablePreferNoSchedule(Pod("p"), prefer), 1);
}

TEST(FilterTest, CordonedAndNotReadyNodes) {
  EXPECT_THAT(Reasons(Pod("p"), Node("n1", {.unschedulable = true}), FilterCode::kUnresolvable),
              ElementsAre("node(s) were unschedulable"));
  api::Json tolerate_cordon = {{{"key", "node.kubernetes.io/unschedulable"},
                                {"operator", "Exists"},
                                {"effect", "NoSchedule"}}};
  EXPECT_EQ(FilterNode(Pod("p", {.tolerations = tolerate_cordon}),
                       Node("n1", {.unschedulable = true}), nullptr),
            FilterCode::kFits);
  EXPECT_THAT(Reasons(Pod("p"), Node("n1", {.ready = "False"}), FilterCode::kUnresolvable),
              ElementsAre("node(s) had untolerated taint {node.kubernetes.io/not-ready: }"));
  EXPECT_THAT(Reasons(Pod("p"), Node("n1", {.ready = ""}), FilterCode::kUnresolvable),
              ElementsAre("node(s) had untolerated taint {node.kubernetes.io/not-ready: }"));
  EXPECT_THAT(Reasons(Pod("p"), Node("n1", {.ready = "Unknown"}), FilterCode::kUnresolvable),
              ElementsAre("node(s) had untolerated taint {node.kubernetes.io/unreachable: }"));
  // The controller's own taint is not counted twice.
  NodeInfo tainted =
      Node("n1", {.ready = "False",
                  .taints = {{{"key", "node.kubernetes.io/not-ready"}, {"effect", "NoSchedule"}}}});
  EXPECT_EQ(tainted.taints().size(), 1u);
}

TEST(FitErrorMessageTest, UpstreamFormat) {
  NodeInfo cordoned = Node("n1", {.unschedulable = true});
  NodeInfo small_a = Node("n2", {.cpu = "1"});
  NodeInfo small_b = Node("n3", {.cpu = "1"});
  std::vector<const NodeInfo*> nodes = {&cordoned, &small_a, &small_b};
  absl::BitGen random;
  Decision decision = SelectNode(Pod("p", {.cpu = "2"}), nodes, nullptr, random);
  EXPECT_EQ(decision.node, nullptr);
  EXPECT_EQ(decision.failure_message,
            "0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu. "
            "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 "
            "No preemption victims found for incoming pod.");

  Diagnosis affinity{.num_nodes = 2,
                     .reason_counts = {{"node(s) didn't match Pod's node affinity/selector", 2}},
                     .unresolvable_nodes = 2};
  EXPECT_EQ(FitErrorMessage(affinity),
            "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. "
            "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.");
  affinity.preemption_never = true;
  EXPECT_EQ(FitErrorMessage(affinity),
            "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. "
            "preemption: not eligible due to preemptionPolicy=Never.");
  EXPECT_EQ(FitErrorMessage({}), "no nodes available to schedule pods");
}

TEST(ScoreTest, LeastAllocatedAndBalanced) {
  NodeInfo empty = Node("n1", {.cpu = "4", .memory = "4Gi"});
  NodeInfo busy = Node("n2", {.cpu = "4", .memory = "4Gi"});
  busy.AddPod(Pod("existing", {.cpu = "2", .memory = "2Gi"}).Usage());
  PodInfo pod = Pod("p", {.cpu = "1", .memory = "1Gi"});
  EXPECT_EQ(LeastAllocatedScore(pod, empty), 75);
  EXPECT_EQ(LeastAllocatedScore(pod, busy), 25);
  EXPECT_EQ(BalancedAllocationScore(pod, empty), 100);
  // cpu 3/4 used, memory 1/4: deviation |0.75 - 0.25| / 2 = 0.25.
  PodInfo cpu_heavy = Pod("q", {.cpu = "3", .memory = "1Gi"});
  EXPECT_EQ(BalancedAllocationScore(cpu_heavy, empty), 75);
  absl::BitGen random;
  std::vector<const NodeInfo*> nodes = {&busy, &empty};
  EXPECT_EQ(SelectNode(pod, nodes, nullptr, random).node, &empty);
}

TEST(ScoreTest, SpreadsTheReplicasOfOneOwner) {
  NodeInfo a = Node("a");
  NodeInfo b = Node("b");
  // a holds a replica, but b holds more unrelated load; spreading (weight 2) wins.
  a.AddPod(Pod("r0", {.cpu = "100m", .owner_uid = "rs-1"}).Usage());
  b.AddPod(Pod("other", {.cpu = "1"}).Usage());
  OwnerPodCounts counts = {{&a, 1}};
  absl::BitGen random;
  std::vector<const NodeInfo*> nodes = {&a, &b};
  EXPECT_EQ(
      SelectNode(Pod("r1", {.cpu = "100m", .owner_uid = "rs-1"}), nodes, &counts, random).node, &b);
}

TEST(ScoreTest, PreferNoScheduleAvoidedWhenPossible) {
  NodeInfo tainted =
      Node("a", {.taints = {{{"key", "k"}, {"value", "v"}, {"effect", "PreferNoSchedule"}}}});
  NodeInfo clean = Node("b");
  absl::BitGen random;
  std::vector<const NodeInfo*> nodes = {&tainted, &clean};
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(SelectNode(Pod("p"), nodes, nullptr, random).node, &clean);
}

TEST(ScoreTest, TiesAreBrokenRandomly) {
  std::vector<std::unique_ptr<NodeInfo>> owned;
  std::vector<const NodeInfo*> nodes;
  for (int i = 0; i < 4; ++i) {
    owned.push_back(std::make_unique<NodeInfo>(Node("n" + std::to_string(i))));
    nodes.push_back(owned.back().get());
  }
  absl::BitGen random;
  std::set<const NodeInfo*> chosen;
  for (int i = 0; i < 200; ++i)
    chosen.insert(SelectNode(Pod("p"), nodes, nullptr, random).node);
  EXPECT_EQ(chosen.size(), 4u);
}

TEST(SelectNodeTest, PlaceholdersWithoutANodeAreNotCounted) {
  NodeInfo placeholder("ghost");
  NodeInfo real = Node("real", {.cpu = "1"});
  absl::BitGen random;
  std::vector<const NodeInfo*> nodes = {&placeholder, &real};
  Decision decision = SelectNode(Pod("p", {.cpu = "2"}), nodes, nullptr, random);
  EXPECT_EQ(decision.failure_message,
            "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 "
            "No preemption victims found for incoming pod.");
}

}  // namespace
}  // namespace orch::scheduler

namespace orch::scheduler {
namespace {

TEST(SelectNodeTest, LargeClustersAreSearchedInPartsAndInTurn) {
  EXPECT_EQ(FeasibleNodesToFind(50), 50u);
  EXPECT_EQ(FeasibleNodesToFind(200), 100u);
  EXPECT_EQ(FeasibleNodesToFind(1000), 420u);
  EXPECT_EQ(FeasibleNodesToFind(5000), 500u);
  EXPECT_EQ(FeasibleNodesToFind(100000), 5000u);

  std::vector<std::unique_ptr<NodeInfo>> owned;
  std::vector<const NodeInfo*> nodes;
  for (int i = 0; i < 200; ++i) {
    owned.push_back(std::make_unique<NodeInfo>(Node("n" + std::to_string(i))));
    nodes.push_back(owned.back().get());
  }
  absl::BitGen random;
  Decision first = SelectNode(Pod("p"), nodes, nullptr, random, /*start_index=*/150);
  EXPECT_EQ(first.nodes_examined, 100u);
  // The nodes searched were 150..199 and 0..49.
  const int chosen = std::stoi(first.node->name().substr(1));
  EXPECT_TRUE(chosen >= 150 || chosen < 50) << chosen;
  // A pod that fits nowhere is checked against every node.
  Decision none = SelectNode(Pod("q", {.cpu = "100"}), nodes, nullptr, random, 150);
  EXPECT_EQ(none.nodes_examined, 200u);
  EXPECT_EQ(none.node, nullptr);
}

}  // namespace
}  // namespace orch::scheduler
