// Members killed with SIGKILL under a steady write load: the leader alone (a new one is
// elected quickly, nothing acknowledged is lost, the old leader catches up), and the whole
// cluster at once (everything acknowledged survives a restart from disk).

#include <signal.h>

#include <algorithm>
#include <chrono>

#include "cluster_harness.h"
#include "gtest/gtest.h"
#include "write_load.h"

namespace raftkv::integration {
namespace {

constexpr int kWriters = 3;

std::vector<size_t> AllBut(size_t n, size_t excluded) {
  std::vector<size_t> members;
  for (size_t i = 0; i < n; ++i) {
    if (i != excluded) members.push_back(i);
  }
  return members;
}

// How long after `since` one of the members first reports a leader other than `old_leader`.
std::optional<milliseconds> TimeToNewLeader(LocalCluster& cluster,
                                            const std::vector<size_t>& members, uint64_t old_leader,
                                            Clock::time_point since, Deadline deadline) {
  while (Clock::now() < deadline) {
    for (size_t i : members) {
      std::optional<uint64_t> leader = cluster.LeaderSeenBy(i);
      if (leader && *leader != 0 && *leader != old_leader) {
        return std::chrono::duration_cast<milliseconds>(Clock::now() - since);
      }
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  return std::nullopt;
}

TEST(LeaderFailureTest, KilledLeaderIsReplacedAndCatchesUpWithoutLosingAcknowledgedWrites) {
  LocalCluster cluster;
  ASSERT_TRUE(cluster.Start(In(milliseconds(10000))));
  WriteLoad load(cluster, "load/", kWriters);
  ASSERT_TRUE(load.WaitForProgress(100, In(milliseconds(10000))));

  std::optional<size_t> old_leader = cluster.WaitForLeader(In(milliseconds(5000)));
  ASSERT_TRUE(old_leader);
  const uint64_t old_leader_id = cluster.slot(*old_leader).id;
  const auto killed_at = Clock::now();
  cluster.Kill(*old_leader, SIGKILL);
  const std::vector<size_t> survivors = AllBut(cluster.size(), *old_leader);

  std::optional<milliseconds> election =
      TimeToNewLeader(cluster, survivors, old_leader_id, killed_at, In(milliseconds(10000)));
  ASSERT_TRUE(election) << "no new leader 10s after killing the leader";
  std::printf("new leader %lld ms after the kill\n", static_cast<long long>(election->count()));
  EXPECT_LT(*election, 2 * cluster.election_timeout());

  // The load goes on against the new leader, then stops for the checks.
  ASSERT_TRUE(load.WaitForProgress(100, In(milliseconds(10000))));
  load.Stop();
  const std::vector<std::string> acknowledged = load.AcknowledgedKeys();
  for (size_t i : survivors) {
    EXPECT_TRUE(cluster.HasAllKeys(i, load.prefix(), acknowledged, In(milliseconds(10000))));
  }

  cluster.Restart(*old_leader);
  EXPECT_TRUE(
      cluster.HasAllKeys(*old_leader, load.prefix(), acknowledged, In(milliseconds(15000))));
  EXPECT_TRUE(
      cluster.WaitForSameHash({survivors[0], survivors[1], *old_leader}, In(milliseconds(15000))));
}

TEST(LeaderFailureTest, WholeClusterKilledMidLoadKeepsAcknowledgedWritesAfterRestart) {
  LocalCluster cluster;
  ASSERT_TRUE(cluster.Start(In(milliseconds(10000))));
  WriteLoad load(cluster, "load/", kWriters);
  ASSERT_TRUE(load.WaitForProgress(300, In(milliseconds(15000))));

  // Kill all as close together as possible: writes are in flight on every member.
  for (size_t i = 0; i < cluster.size(); ++i)
    cluster.Kill(i, SIGKILL);
  load.Stop();
  const std::vector<std::string> acknowledged = load.AcknowledgedKeys();
  ASSERT_GE(acknowledged.size(), 300u);

  for (size_t i = 0; i < cluster.size(); ++i)
    cluster.Restart(i);
  ASSERT_TRUE(cluster.WaitForLeader(In(milliseconds(10000))));
  for (size_t i = 0; i < cluster.size(); ++i) {
    EXPECT_TRUE(cluster.HasAllKeys(i, load.prefix(), acknowledged, In(milliseconds(10000))));
  }
  EXPECT_TRUE(cluster.WaitForSameHash({0, 1, 2}, In(milliseconds(10000))));

  // And the restarted cluster takes writes again.
  EXPECT_TRUE(cluster.Put("after-restart", "v", In(milliseconds(5000))).ok());
}

}  // namespace
}  // namespace raftkv::integration
