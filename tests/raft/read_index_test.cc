// Linearizable reads: ReadIndex on the leader and through followers, batching of concurrent
// reads into shared heartbeat rounds, and lease-based reads.

#include <gtest/gtest.h>

#include "tests/raft/test_network.h"

namespace raftkv::raft {
namespace {

using test::DefaultConfig;
using test::Network;
using test::NewStorage;

void LeaseReads(Config& c) {
  c.check_quorum = true;
  c.read_only_option = ReadOnlyOption::kLeaseBased;
}

uint64_t Committed(Network& net, uint64_t id) {
  return net.node(id).raft().log().committed();
}

size_t CountHeartbeatsWithContext(const Network& net) {
  size_t n = 0;
  for (const auto& m : net.delivered()) {
    n += m.type() == raftpb::MSG_HEARTBEAT && !m.context().empty() ? 1 : 0;
  }
  return n;
}

TEST(ReadIndexTest, OnTheLeaderAfterAHeartbeatRound) {
  Network net({1, 2, 3});
  net.Campaign(1);
  net.ClearDelivered();
  net.ReadIndex(1, "ctx");
  ASSERT_EQ(net.node(1).read_states().size(), 1u);
  EXPECT_EQ(net.node(1).read_states()[0].request_ctx, "ctx");
  EXPECT_EQ(net.node(1).read_states()[0].index, Committed(net, 1));
  EXPECT_EQ(CountHeartbeatsWithContext(net), 2u);
}

TEST(ReadIndexTest, NotAnsweredWithoutAQuorumOfAcks) {
  Network net({1, 2, 3});
  net.Campaign(1);
  net.Isolate(1);
  net.ReadIndex(1, "ctx");
  EXPECT_TRUE(net.node(1).read_states().empty());
  // One ack is enough for a quorum of three with the leader's own.
  net.Recover();
  net.Cut(1, 3);
  net.Heartbeat(1);
  ASSERT_EQ(net.node(1).read_states().size(), 1u);
}

TEST(ReadIndexTest, OnAFollowerIsForwardedToTheLeader) {
  Network net({1, 2, 3});
  net.Campaign(1);
  ASSERT_TRUE(net.Propose(1, "x").ok());
  net.ReadIndex(2, "ctx");
  ASSERT_EQ(net.node(2).read_states().size(), 1u);
  EXPECT_EQ(net.node(2).read_states()[0].request_ctx, "ctx");
  EXPECT_EQ(net.node(2).read_states()[0].index, Committed(net, 1));
  EXPECT_TRUE(net.node(1).read_states().empty());
  EXPECT_EQ(net.CountDelivered(raftpb::MSG_READ_INDEX, 2, 1), 1u);
}

TEST(ReadIndexTest, FollowerWithoutALeaderDropsTheRequest) {
  Network net({1, 2, 3});
  net.ReadIndex(2, "ctx");
  EXPECT_TRUE(net.node(2).read_states().empty());
  EXPECT_TRUE(net.delivered().empty());
}

TEST(ReadIndexTest, ConcurrentReadsShareHeartbeatRounds) {
  Network net({1, 2, 3});
  net.Campaign(1);
  net.ClearDelivered();
  constexpr int kReads = 100;
  for (int i = 0; i < kReads; ++i) {
    net.node(1).node().ReadIndex("leader-" + std::to_string(i));
  }
  net.Flush(1);
  EXPECT_EQ(net.node(1).read_states().size(), static_cast<size_t>(kReads));
  // One round for the first read and one for all that queued behind it.
  EXPECT_LE(net.CountDelivered(raftpb::MSG_HEARTBEAT), 4u);

  net.ClearDelivered();
  for (int i = 0; i < kReads; ++i) {
    net.node(2).node().ReadIndex("f2-" + std::to_string(i));
    net.node(3).node().ReadIndex("f3-" + std::to_string(i));
  }
  net.Flush(2);
  net.Flush(3);
  EXPECT_EQ(net.node(2).read_states().size(), static_cast<size_t>(kReads));
  EXPECT_EQ(net.node(3).read_states().size(), static_cast<size_t>(kReads));
  EXPECT_LE(net.CountDelivered(raftpb::MSG_HEARTBEAT), 8u);
  for (const auto& rs : net.node(3).read_states()) {
    EXPECT_EQ(rs.index, Committed(net, 1));
  }
}

TEST(ReadIndexTest, DeferredUntilTheLeaderCommitsAnEntryOfItsTerm) {
  Network net({1, 2, 3});
  // The new leader's first entry cannot commit while acknowledgements are lost.
  net.DropType(raftpb::MSG_APP_RESP);
  net.Campaign(1);
  ASSERT_EQ(net.Leader(), 1u);
  ASSERT_LT(Committed(net, 1), net.node(1).raft().log().LastIndex());
  net.ClearDelivered();
  net.ReadIndex(1, "early");
  // Its commit index might be stale: it does not even start a heartbeat round.
  EXPECT_TRUE(net.node(1).read_states().empty());
  EXPECT_EQ(CountHeartbeatsWithContext(net), 0u);

  net.Recover();
  net.Heartbeat(1);
  ASSERT_EQ(net.node(1).read_states().size(), 1u);
  const ReadState& rs = net.node(1).read_states()[0];
  EXPECT_EQ(rs.request_ctx, "early");
  EXPECT_EQ(rs.index, Committed(net, 1));
  EXPECT_EQ(*net.node(1).raft().log().Term(rs.index), net.node(1).term());
}

TEST(ReadIndexTest, SingleMemberAnswersAtOnce) {
  Network net({1});
  net.Campaign(1);
  net.ReadIndex(1, "ctx");
  ASSERT_EQ(net.node(1).read_states().size(), 1u);
  EXPECT_EQ(net.node(1).read_states()[0].index, Committed(net, 1));
}

TEST(LeaseReadTest, AnsweredWithoutAHeartbeatRound) {
  Network net({1, 2, 3}, LeaseReads);
  net.Campaign(1);
  net.Isolate(1);
  net.ReadIndex(1, "lease");
  ASSERT_EQ(net.node(1).read_states().size(), 1u);
  EXPECT_EQ(net.node(1).read_states()[0].index, Committed(net, 1));

  net.Recover();
  net.ClearDelivered();
  net.ReadIndex(2, "forwarded");
  ASSERT_EQ(net.node(2).read_states().size(), 1u);
  EXPECT_EQ(net.CountDelivered(raftpb::MSG_HEARTBEAT), 0u);
}

TEST(LeaseReadTest, ConfigRefusesLeaseReadsWithoutCheckQuorum) {
  auto storage = NewStorage({1});
  Config c = DefaultConfig(1, storage.get());
  c.read_only_option = ReadOnlyOption::kLeaseBased;
  EXPECT_FALSE(c.Validate().ok());
  EXPECT_FALSE(RawNode::Create(c).ok());
  c.check_quorum = true;
  EXPECT_TRUE(c.Validate().ok());
}

TEST(ReadIndexTest, LostWithLeadership) {
  Network net({1, 2, 3});
  net.Campaign(1);
  net.DropType(raftpb::MSG_HEARTBEAT);
  net.ReadIndex(1, "ctx");
  ASSERT_TRUE(net.node(1).read_states().empty());
  net.Campaign(2);
  ASSERT_EQ(net.Leader(), 2u);
  net.Recover();
  net.Heartbeat(2);
  // The old leader cannot answer any more; the host has to retry.
  EXPECT_TRUE(net.node(1).read_states().empty());
  EXPECT_EQ(net.CountDelivered(raftpb::MSG_READ_INDEX_RESP), 0u);
}

}  // namespace
}  // namespace raftkv::raft
