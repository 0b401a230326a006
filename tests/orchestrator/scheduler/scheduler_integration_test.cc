// The scheduler against an in-process API server: nodes are registered through the client
// with Ready status, pods are created pending, and the scheduler binds them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "orchestrator/api/object.h"
#include "orchestrator/api/registry.h"
#include "orchestrator/client/client.h"
#include "orchestrator/scheduler/scheduler.h"
#include "tests/orchestrator/harness/in_process_apiserver.h"
#include "tests/orchestrator/scheduler/test_objects.h"

namespace orch::scheduler {
namespace {

using testing::MakeNode;
using testing::NodeParams;
using testing::PodParams;

const api::ResourceInfo& Nodes() {
  return api::ResourceFor(api::Kind::kNode);
}
const api::ResourceInfo& Pods() {
  return api::ResourceFor(api::Kind::kPod);
}

// A pod as a user would create it: no uid, timestamps or priority.
api::Json NewPod(const std::string& name, const PodParams& params = {}) {
  api::Json pod = testing::MakePod(name, params);
  pod["metadata"].erase("uid");
  pod["metadata"].erase("creationTimestamp");
  pod["spec"].erase("priority");
  return pod;
}

class SchedulerIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<orch::testing::InProcessApiServer>> server =
        orch::testing::InProcessApiServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    client_ = std::make_unique<client::Client>(server_->client_config());
  }

  void StartScheduler() {
    SchedulerOptions options;
    options.binder_threads = 2;
    options.queue.initial_backoff = absl::Milliseconds(100);
    options.queue.max_backoff = absl::Milliseconds(500);
    scheduler_ = std::make_unique<Scheduler>(*client_, options);
    ASSERT_TRUE(scheduler_->Start().ok());
  }

  void TearDown() override {
    if (scheduler_ != nullptr) scheduler_->Stop();
  }

  void CreateNode(const std::string& name, const NodeParams& params = {}) {
    absl::StatusOr<api::Json> created = client_->Create(Nodes(), "", MakeNode(name, params));
    ASSERT_TRUE(created.ok()) << created.status();
  }

  void CreatePod(const std::string& name, const PodParams& params = {}) {
    absl::StatusOr<api::Json> created = client_->Create(Pods(), "default", NewPod(name, params));
    ASSERT_TRUE(created.ok()) << created.status();
  }

