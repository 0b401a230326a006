#include "orchestrator/client/leader_election.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <regex>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "orchestrator/api/object.h"
#include "orchestrator/client/api_error.h"
#include "tests/orchestrator/harness/eventually.h"
#include "tests/orchestrator/harness/in_process_apiserver.h"

namespace orch::client {
namespace {

using api::Json;

const api::ResourceInfo& Leases() {
  return api::ResourceFor(api::Kind::kLease);
}

using orch::testing::Eventually;

// Short durations keep the test quick; the retry period is well below them.
LeaderElectionConfig ShortConfig(const std::string& identity) {
  LeaderElectionConfig config;
  config.lease_name = "orch-test";
  config.identity = identity;
  config.lease_duration = absl::Seconds(1);
  config.renew_deadline = absl::Milliseconds(700);
  config.retry_period = absl::Milliseconds(100);
  return config;
}

class LeaderElectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<testing::InProcessApiServer>> server =
        testing::InProcessApiServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    client_ = std::make_unique<Client>(server_->client_config());
  }

  absl::StatusOr<Json> Lease() { return client_->Get(Leases(), "kube-system", "orch-test"); }

  std::unique_ptr<testing::InProcessApiServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(LeaderElectionTest, WhenTheLeaderStopsTheOtherLeads) {
  absl::Mutex mutex;
  std::vector<std::string> seen_by_b;
  std::atomic<int> a_started{0};
  std::atomic<int> a_stopped{0};
  LeaderElectionConfig a_config = ShortConfig("a");
  a_config.on_started_leading = [&] { ++a_started; };
  a_config.on_stopped_leading = [&] { ++a_stopped; };
  LeaderElectionConfig b_config = ShortConfig("b");
  b_config.on_new_leader = [&](const std::string& holder) {
    absl::MutexLock lock(&mutex);
    seen_by_b.push_back(holder);
  };
  LeaderElector a(*client_, a_config);
  LeaderElector b(*client_, b_config);

  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.IsLeader(); }, absl::Seconds(10)));
  EXPECT_EQ(a_started, 1);
  // The namespace was created for the Lease.
  EXPECT_TRUE(client_->Get(api::ResourceFor(api::Kind::kNamespace), "", "kube-system").ok());
  b.Start();
  // A renews well within the lease duration: B never takes over while A runs.
  absl::SleepFor(absl::Milliseconds(1500));
  EXPECT_TRUE(a.IsLeader());
  EXPECT_FALSE(b.IsLeader());

  absl::StatusOr<Json> held = Lease();
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_EQ(api::StringAt(*held, {"spec", "holderIdentity"}), "a");
  EXPECT_EQ(api::IntAt(*held, {"spec", "leaseDurationSeconds"}), 1);
  EXPECT_EQ(api::IntAt(*held, {"spec", "leaseTransitions"}), 0);
  const std::regex micro_time(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)");
  EXPECT_TRUE(std::regex_match(api::StringAt(*held, {"spec", "renewTime"}), micro_time));
  EXPECT_TRUE(std::regex_match(api::StringAt(*held, {"spec", "acquireTime"}), micro_time));

  const absl::Time stopped_at = absl::Now();
  a.Stop();
  EXPECT_FALSE(a.IsLeader());
  EXPECT_EQ(a_stopped, 1);
  // Released, so B need not wait out the lease duration.
  ASSERT_TRUE(Eventually([&] { return b.IsLeader(); }, absl::Seconds(10)));
  EXPECT_LT(absl::Now() - stopped_at, absl::Seconds(1));
  absl::StatusOr<Json> taken = Lease();
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(api::StringAt(*taken, {"spec", "holderIdentity"}), "b");
  EXPECT_EQ(api::IntAt(*taken, {"spec", "leaseTransitions"}), 1);
  {
    absl::MutexLock lock(&mutex);
    EXPECT_EQ(seen_by_b, (std::vector<std::string>{"a", "b"}));
  }
  b.Stop();
  absl::StatusOr<Json> released = Lease();
  ASSERT_TRUE(released.ok());
  EXPECT_EQ(api::StringAt(*released, {"spec", "holderIdentity"}), "");
}

TEST_F(LeaderElectionTest, AnUnrenewedLeaseIsTakenAfterItsDuration) {
  // A holder that is gone: its Lease is never renewed again.
  ASSERT_TRUE(client_
                  ->Create(api::ResourceFor(api::Kind::kNamespace), "",
                           {{"apiVersion", "v1"},
                            {"kind", "Namespace"},
                            {"metadata", {{"name", "kube-system"}}}})
                  .ok());
  const std::string now =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone());
  ASSERT_TRUE(client_
                  ->Create(Leases(), "kube-system",
                           {{"apiVersion", "coordination.k8s.io/v1"},
                            {"kind", "Lease"},
                            {"metadata", {{"name", "orch-test"}}},
                            {"spec",
                             {{"holderIdentity", "ghost"},
                              {"leaseDurationSeconds", 1},
                              {"acquireTime", now},
                              {"renewTime", now},
                              {"leaseTransitions", 3}}}})
                  .ok());
  LeaderElector elector(*client_, ShortConfig("c"));
  const absl::Time started = absl::Now();
  elector.Start();
  ASSERT_TRUE(Eventually([&] { return elector.IsLeader(); }, absl::Seconds(10)));
  // Not before the lease duration, measured by the candidate's own clock.
  EXPECT_GE(absl::Now() - started, absl::Seconds(1));
  absl::StatusOr<Json> taken = Lease();
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(api::StringAt(*taken, {"spec", "holderIdentity"}), "c");
  EXPECT_EQ(api::IntAt(*taken, {"spec", "leaseTransitions"}), 4);
}

TEST_F(LeaderElectionTest, ALeaderWhoseLeaseIsTakenStopsLeading) {
  std::atomic<int> stopped{0};
  LeaderElectionConfig config = ShortConfig("a");
  config.on_stopped_leading = [&] { ++stopped; };
  LeaderElector elector(*client_, config);
  elector.Start();
  ASSERT_TRUE(Eventually([&] { return elector.IsLeader(); }, absl::Seconds(10)));
  // Someone else writes the Lease (as a candidate with a skewed view would).
  ASSERT_TRUE(Eventually(
      [&] {
        absl::StatusOr<Json> lease = Lease();
        if (!lease.ok()) return false;
        (*lease)["spec"]["holderIdentity"] = "intruder";
        (*lease)["spec"]["leaseDurationSeconds"] = 60;
        return client_->Update(Leases(), *lease).ok();
      },
      absl::Seconds(10)));
  ASSERT_TRUE(Eventually([&] { return !elector.IsLeader(); }, absl::Seconds(10)));
  EXPECT_EQ(stopped, 1);
  elector.Stop();
  // Not the holder: Stop leaves the Lease alone.
  absl::StatusOr<Json> lease = Lease();
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(api::StringAt(*lease, {"spec", "holderIdentity"}), "intruder");
}

}  // namespace
}  // namespace orch::client
