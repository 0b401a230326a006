// Two scheduler replicas on one Lease with short durations: one schedules; when it stops,
// the other takes over with a cache rebuilt from the server, and pending pods get bound.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "orchestrator/api/object.h"
#include "orchestrator/api/registry.h"
#include "orchestrator/client/client.h"
#include "orchestrator/scheduler/elected_scheduler.h"
#include "tests/orchestrator/harness/eventually.h"
#include "tests/orchestrator/harness/in_process_apiserver.h"
#include "tests/orchestrator/scheduler/test_objects.h"

namespace orch::scheduler {
namespace {

client::LeaderElectionConfig ShortLease(const std::string& identity) {
  client::LeaderElectionConfig config;
  config.lease_name = "orch-scheduler";
  config.identity = identity;
  config.lease_duration = absl::Seconds(2);
  config.renew_deadline = absl::Milliseconds(1500);
  config.retry_period = absl::Milliseconds(200);
  return config;
}

bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
  return orch::testing::Eventually(done, timeout);
}

TEST(SchedulerFailoverTest, AnotherReplicaTakesOver) {
  absl::StatusOr<std::unique_ptr<orch::testing::InProcessApiServer>> server =
      orch::testing::InProcessApiServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  client::Client client((*server)->client_config());
  const api::ResourceInfo& pods = api::ResourceFor(api::Kind::kPod);
  for (const char* name : {"node-1", "node-2"}) {
    ASSERT_TRUE(
        client.Create(api::ResourceFor(api::Kind::kNode), "", testing::MakeNode(name)).ok());
  }
  auto create_pod = [&](const std::string& name) {
    api::Json pod = testing::MakePod(name);
    pod["metadata"].erase("uid");
    pod["metadata"].erase("creationTimestamp");
    pod["spec"].erase("priority");
    ASSERT_TRUE(client.Create(pods, "default", pod).ok());
  };
  auto bound = [&](const std::string& name) {
    absl::StatusOr<api::Json> pod = client.Get(pods, "default", name);
    return pod.ok() && !api::StringAt(*pod, {"spec", "nodeName"}).empty();
  };

  SchedulerOptions options;
  options.binder_threads = 2;
  auto first = std::make_unique<ElectedScheduler>(client, options, ShortLease("first"));
  auto second = std::make_unique<ElectedScheduler>(client, options, ShortLease("second"));
  first->Start();
  ASSERT_TRUE(WaitFor([&] { return first->IsScheduling(); }, absl::Seconds(10)));
  second->Start();
  create_pod("before");
  EXPECT_TRUE(WaitFor([&] { return bound("before"); }, absl::Seconds(10)));
  absl::SleepFor(absl::Milliseconds(500));  // several renewals: the follower stays a follower
  EXPECT_FALSE(second->IsScheduling());

  first->Stop();  // releases the Lease
  create_pod("after");
  const absl::Time stopped = absl::Now();
  EXPECT_TRUE(WaitFor([&] { return bound("after"); }, absl::Seconds(10)));
  EXPECT_TRUE(second->IsScheduling());
  EXPECT_LT(absl::Now() - stopped, absl::Seconds(5));  // within a lease duration or so
  ASSERT_TRUE(second->TermStats().has_value());
  EXPECT_EQ(second->TermStats()->bound, 1);  // "before" came from the lists as bound
  second->Stop();
}

}  // namespace
}  // namespace orch::scheduler
