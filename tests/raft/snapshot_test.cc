// Snapshots: sending one to a follower whose entries were compacted away, reporting its
// outcome, and a follower's handling of snapshots it receives.

#include <gtest/gtest.h>

#include "raftkv/raft/errors.h"
#include "tests/raft/test_network.h"

namespace raftkv::raft {
namespace {

using test::MakeConfState;
using test::MakeEntries;
using test::MakeMsg;
using test::MakeSnapshot;
using test::Network;
using test::NewStorage;
using test::TestNode;

const Progress& ProgressOf(Network& net, uint64_t id) {
  return net.node(1).raft().tracker().progress.at(id);
}

// A cluster where 3 missed five entries that the leader 1 then compacted away.
class LaggingFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    net_.Campaign(1);
    net_.Isolate(3);
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(net_.Propose(1, "e" + std::to_string(i)).ok());
    }
    net_.node(1).CompactToApplied();
    snap_index_ = net_.node(1).storage().GetSnapshot()->metadata().index();
    ASSERT_GT(net_.node(1).storage().FirstIndex(), ProgressOf(net_, 3).match + 1);
    net_.Recover();
    net_.ClearDelivered();
  }

  Network net_{{1, 2, 3}};
  uint64_t snap_index_ = 0;
};

TEST_F(LaggingFollowerTest, CatchesUpThroughASnapshotThenTheLog) {
  net_.Heartbeat(1);
  EXPECT_EQ(net_.CountDelivered(raftpb::MSG_SNAP, 1, 3), 1u);
  EXPECT_EQ(net_.node(3).installed_snapshots(), std::vector<std::string>{"snap-1"});
  EXPECT_EQ(net_.node(3).storage().FirstIndex(), snap_index_ + 1);
  EXPECT_EQ(net_.node(3).applied_index(), snap_index_);
  EXPECT_EQ(ProgressOf(net_, 3).state, ProgressState::kReplicate);
  EXPECT_EQ(ProgressOf(net_, 3).match, snap_index_);

  // Afterwards it continues from the log.
  ASSERT_TRUE(net_.Propose(1, "after").ok());
  EXPECT_EQ(net_.node(3).applied_data(), std::vector<std::string>{"after"});
  EXPECT_EQ(net_.CountDelivered(raftpb::MSG_SNAP), 1u);
}

TEST_F(LaggingFollowerTest, NoAppendsWhileTheSnapshotIsInFlight) {
  net_.DropType(raftpb::MSG_SNAP);
  net_.Heartbeat(1);
  ASSERT_EQ(ProgressOf(net_, 3).state, ProgressState::kSnapshot);
  EXPECT_EQ(ProgressOf(net_, 3).pending_snapshot, snap_index_);
  net_.ClearDelivered();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(net_.Propose(1, "x").ok());
  }
  net_.Heartbeat(1);
  EXPECT_EQ(net_.CountDelivered(raftpb::MSG_APP, 1, 3), 0u);
  EXPECT_EQ(net_.CountDelivered(raftpb::MSG_SNAP, 1, 3), 0u);
}

TEST_F(LaggingFollowerTest, FailedSnapshotReturnsToProbeAndIsRetried) {
  net_.DropType(raftpb::MSG_SNAP);
  net_.Heartbeat(1);
  ASSERT_EQ(ProgressOf(net_, 3).state, ProgressState::kSnapshot);

  net_.node(1).node().ReportSnapshot(3, /*failed=*/true);
  const Progress& pr = ProgressOf(net_, 3);
  EXPECT_EQ(pr.state, ProgressState::kProbe);
  EXPECT_EQ(pr.pending_snapshot, 0u);
  EXPECT_EQ(pr.next, pr.match + 1);
  // It waits for a heartbeat response before trying again.
  EXPECT_TRUE(pr.IsPaused());

  net_.Recover();
  net_.Heartbeat(1);
  EXPECT_EQ(net_.node(3).installed_snapshots().size(), 1u);
  EXPECT_EQ(ProgressOf(net_, 3).state, ProgressState::kReplicate);
}

TEST_F(LaggingFollowerTest, SuccessfulSnapshotReportResumesAfterIt) {
  // The follower installs the snapshot but its acknowledgement is lost.
  net_.SetFilter([](const raftpb::Message& m) {
    return !(m.type() == raftpb::MSG_APP_RESP && m.from() == 3 && !m.reject());
  });
  net_.Heartbeat(1);
  ASSERT_EQ(net_.node(3).installed_snapshots().size(), 1u);
  ASSERT_EQ(ProgressOf(net_, 3).state, ProgressState::kSnapshot);

  net_.node(1).node().ReportSnapshot(3, /*failed=*/false);
  const Progress& pr = ProgressOf(net_, 3);
  EXPECT_EQ(pr.state, ProgressState::kProbe);
  EXPECT_EQ(pr.next, snap_index_ + 1);
  EXPECT_TRUE(pr.IsPaused());
}

