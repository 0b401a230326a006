// Leadership transfer: TimeoutNow to a caught-up voter, waiting for a lagging one, refusals
// and the election-timeout abort.

#include <gtest/gtest.h>

#include "raftkv/raft/errors.h"
#include "tests/raft/test_network.h"

namespace raftkv::raft {
namespace {

using test::ConfChangeOf;
using test::MakeConfChange;
using test::Network;

constexpr int kElectionTick = 10;

uint64_t Transferee(Network& net, uint64_t leader) {
  return net.node(leader).raft().lead_transferee();
}

class LeaderTransferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    net_.Campaign(1);
    ASSERT_EQ(net_.Leader(), 1u);
    term_ = net_.node(1).term();
  }

  Network net_{{1, 2, 3}};
  uint64_t term_ = 0;
};

TEST_F(LeaderTransferTest, ToAnUpToDateFollower) {
  net_.TransferLeader(1, 2);
  EXPECT_EQ(net_.Leader(), 2u);
  EXPECT_EQ(net_.node(2).term(), term_ + 1);
  EXPECT_EQ(net_.node(1).state(), StateType::kFollower);
  EXPECT_EQ(net_.node(1).raft().lead(), 2u);
  EXPECT_EQ(Transferee(net_, 2), kNone);
  EXPECT_EQ(net_.CountDelivered(raftpb::MSG_TIMEOUT_NOW, 1, 2), 1u);
}

TEST_F(LeaderTransferTest, RequestedOnAFollowerIsForwardedToTheLeader) {
  net_.TransferLeader(2, 2);
  EXPECT_EQ(net_.Leader(), 2u);
}

TEST_F(LeaderTransferTest, ToALaggingFollowerWaitsUntilItCatchesUp) {
  net_.Isolate(3);
  ASSERT_TRUE(net_.Propose(1, "x").ok());
  net_.Recover();
  net_.SetFilter([](const raftpb::Message& m) { return m.type() != raftpb::MSG_APP; });
  net_.ClearDelivered();

  net_.TransferLeader(1, 3);
  EXPECT_EQ(Transferee(net_, 1), 3u);
  EXPECT_EQ(net_.Leader(), 1u);
  EXPECT_EQ(net_.CountDelivered(raftpb::MSG_TIMEOUT_NOW), 0u);

  net_.Recover();
  net_.Heartbeat(1);
  EXPECT_EQ(net_.Leader(), 3u);
  EXPECT_EQ(net_.node(3).applied_data(), std::vector<std::string>{"x"});
}

TEST_F(LeaderTransferTest, ProposalsAreDroppedWhileTransferring) {
  net_.Isolate(3);
  net_.TransferLeader(1, 3);
  ASSERT_EQ(Transferee(net_, 1), 3u);
  EXPECT_TRUE(IsProposalDropped(net_.Propose(1, "x")));
}

TEST_F(LeaderTransferTest, AbortedAfterAnElectionTimeout) {
  net_.Isolate(3);
  net_.TransferLeader(1, 3);
  net_.Tick(1, kElectionTick - 1);
  EXPECT_EQ(Transferee(net_, 1), 3u);
  net_.Tick(1);
  EXPECT_EQ(Transferee(net_, 1), kNone);
  EXPECT_EQ(net_.Leader(), 1u);
  EXPECT_TRUE(net_.Propose(1, "x").ok());
}

TEST_F(LeaderTransferTest, RepeatedRequestDoesNotExtendTheDeadline) {
  net_.Isolate(3);
  net_.TransferLeader(1, 3);
  net_.Tick(1, kElectionTick / 2);
  net_.TransferLeader(1, 3);
  net_.Tick(1, kElectionTick - kElectionTick / 2);
  EXPECT_EQ(Transferee(net_, 1), kNone);
}

TEST_F(LeaderTransferTest, NewRequestReplacesAPendingOne) {
  net_.Isolate(3);
  net_.TransferLeader(1, 3);
  net_.TransferLeader(1, 2);
  EXPECT_EQ(net_.Leader(), 2u);
}

TEST_F(LeaderTransferTest, ToSelfOrAnUnknownMemberIsIgnored) {
  net_.TransferLeader(1, 1);
  EXPECT_EQ(Transferee(net_, 1), kNone);
  net_.TransferLeader(1, 9);
  EXPECT_EQ(Transferee(net_, 1), kNone);
  EXPECT_EQ(net_.Leader(), 1u);
  EXPECT_EQ(net_.node(1).term(), term_);
}

TEST_F(LeaderTransferTest, RemovingTheTransfereeAbortsTheTransfer) {
  net_.Isolate(3);
  net_.TransferLeader(1, 3);
  ASSERT_EQ(Transferee(net_, 1), 3u);
  auto cs = net_.node(1).node().ApplyConfChange(
      MakeConfChange({ConfChangeOf(raftpb::CONF_CHANGE_REMOVE_NODE, 3)}));
  ASSERT_TRUE(cs.ok());
  EXPECT_EQ(Transferee(net_, 1), kNone);
}

TEST(LeaderTransferToLearnerTest, IsRefused) {
  Network net({1, 2, 3}, {4}, {});
  net.Campaign(1);
  net.TransferLeader(1, 4);
  EXPECT_EQ(net.node(1).raft().lead_transferee(), kNone);
  EXPECT_EQ(net.Leader(), 1u);
  EXPECT_EQ(net.CountDelivered(raftpb::MSG_TIMEOUT_NOW), 0u);
}

TEST(LeaderTransferWithPreVoteTest, SkipsThePreVote) {
  Network net({1, 2, 3}, [](Config& c) {
    c.pre_vote = true;
    c.check_quorum = true;
  });
  net.Campaign(1);
  net.ClearDelivered();
  net.TransferLeader(1, 3);
  EXPECT_EQ(net.Leader(), 3u);
  EXPECT_EQ(net.CountDelivered(raftpb::MSG_PRE_VOTE), 0u);
}

}  // namespace
}  // namespace raftkv::raft
