// Proposals: forwarding, refusal without a leader, batching and the uncommitted-size limit.

#include <gtest/gtest.h>

#include "raftkv/raft/errors.h"
#include "tests/raft/test_network.h"

namespace raftkv::raft {
namespace {

using test::Network;

TEST(ProposalTest, LeaderAppendsAndEveryoneApplies) {
  Network net({1, 2, 3});
  net.Campaign(1);
  ASSERT_TRUE(net.Propose(1, "a").ok());
  for (uint64_t id : {1, 2, 3}) {
    EXPECT_EQ(net.node(id).applied_data(), std::vector<std::string>{"a"}) << id;
  }
}

TEST(ProposalTest, FollowerForwardsToTheLeader) {
  Network net({1, 2, 3});
  net.Campaign(1);
  ASSERT_TRUE(net.Propose(2, "from-2").ok());
  EXPECT_EQ(net.CountDelivered(raftpb::MSG_PROP, 2, 1), 1u);
  for (uint64_t id : {1, 2, 3}) {
    EXPECT_EQ(net.node(id).applied_data(), std::vector<std::string>{"from-2"}) << id;
  }
}

TEST(ProposalTest, DroppedWithoutALeader) {
  Network net({1, 2, 3});
  EXPECT_TRUE(IsProposalDropped(net.Propose(1, "x")));
  // A candidate does not know a leader either.
  ASSERT_TRUE(net.node(1).node().Campaign().ok());
  ASSERT_EQ(net.node(1).state(), StateType::kCandidate);
  EXPECT_TRUE(IsProposalDropped(net.node(1).node().Propose("x")));
  EXPECT_EQ(net.node(1).raft().log().LastIndex(), test::kBootstrapIndex);
}

TEST(ProposalTest, DroppedByAFollowerWhenForwardingIsDisabled) {
  Network net({1, 2, 3}, [](Config& c) { c.disable_proposal_forwarding = true; });
  net.Campaign(1);
  EXPECT_TRUE(IsProposalDropped(net.Propose(2, "x")));
  EXPECT_EQ(net.CountDelivered(raftpb::MSG_PROP), 0u);
  EXPECT_TRUE(net.Propose(1, "y").ok());
}

TEST(ProposalTest, ABatchIsOneAppendPerFollower) {
  Network net({1, 2, 3});
  net.Campaign(1);
  net.ClearDelivered();
  constexpr int kBatch = 100;
  std::vector<std::string> batch;
  for (int i = 0; i < kBatch; ++i) {
    batch.push_back("p" + std::to_string(i));
  }
  ASSERT_TRUE(net.node(1).node().Propose(std::move(batch)).ok());
  // The leader persists the whole batch at once.
  Ready rd = net.node(1).node().GetReady();
  EXPECT_EQ(rd.entries.size(), static_cast<size_t>(kBatch));
  EXPECT_TRUE(rd.must_sync);
  ASSERT_TRUE(net.node(1).storage().Append(rd.entries).ok());
  net.node(1).node().Advance();
  net.Send(std::move(rd.messages));
  net.Flush(1);

  for (uint64_t follower : {2, 3}) {
    size_t appends = 0;
    for (const auto& m : net.delivered()) {
      if (m.type() != raftpb::MSG_APP || m.to() != follower || m.entries_size() == 0) continue;
      ++appends;
      EXPECT_EQ(m.entries_size(), kBatch);
    }
    EXPECT_EQ(appends, 1u) << follower;
    EXPECT_EQ(net.node(follower).applied_data().size(), static_cast<size_t>(kBatch));
  }
}

TEST(ProposalTest, UncommittedSizeLimitRefusesProposals) {
  Network net({1, 2, 3}, [](Config& c) { c.max_uncommitted_entries_size = 1000; });
  net.Campaign(1);
  net.Isolate(1);
  const std::string half(500, 'x');
  EXPECT_TRUE(net.Propose(1, half).ok());
  EXPECT_TRUE(net.Propose(1, half).ok());
  EXPECT_TRUE(IsProposalDropped(net.Propose(1, "one byte too many")));
  // Proposals without payload do not count.
  EXPECT_TRUE(net.Propose(1, "").ok());

  // Once the uncommitted entries commit, there is room again.
  net.Recover();
  net.Heartbeat(1);
  ASSERT_EQ(net.node(2).applied_data().size(), 2u);
  EXPECT_TRUE(net.Propose(1, half).ok());
}

TEST(ProposalTest, AnOversizedProposalPassesWhenNothingIsUncommitted) {
  Network net({1, 2, 3}, [](Config& c) { c.max_uncommitted_entries_size = 100; });
  net.Campaign(1);
  net.Isolate(1);
  // Otherwise an entry larger than the limit could never be proposed.
  EXPECT_TRUE(net.Propose(1, std::string(1000, 'x')).ok());
  EXPECT_TRUE(IsProposalDropped(net.Propose(1, "y")));
}

TEST(ProposalTest, LearnerForwardsToTheLeader) {
  Network net({1, 2}, {3}, {});
  net.Campaign(1);
  ASSERT_TRUE(net.Propose(3, "from-learner").ok());
  EXPECT_EQ(net.node(1).applied_data(), std::vector<std::string>{"from-learner"});
}

}  // namespace
}  // namespace raftkv::raft