  // The pod once `done` holds for it, or the last version seen after `timeout`.
  api::Json WaitForPod(const std::string& name, const std::function<bool(const api::Json&)>& done,
                       absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + timeout;
    api::Json last;
    while (absl::Now() < deadline) {
      absl::StatusOr<api::Json> pod = client_->Get(Pods(), "default", name);
      if (pod.ok()) {
        last = *pod;
        if (done(last)) break;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    return last;
  }

  std::string WaitForNode(const std::string& name) {
    return api::StringAt(WaitForPod(name,
                                    [](const api::Json& pod) {
                                      return !api::StringAt(pod, {"spec", "nodeName"}).empty();
                                    }),
                         {"spec", "nodeName"});
  }

  // Events about `pod_name` with `reason`, by message.
  std::vector<std::string> EventMessages(const std::string& pod_name, const std::string& reason) {
    std::vector<std::string> messages;
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (messages.empty() && absl::Now() < deadline) {
      absl::StatusOr<api::Json> events =
          client_->List(api::ResourceFor(api::Kind::kEvent), "default");
      if (events.ok()) {
        for (const api::Json& event : api::ArrayAt(*events, {"items"})) {
          if (api::StringAt(event, {"involvedObject", "name"}) == pod_name &&
              api::StringAt(event, {"reason"}) == reason) {
            messages.push_back(api::StringAt(event, {"message"}));
          }
        }
      }
      if (messages.empty()) absl::SleepFor(absl::Milliseconds(50));
    }
    return messages;
  }

  std::unique_ptr<orch::testing::InProcessApiServer> server_;
  std::unique_ptr<client::Client> client_;
  std::unique_ptr<Scheduler> scheduler_;
};

TEST_F(SchedulerIntegrationTest, BindsToFittingNodesSpreadingReplicasAndSkippingCordoned) {
  CreateNode("node-a", {.cpu = "2"});
  CreateNode("node-b", {.cpu = "2"});
  CreateNode("node-c", {.cpu = "2", .labels = {{"disk", "ssd"}}});
  CreateNode("cordoned", {.cpu = "8", .unschedulable = true});
  CreateNode("not-ready", {.cpu = "8", .ready = "False"});
  StartScheduler();
  for (int i = 0; i < 6; ++i) {
    CreatePod("web-" + std::to_string(i), {.cpu = "500m", .owner_uid = "rs-web"});
  }
  CreatePod("db", {.cpu = "500m", .node_selector = {{"disk", "ssd"}}});
  std::map<std::string, int> per_node;
  for (int i = 0; i < 6; ++i)
    ++per_node[WaitForNode("web-" + std::to_string(i))];
  EXPECT_EQ(per_node, (std::map<std::string, int>{{"node-a", 2}, {"node-b", 2}, {"node-c", 2}}));
  EXPECT_EQ(WaitForNode("db"), "node-c");
  api::Json pod = WaitForPod(
      "db", [](const api::Json& p) { return api::ConditionStatus(p, "PodScheduled") == "True"; });
  EXPECT_EQ(api::ConditionStatus(pod, "PodScheduled"), "True");
  EXPECT_THAT(EventMessages("db", "Scheduled"),
              ::testing::ElementsAre("Successfully assigned default/db to node-c"));
}

TEST_F(SchedulerIntegrationTest, UnschedulablePodSaysWhyAndIsRetriedWhenANodeAppears) {
  CreateNode("small", {.cpu = "1"});
  CreateNode("cordoned", {.cpu = "8", .unschedulable = true});
  StartScheduler();
  CreatePod("big", {.cpu = "2"});
  const std::string expected =
      "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) were unschedulable. preemption: "
      "0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is "
      "not helpful for scheduling.";
  api::Json pod = WaitForPod(
      "big", [](const api::Json& p) { return api::ConditionStatus(p, "PodScheduled") == "False"; });
  const api::Json* condition =
      api::FindCondition(api::ArrayAt(pod, {"status", "conditions"}), "PodScheduled");
  ASSERT_NE(condition, nullptr) << pod.dump();
  EXPECT_EQ(api::StringAt(*condition, {"reason"}), "Unschedulable");
  EXPECT_EQ(api::StringAt(*condition, {"message"}), expected);
  EXPECT_THAT(EventMessages("big", "FailedScheduling"), ::testing::Contains(expected));

  // Its own status write does not make the scheduler try again (back-off here is 100 ms).
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(scheduler_->stats().unschedulable, 1);

  const absl::Time node_added = absl::Now();
  CreateNode("large", {.cpu = "4"});
  EXPECT_EQ(WaitForNode("big"), "large");
  EXPECT_LT(absl::Now() - node_added, absl::Seconds(5));  // woken by the node, not the 60 s retry
}

TEST_F(SchedulerIntegrationTest, RoomFreedByADeletedPodIsUsed) {
  CreateNode("only", {.cpu = "1"});
  StartScheduler();
  CreatePod("first", {.cpu = "800m"});
  ASSERT_EQ(WaitForNode("first"), "only");
  CreatePod("second", {.cpu = "800m"});
  WaitForPod("second",
             [](const api::Json& p) { return api::ConditionStatus(p, "PodScheduled") == "False"; });
  client::DeleteOptions now;
  now.grace_period_seconds = 0;
  ASSERT_TRUE(client_->Delete(Pods(), "default", "first", now).ok());
  EXPECT_EQ(WaitForNode("second"), "only");
}

}  // namespace
}  // namespace orch::scheduler
