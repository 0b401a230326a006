// A member that was down while the others wrote past --snapshot-count and compacted: the
// leader's log no longer reaches back to it, so on restart it must install a snapshot, and
// end with the same key-value state (HashKV) as the others.

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "cluster_harness.h"
#include "gtest/gtest.h"

namespace raftkv::integration {
namespace {

constexpr int kSnapshotCount = 100;
// Fewer than the entries written while the member is down, so the leader's log no longer
// reaches back to it (the default, 5000, would let it catch up from the log).
constexpr int kCatchUpEntries = 20;

// Puts kSnapshotCount * 5 values over a few keys (many revisions each) and returns the
// revision of the last one.
::testing::AssertionResult WritePastSeveralSnapshots(LocalCluster& cluster) {
  for (int n = 0; n < kSnapshotCount * 5; ++n) {
    std::string key = "snap/" + std::to_string(n % 37);
    grpc::Status status = cluster.Put(key, "value " + std::to_string(n), In(milliseconds(5000)));
    if (!status.ok()) {
      return ::testing::AssertionFailure() << "put " << n << ": " << Describe(status);
    }
  }
  return ::testing::AssertionSuccess();
}

// The highest index the member's log says it compacted its raft log to (0 if none).
uint64_t LastLogCompactionIndex(const std::string& log) {
  const std::string marker = "compacted the raft log up to snapshot at index ";
  uint64_t last = 0;
  for (size_t at = log.find(marker); at != std::string::npos; at = log.find(marker, at + 1)) {
    last = std::max<uint64_t>(last, std::strtoull(log.c_str() + at + marker.size(), nullptr, 10));
  }
  return last;
}

grpc::Status Compact(LocalCluster& cluster, size_t member, int64_t revision) {
  auto stub = etcdserverpb::KV::NewStub(cluster.ChannelTo(member));
  etcdserverpb::CompactionRequest request;
  request.set_revision(revision);
  request.set_physical(true);
  etcdserverpb::CompactionResponse response;
  grpc::ClientContext context;
  ConfigureCall(context, milliseconds(5000));
  return stub->Compact(&context, request, &response);
}

TEST(SnapshotCatchUpTest, MemberDownPastSnapshotAndCompactionInstallsSnapshotOnRestart) {
  ClusterOptions options;
  options.snapshot_count = kSnapshotCount;
  options.extra_flags = {"--experimental-snapshot-catchup-entries=" +
                         std::to_string(kCatchUpEntries)};
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start(In(milliseconds(10000))));
  std::optional<size_t> leader = cluster.WaitForLeader(In(milliseconds(5000)));
  ASSERT_TRUE(leader);
  const size_t down = (*leader + 1) % 3;
  const size_t up = (*leader + 2) % 3;

  ASSERT_TRUE(cluster.Put("before", "the member went down", In(milliseconds(5000))).ok());
  etcdserverpb::StatusResponse when_killed;
  ASSERT_TRUE(cluster.Status(down, &when_killed).ok());
  cluster.Kill(down, SIGKILL);
  ASSERT_TRUE(WritePastSeveralSnapshots(cluster));
  std::vector<std::string> keys;
  int64_t revision = 0;
  ASSERT_TRUE(
      cluster.KeysWithPrefix(*leader, "snap/", In(milliseconds(5000)), &keys, &revision).ok());
  ASSERT_TRUE(Compact(cluster, *leader, revision - 20).ok());
  // The leader's log now starts after a snapshot taken while `down` was away.
  ASSERT_GT(LastLogCompactionIndex(cluster.LogSince(*leader, 0)), when_killed.raftindex());

  const size_t log_before_restart = cluster.LogSize(down);
  cluster.Restart(down);
  ASSERT_TRUE(cluster.WaitForSameHash({*leader, up, down}, In(milliseconds(15000))));
  EXPECT_NE(cluster.LogSince(down, log_before_restart).find("installed snapshot"),
            std::string::npos)
      << "the restarted member caught up without installing a snapshot";

  // Its raft state agrees too, and it serves the compacted history as the others do.
  etcdserverpb::StatusResponse on_leader, on_restarted;
  ASSERT_TRUE(cluster.Status(*leader, &on_leader).ok());
  ASSERT_TRUE(cluster.Status(down, &on_restarted).ok());
  EXPECT_EQ(on_restarted.raftappliedindex(), on_leader.raftappliedindex());
  EXPECT_EQ(on_restarted.raftindex(), on_leader.raftindex());
  std::vector<std::string> keys_on_restarted;
  ASSERT_TRUE(
      cluster.KeysWithPrefix(down, "snap/", In(milliseconds(5000)), &keys_on_restarted, nullptr)
          .ok());
  EXPECT_EQ(keys_on_restarted, keys);
}

}  // namespace
}  // namespace raftkv::integration