TEST_F(LaggingFollowerTest, AckPastThePendingSnapshotEndsTheSnapshotState) {
  net_.DropType(raftpb::MSG_SNAP);
  net_.Heartbeat(1);
  ASSERT_EQ(ProgressOf(net_, 3).state, ProgressState::kSnapshot);
  // An acknowledgement that covers the snapshot (say, from an append that was in flight).
  raftpb::Message ack = MakeMsg(raftpb::MSG_APP_RESP, 3, 1, net_.node(1).term());
  ack.set_index(snap_index_);
  ASSERT_TRUE(net_.node(1).node().Step(ack).ok());
  EXPECT_EQ(ProgressOf(net_, 3).state, ProgressState::kReplicate);
  EXPECT_EQ(ProgressOf(net_, 3).match, snap_index_);
}

TEST(SnapshotStatusTest, IgnoredUnlessTheFollowerIsBeingSentASnapshot) {
  Network net({1, 2, 3});
  net.Campaign(1);
  ASSERT_EQ(ProgressOf(net, 2).state, ProgressState::kReplicate);
  net.node(1).node().ReportSnapshot(2, /*failed=*/true);
  EXPECT_EQ(ProgressOf(net, 2).state, ProgressState::kReplicate);
}

// A storage that is sometimes busy producing a snapshot.
class BusySnapshotStorage : public MemoryStorage {
 public:
  absl::StatusOr<raftpb::Snapshot> GetSnapshot() const override {
    if (busy) return ErrSnapshotTemporarilyUnavailable();
    return MemoryStorage::GetSnapshot();
  }
  bool busy = false;
};

TEST(SnapshotTest, LeaderWaitsWhileTheSnapshotIsTemporarilyUnavailable) {
  const std::vector<uint64_t> voters = {1, 2, 3};
  auto storage = std::make_unique<BusySnapshotStorage>();
  ASSERT_TRUE(storage->ApplySnapshot(MakeSnapshot(1, 1, MakeConfState(voters))).ok());
  storage->SetHardState(NewStorage(voters)->GetInitialState()->hard_state);
  BusySnapshotStorage* leader_storage = storage.get();
  Network net({});
  net.Add(1, std::move(storage));
  net.Add(2, NewStorage(voters));
  net.Add(3, NewStorage(voters));
  net.Campaign(1);
  net.Isolate(3);
  ASSERT_TRUE(net.Propose(1, "x").ok());
  net.node(1).CompactToApplied();
  net.Recover();

  leader_storage->busy = true;
  net.Heartbeat(1);
  EXPECT_EQ(net.CountDelivered(raftpb::MSG_SNAP), 0u);
  EXPECT_NE(ProgressOf(net, 3).state, ProgressState::kSnapshot);

  leader_storage->busy = false;
  net.Heartbeat(1);
  EXPECT_EQ(net.CountDelivered(raftpb::MSG_SNAP), 1u);
  EXPECT_EQ(ProgressOf(net, 3).state, ProgressState::kReplicate);
}

// A follower whose log is (1,1) bootstrap, (2,1), (3,1), with commit as given.
std::unique_ptr<TestNode> Follower(uint64_t commit) {
  auto storage = NewStorage({1, 2});
  EXPECT_TRUE(storage->Append(MakeEntries(2, {1, 1})).ok());
  raftpb::HardState hs;
  hs.set_term(2);
  hs.set_commit(commit);
  storage->SetHardState(hs);
  return std::make_unique<TestNode>(1, std::move(storage));
}

raftpb::Message SnapMsg(uint64_t index, uint64_t term, const raftpb::ConfState& cs) {
  raftpb::Message m = MakeMsg(raftpb::MSG_SNAP, 2, 1, 2);
  *m.mutable_snapshot() = MakeSnapshot(index, term, cs);
  return m;
}

