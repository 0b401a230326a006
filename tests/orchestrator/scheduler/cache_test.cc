#include "orchestrator/scheduler/cache.h"

#include <gtest/gtest.h>

#include <map>

#include "absl/random/random.h"
#include "tests/orchestrator/scheduler/test_objects.h"

namespace orch::scheduler {
namespace {

using testing::MakeNode;
using testing::MakePod;
using testing::NodeParams;
using testing::PodParams;

PodInfo Pod(const std::string& name, const PodParams& params = {}) {
  absl::StatusOr<PodInfo> pod = PodInfo::FromPod(MakePod(name, params));
  EXPECT_TRUE(pod.ok()) << pod.status();
  return *pod;
}

TEST(SchedulerCacheTest, AssumedPodsCountUntilForgotten) {
  SchedulerCache cache;
  ASSERT_TRUE(cache.AddOrUpdateNode(MakeNode("n1", {.cpu = "2"})).ok());
  absl::BitGen random;
  EXPECT_EQ(cache.ScheduleAndAssume(Pod("a", {.cpu = "1500m"}), random).node_name, "n1");
  EXPECT_TRUE(cache.IsAssumed("default/a"));
  Placement second = cache.ScheduleAndAssume(Pod("b", {.cpu = "1"}), random);
  EXPECT_EQ(second.node_name, "");
  EXPECT_EQ(second.failure_message,
            "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 "
            "No preemption victims found for incoming pod.");
  cache.ForgetAssumedPod("default/a");
  EXPECT_EQ(cache.Usage("n1")->pods, 0);
  EXPECT_EQ(cache.ScheduleAndAssume(Pod("b", {.cpu = "1"}), random).node_name, "n1");
}

TEST(SchedulerCacheTest, ConfirmedPodIsNoLongerAssumedAndForgetKeepsIt) {
  SchedulerCache cache;
  ASSERT_TRUE(cache.AddOrUpdateNode(MakeNode("n1")).ok());
  absl::BitGen random;
  ASSERT_EQ(cache.ScheduleAndAssume(Pod("a", {.cpu = "1"}), random).node_name, "n1");
  cache.AddOrUpdatePod(Pod("a", {.cpu = "1", .node_name = "n1"}));
  EXPECT_FALSE(cache.IsAssumed("default/a"));
  cache.ForgetAssumedPod("default/a");  // a late bind failure must not drop a bound pod
  EXPECT_EQ(cache.Usage("n1")->requested.milli_cpu, 1000);
  cache.RemovePod("default/a");
  EXPECT_EQ(cache.Usage("n1")->requested.milli_cpu, 0);
}

TEST(SchedulerCacheTest, PodsOnAnUnknownNodeWaitInAPlaceholder) {
  SchedulerCache cache;
  cache.AddOrUpdatePod(Pod("a", {.cpu = "3", .node_name = "n1"}));
  EXPECT_EQ(cache.NodeCount(), 0u);
  absl::BitGen random;
  EXPECT_EQ(cache.ScheduleAndAssume(Pod("b"), random).failure_message,
            "no nodes available to schedule pods");
  ASSERT_TRUE(cache.AddOrUpdateNode(MakeNode("n1", {.cpu = "4"})).ok());
  EXPECT_EQ(cache.NodeCount(), 1u);
  EXPECT_EQ(cache.ScheduleAndAssume(Pod("b", {.cpu = "2"}), random).node_name, "");
  cache.RemoveNode("n1");
  EXPECT_EQ(cache.NodeCount(), 0u);
  EXPECT_TRUE(cache.Usage("n1").has_value());  // the placeholder still holds pod a
  cache.RemovePod("default/a");
  EXPECT_FALSE(cache.Usage("n1").has_value());
}

TEST(SchedulerCacheTest, ReplicasOfOneOwnerSpreadAcrossNodes) {
  SchedulerCache cache;
  for (const char* name : {"n1", "n2", "n3"})
    ASSERT_TRUE(cache.AddOrUpdateNode(MakeNode(name)).ok());
  absl::BitGen random;
  std::map<std::string, int> per_node;
  for (int i = 0; i < 9; ++i) {
    Placement placement = cache.ScheduleAndAssume(
        Pod("r" + std::to_string(i), {.cpu = "100m", .owner_uid = "rs-1"}), random);
    ++per_node[placement.node_name];
  }
  EXPECT_EQ(per_node, (std::map<std::string, int>{{"n1", 3}, {"n2", 3}, {"n3", 3}}));
}

TEST(SchedulerCacheTest, MalformedNodeIsRefused) {
  SchedulerCache cache;
  EXPECT_FALSE(cache.AddOrUpdateNode(MakeNode("n1", {.cpu = "lots"})).ok());
  EXPECT_EQ(cache.NodeCount(), 0u);
}

}  // namespace
}  // namespace orch::scheduler
