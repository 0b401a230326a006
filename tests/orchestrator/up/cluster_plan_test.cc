#include "orchestrator/up/cluster_plan.h"

#include <algorithm>

#include "gtest/gtest.h"

namespace orch::up {
namespace {

Binaries FakeBinaries() {
  return Binaries{.raftkv = "/bin/raftkv",
                  .apiserver = "/bin/orch-apiserver",
                  .scheduler = "/bin/orch-scheduler",
                  .controller_manager = "/bin/orch-controller-manager",
                  .kubelet = "/bin/orch-kubelet",
                  .http_server = "/bin/orch-http-server"};
}

bool Contains(const std::vector<std::string>& argv, const std::string& flag,
              const std::string& value) {
  auto it = std::find(argv.begin(), argv.end(), flag);
  return it != argv.end() && it + 1 != argv.end() && *(it + 1) == value;
}

TEST(ClusterPlanTest, StartsStoreThenApiServerThenControlPlaneThenKubelets) {
  UpOptions options;
  options.dir = "/tmp/x";
  absl::StatusOr<ClusterPlan> plan = PlanCluster(options, FakeBinaries());
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::vector<std::string> names;
  for (const Component& component : plan->components)
    names.push_back(component.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "member-1", "member-2", "member-3", "apiserver", "controller-manager-1",
                       "scheduler-1", "kubelet-node-1", "kubelet-node-2", "kubelet-node-3"}));
  EXPECT_EQ(plan->store_endpoints, "127.0.0.1:12379,127.0.0.1:22379,127.0.0.1:32379");
  EXPECT_EQ(plan->api_url, "http://127.0.0.1:6443");
  EXPECT_TRUE(Contains(plan->components[3].argv, "--store",
                       "raftkv://127.0.0.1:12379,127.0.0.1:22379,127.0.0.1:32379"));
  EXPECT_TRUE(Contains(plan->components[0].argv, "--initial-cluster",
                       "member-1=http://127.0.0.1:12380,member-2=http://127.0.0.1:22380,"
                       "member-3=http://127.0.0.1:32380"));
}

TEST(ClusterPlanTest, KubeletsGetDistinctPodRangesAndTheirOwnDirectories) {
  UpOptions options;
  options.dir = "/tmp/x";
  options.nodes = 2;
  options.kubelet_flags = {"--restart-backoff-base=1s"};
  absl::StatusOr<ClusterPlan> plan = PlanCluster(options, FakeBinaries());
  ASSERT_TRUE(plan.ok()) << plan.status();
  const Component& first = plan->components[plan->components.size() - 2];
  const Component& second = plan->components.back();
  EXPECT_TRUE(Contains(first.argv, "--pod-cidr", "127.1.0.0/16"));
  EXPECT_TRUE(Contains(second.argv, "--pod-cidr", "127.2.0.0/16"));
  EXPECT_TRUE(Contains(second.argv, "--root-dir", "/tmp/x/nodes/node-2"));
  EXPECT_EQ(second.argv.back(), "--restart-backoff-base=1s");
  EXPECT_EQ(plan->node_names, (std::vector<std::string>{"node-1", "node-2"}));
}

TEST(ClusterPlanTest, FreePortsAreDistinct) {
  UpOptions options;
  options.free_ports = true;
  options.members = 5;
  absl::StatusOr<ClusterPlan> plan = PlanCluster(options, FakeBinaries());
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_NE(plan->api_url, "http://127.0.0.1:6443");
  EXPECT_EQ(std::count(plan->store_endpoints.begin(), plan->store_endpoints.end(), ','), 4);
}

TEST(ClusterPlanTest, RefusesImpossibleOptions) {
  UpOptions options;
  options.members = 0;
  EXPECT_EQ(PlanCluster(options, FakeBinaries()).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.members = 7;
  EXPECT_EQ(PlanCluster(options, FakeBinaries()).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.members = 3;
  options.schedulers = 0;
  EXPECT_EQ(PlanCluster(options, FakeBinaries()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace orch::up