TEST(FollowerSnapshotTest, RestoreReplacesLogAndMembership) {
  auto n = Follower(1);
  ASSERT_TRUE(n->node().Step(SnapMsg(10, 2, MakeConfState({1, 2, 3}, {4}))).ok());
  EXPECT_EQ(n->raft().log().LastIndex(), 10u);
  EXPECT_EQ(n->raft().log().committed(), 10u);
  EXPECT_EQ(n->raft().tracker().VoterNodes(), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(n->raft().tracker().LearnerNodes(), std::vector<uint64_t>{4});

  ASSERT_TRUE(n->node().HasReady());
  Ready rd = n->node().GetReady();
  ASSERT_TRUE(rd.snapshot.has_value());
  EXPECT_EQ(rd.snapshot->metadata().index(), 10u);
  EXPECT_TRUE(rd.committed_entries.empty());
  ASSERT_EQ(rd.messages.size(), 1u);
  EXPECT_EQ(rd.messages[0].type(), raftpb::MSG_APP_RESP);
  EXPECT_EQ(rd.messages[0].index(), 10u);
  ASSERT_TRUE(n->storage().ApplySnapshot(*rd.snapshot).ok());
  n->node().Advance();
  EXPECT_FALSE(n->raft().log().HasPendingSnapshot());
  EXPECT_EQ(n->raft().log().applied(), 10u);
  EXPECT_FALSE(n->node().HasReady());
}

TEST(FollowerSnapshotTest, SnapshotOlderThanTheCommitIsIgnored) {
  auto n = Follower(3);
  ASSERT_TRUE(n->node().Step(SnapMsg(2, 1, MakeConfState({1, 2}))).ok());
  EXPECT_FALSE(n->raft().log().HasPendingSnapshot());
  EXPECT_EQ(n->raft().log().LastIndex(), 3u);
  Ready rd = n->node().GetReady();
  EXPECT_FALSE(rd.snapshot.has_value());
  ASSERT_EQ(rd.messages.size(), 1u);
  EXPECT_EQ(rd.messages[0].index(), 3u);  // the commit, so the leader skips ahead
}

TEST(FollowerSnapshotTest, SnapshotTheLogAlreadyHasOnlyAdvancesTheCommit) {
  auto n = Follower(1);
  ASSERT_TRUE(n->node().Step(SnapMsg(3, 1, MakeConfState({1, 2}))).ok());
  EXPECT_FALSE(n->raft().log().HasPendingSnapshot());
  EXPECT_EQ(n->raft().log().committed(), 3u);
  Ready rd = n->node().GetReady();
  EXPECT_FALSE(rd.snapshot.has_value());
  EXPECT_EQ(rd.committed_entries.size(), 2u);
}

TEST(FollowerSnapshotTest, SnapshotThatDoesNotNameTheMemberIsIgnored) {
  auto n = Follower(1);
  ASSERT_TRUE(n->node().Step(SnapMsg(10, 2, MakeConfState({2, 3}))).ok());
  EXPECT_FALSE(n->raft().log().HasPendingSnapshot());
  EXPECT_EQ(n->raft().log().LastIndex(), 3u);
}

TEST(FollowerSnapshotTest, MemberWithAPendingSnapshotDoesNotCampaign) {
  auto n = Follower(1);
  ASSERT_TRUE(n->node().Step(SnapMsg(10, 2, MakeConfState({1, 2}))).ok());
  ASSERT_TRUE(n->node().Campaign().ok());
  EXPECT_EQ(n->state(), StateType::kFollower);
}

TEST(FollowerSnapshotTest, SnapshotAndFollowingEntriesInOneReady) {
  auto n = Follower(1);
  ASSERT_TRUE(n->node().Step(SnapMsg(10, 2, MakeConfState({1, 2}))).ok());
  raftpb::Message app = MakeMsg(raftpb::MSG_APP, 2, 1, 2);
  app.set_index(10);
  app.set_log_term(2);
  app.set_commit(12);
  for (const auto& e : MakeEntries(11, {2, 2})) {
    *app.add_entries() = e;
  }
  ASSERT_TRUE(n->node().Step(app).ok());
  Ready rd = n->node().GetReady();
  ASSERT_TRUE(rd.snapshot.has_value());
  EXPECT_EQ(rd.entries.size(), 2u);
  ASSERT_EQ(rd.committed_entries.size(), 2u);
  EXPECT_EQ(rd.committed_entries[0].index(), 11u);
  ASSERT_TRUE(n->storage().ApplySnapshot(*rd.snapshot).ok());
  ASSERT_TRUE(n->storage().Append(rd.entries).ok());
  n->node().Advance();
  EXPECT_EQ(n->raft().log().applied(), 12u);
  EXPECT_FALSE(n->raft().log().HasPendingSnapshot());
  EXPECT_TRUE(n->raft().log().UnstableEntries().empty());
  EXPECT_EQ(n->storage().LastIndex(), 12u);
}

}  // namespace
}  // namespace raftkv::raft
