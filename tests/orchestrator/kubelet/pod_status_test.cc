#include "orchestrator/kubelet/pod_status.h"

#include <gtest/gtest.h>

namespace orch::kubelet {
namespace {

using api::ContainerState;
using api::ContainerStatus;

ContainerStatus Running(const std::string& name, bool ready) {
  ContainerStatus status;
  status.name = name;
  status.ready = ready;
  status.state.phase = ContainerState::Phase::kRunning;
  return status;
}

ContainerStatus Terminated(const std::string& name, int exit_code) {
  ContainerStatus status;
  status.name = name;
  status.state.phase = ContainerState::Phase::kTerminated;
  status.state.exit_code = exit_code;
  return status;
}

ContainerStatus Waiting(const std::string& name, bool ran_before) {
  ContainerStatus status;
  status.name = name;
  status.state.phase = ContainerState::Phase::kWaiting;
  if (ran_before) {
    status.last_state.phase = ContainerState::Phase::kTerminated;
    status.last_state.exit_code = 1;
  }
  return status;
}

api::PodSpec Spec(std::string restart_policy, std::vector<std::string> containers,
                  std::vector<std::string> init = {}) {
  api::PodSpec spec;
  spec.restart_policy = std::move(restart_policy);
  for (const std::string& name : containers) {
    spec.containers.emplace_back();
    spec.containers.back().name = name;
  }
  for (const std::string& name : init) {
    spec.init_containers.emplace_back();
    spec.init_containers.back().name = name;
  }
  return spec;
}

TEST(ComputePodPhase, FollowsUpstreamRules) {
  EXPECT_EQ(ComputePodPhase(Spec("Always", {"a", "b"}), {}, {Running("a", true)}), "Pending");
  EXPECT_EQ(ComputePodPhase(Spec("Always", {"a"}), {}, {Running("a", false)}), "Running");
  EXPECT_EQ(ComputePodPhase(Spec("Always", {"a"}), {}, {Waiting("a", true)}), "Running");
  EXPECT_EQ(ComputePodPhase(Spec("Always", {"a"}), {}, {Waiting("a", false)}), "Pending");
  EXPECT_EQ(
      ComputePodPhase(Spec("Never", {"a", "b"}), {}, {Terminated("a", 0), Terminated("b", 0)}),
      "Succeeded");
  EXPECT_EQ(
      ComputePodPhase(Spec("Never", {"a", "b"}), {}, {Terminated("a", 0), Terminated("b", 2)}),
      "Failed");
  EXPECT_EQ(ComputePodPhase(Spec("OnFailure", {"a"}), {}, {Terminated("a", 0)}), "Succeeded");
  EXPECT_EQ(ComputePodPhase(Spec("OnFailure", {"a"}), {}, {Waiting("a", true)}), "Running");
  EXPECT_EQ(ComputePodPhase(Spec("Never", {"a"}), {},
                            {
                                Running("a", true),
                            }),
            "Running");
}

TEST(ComputePodPhase, InitContainersComeFirst) {
  api::PodSpec spec = Spec("Never", {"app"}, {"init"});
  EXPECT_EQ(ComputePodPhase(spec, {Running("init", false)}, {}), "Pending");
  EXPECT_EQ(ComputePodPhase(spec, {Terminated("init", 1)}, {}), "Failed");
  spec.restart_policy = "Always";
  EXPECT_EQ(ComputePodPhase(spec, {Terminated("init", 1)}, {}), "Pending");
  EXPECT_EQ(ComputePodPhase(spec, {Terminated("init", 0)}, {Running("app", true)}), "Running");
}

TEST(ComputePodConditions, ReadyWhenEveryContainerIsAndKeepsTransitionTimes) {
  api::PodSpec spec = Spec("Always", {"a", "b"}, {"init"});
  const absl::Time t0 = absl::FromUnixSeconds(1000), t1 = absl::FromUnixSeconds(2000);
  std::vector<api::Condition> first = ComputePodConditions(
      spec, {Terminated("init", 0)}, {Running("a", true), Running("b", false)}, "Running", {}, t0);
  ASSERT_EQ(first.size(), 4u);
  EXPECT_EQ(first[0].type, "PodScheduled");
  EXPECT_EQ(first[1].type, "Initialized");
  EXPECT_EQ(first[1].status, "True");
  EXPECT_EQ(first[2].type, "ContainersReady");
  EXPECT_EQ(first[2].status, "False");
  EXPECT_EQ(first[2].reason, "ContainersNotReady");
  EXPECT_EQ(first[2].message, "containers with unready status: [b]");
  EXPECT_EQ(first[3].type, "Ready");
  std::vector<api::Condition> second =
      ComputePodConditions(spec, {Terminated("init", 0)}, {Running("a", true), Running("b", true)},
                           "Running", first, t1);
  EXPECT_EQ(second[1].last_transition_time, t0);  // Initialized did not change
  EXPECT_EQ(second[3].status, "True");
  EXPECT_EQ(second[3].last_transition_time, t1);
}

TEST(ComputePodConditions, NotInitializedAndCompleted) {
  api::PodSpec spec = Spec("Never", {"a"}, {"init"});
  std::vector<api::Condition> pending =
      ComputePodConditions(spec, {Running("init", false)}, {}, "Pending", {}, absl::Now());
  EXPECT_EQ(pending[1].status, "False");
  EXPECT_EQ(pending[1].reason, "ContainersNotInitialized");
  EXPECT_EQ(pending[1].message, "containers with incomplete status: [init]");
  std::vector<api::Condition> done = ComputePodConditions(
      spec, {Terminated("init", 0)}, {Terminated("a", 0)}, "Succeeded", {}, absl::Now());
  EXPECT_EQ(done[3].status, "False");
  EXPECT_EQ(done[3].reason, "PodCompleted");
}

}  // namespace
}  // namespace orch::kubelet
