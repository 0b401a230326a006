// Membership changes through the log: learners, promotion, joint consensus, removal.

#include <gtest/gtest.h>

#include "raftkv/raft/errors.h"
#include "tests/raft/test_network.h"

namespace raftkv::raft {
namespace {

using test::ConfChangeOf;
using test::MakeConfChange;
using test::MakeMsg;
using test::Network;
using test::NewStorage;
using test::TestNode;
using Ids = std::vector<uint64_t>;

raftpb::ConfChangeV2 AddLearner(uint64_t id) {
  return MakeConfChange({ConfChangeOf(raftpb::CONF_CHANGE_ADD_LEARNER_NODE, id)});
}
raftpb::ConfChangeV2 AddVoter(uint64_t id) {
  return MakeConfChange({ConfChangeOf(raftpb::CONF_CHANGE_ADD_NODE, id)});
}
raftpb::ConfChangeV2 RemoveMember(uint64_t id) {
  return MakeConfChange({ConfChangeOf(raftpb::CONF_CHANGE_REMOVE_NODE, id)});
}
// Replaces voter 3 with voter 4 through a joint configuration.
raftpb::ConfChangeV2 Replace3With4(raftpb::ConfChangeTransition transition) {
  return MakeConfChange({ConfChangeOf(raftpb::CONF_CHANGE_ADD_NODE, 4),
                         ConfChangeOf(raftpb::CONF_CHANGE_REMOVE_NODE, 3)},
                        transition);
}
raftpb::ConfChangeV2 LeaveJoint() {
  return raftpb::ConfChangeV2();
}

Ids Voters(const raftpb::ConfState& cs) {
  return {cs.voters().begin(), cs.voters().end()};
}
Ids Outgoing(const raftpb::ConfState& cs) {
  return {cs.voters_outgoing().begin(), cs.voters_outgoing().end()};
}
Ids Learners(const raftpb::ConfState& cs) {
  return {cs.learners().begin(), cs.learners().end()};
}

uint64_t Committed(Network& net, uint64_t id) {
  return net.node(id).raft().log().committed();
}

TEST(LearnerTest, JoinsCatchesUpAndIsPromoted) {
  Network net({1, 2, 3});
  net.Campaign(1);
  ASSERT_TRUE(net.Propose(1, "a").ok());
  // The new member starts from the cluster's bootstrap and learns the rest from the log.
  net.Add(4, NewStorage({1, 2, 3}));
  ASSERT_TRUE(net.ProposeConfChange(1, AddLearner(4)).ok());
  ASSERT_TRUE(net.Propose(1, "b").ok());
  for (uint64_t id : {1, 2, 3, 4}) {
    EXPECT_EQ(Learners(net.node(id).conf_state()), Ids{4}) << id;
    EXPECT_EQ(Voters(net.node(id).conf_state()), (Ids{1, 2, 3})) << id;
  }
  EXPECT_EQ(net.node(4).applied_data(), (std::vector<std::string>{"a", "b"}));
  const Progress& pr = net.node(1).raft().tracker().progress.at(4);
  EXPECT_TRUE(pr.is_learner);
  EXPECT_EQ(pr.match, net.node(1).raft().log().LastIndex());

  ASSERT_TRUE(net.ProposeConfChange(1, AddVoter(4)).ok());
  for (uint64_t id : {1, 2, 3, 4}) {
    EXPECT_EQ(Voters(net.node(id).conf_state()), (Ids{1, 2, 3, 4})) << id;
    EXPECT_TRUE(Learners(net.node(id).conf_state()).empty()) << id;
  }
  EXPECT_FALSE(net.node(1).raft().tracker().progress.at(4).is_learner);
}

TEST(LearnerTest, DoesNotCountTowardsCommitUntilPromoted) {
  Network net({1, 2}, {3}, {});
  net.Campaign(1);
  net.Isolate(2);
  const uint64_t before = Committed(net, 1);
  ASSERT_TRUE(net.Propose(1, "x").ok());
  // The learner has the entry, but the only voters are 1 and the unreachable 2.
  EXPECT_EQ(net.node(1).raft().tracker().progress.at(3).match,
            net.node(1).raft().log().LastIndex());
  EXPECT_EQ(Committed(net, 1), before);

  net.Recover();
  net.Heartbeat(1);
  ASSERT_TRUE(net.ProposeConfChange(1, AddVoter(3)).ok());
  ASSERT_EQ(Voters(net.node(1).conf_state()), (Ids{1, 2, 3}));
  net.Isolate(2);
  ASSERT_TRUE(net.Propose(1, "y").ok());
  EXPECT_EQ(Committed(net, 1), net.node(1).raft().log().LastIndex());
  EXPECT_EQ(net.node(3).applied_data().back(), "y");
}

TEST(LearnerTest, NeverCampaigns) {
  Network net({1, 2, 3}, {4}, {});
  net.Tick(4, 100);
  ASSERT_TRUE(net.node(4).node().Campaign().ok());
  net.Flush(4);
  EXPECT_EQ(net.node(4).state(), StateType::kFollower);
  EXPECT_EQ(net.node(4).term(), test::kBootstrapTerm);
  EXPECT_TRUE(net.delivered().empty());
  // Not even when told to by a leader handing over leadership.
  net.Send(MakeMsg(raftpb::MSG_TIMEOUT_NOW, 1, 4, test::kBootstrapTerm));
  EXPECT_EQ(net.node(4).state(), StateType::kFollower);
}

TEST(LearnerTest, IsNotAskedToVoteAndItsVoteDoesNotCount) {
  Network net({1, 2, 3}, {4}, {});
  ASSERT_TRUE(net.node(1).node().Campaign().ok());
  for (const auto& m : net.node(1).ProcessReady()) {
    EXPECT_NE(m.to(), 4u);
  }
  const uint64_t term = net.node(1).term();
  ASSERT_TRUE(net.node(1).node().Step(MakeMsg(raftpb::MSG_VOTE_RESP, 4, 1, term)).ok());
  EXPECT_EQ(net.node(1).state(), StateType::kCandidate);
  ASSERT_TRUE(net.node(1).node().Step(MakeMsg(raftpb::MSG_VOTE_RESP, 2, 1, term)).ok());
  EXPECT_EQ(net.node(1).state(), StateType::kLeader);
}

TEST(LearnerTest, JoinsThroughASnapshotWhenTheLogWasCompacted) {
  Network net({1, 2, 3});
  net.Campaign(1);
  ASSERT_TRUE(net.Propose(1, "a").ok());
  // A member with nothing at all: it can only start from a snapshot that names it.
  net.Add(4, std::make_unique<MemoryStorage>());
  net.Isolate(4);
  ASSERT_TRUE(net.ProposeConfChange(1, AddLearner(4)).ok());
  net.node(1).CompactToApplied();
  net.Recover();
  net.Heartbeat(1);
  EXPECT_EQ(net.node(4).installed_snapshots().size(), 1u);
  EXPECT_EQ(Learners(net.node(4).conf_state()), Ids{4});
  ASSERT_TRUE(net.Propose(1, "b").ok());
  EXPECT_EQ(net.node(4).applied_data(), std::vector<std::string>{"b"});
}

class JointConsensusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    net_.Add(4, NewStorage({1, 2, 3}));
    net_.Campaign(1);
  }

  Network net_{{1, 2, 3}};
};

TEST_F(JointConsensusTest, AutoLeaveFinishesTheChange) {
  ASSERT_TRUE(net_.ProposeConfChange(1, Replace3With4(raftpb::CONF_CHANGE_TRANSITION_AUTO)).ok());
  for (uint64_t id : {1, 2, 4}) {
    const auto& results = net_.node(id).conf_change_results();
    // Entering the joint config, then the leader's automatic leave.
    ASSERT_EQ(results.size(), 2u) << id;
    EXPECT_TRUE(results[0].ok() && results[1].ok()) << id;
    EXPECT_EQ(Voters(net_.node(id).conf_state()), (Ids{1, 2, 4})) << id;
    EXPECT_TRUE(Outgoing(net_.node(id).conf_state()).empty()) << id;
  }
  EXPECT_FALSE(net_.node(1).raft().tracker().progress.contains(3));
  // The new configuration commits without 3.
  net_.Isolate(3);
  ASSERT_TRUE(net_.Propose(1, "x").ok());
  EXPECT_EQ(net_.node(4).applied_data(), std::vector<std::string>{"x"});
}

TEST_F(JointConsensusTest, ExplicitJointStaysUntilLeft) {
  ASSERT_TRUE(
      net_.ProposeConfChange(1, Replace3With4(raftpb::CONF_CHANGE_TRANSITION_JOINT_EXPLICIT)).ok());
  EXPECT_EQ(Voters(net_.node(1).conf_state()), (Ids{1, 2, 4}));
  EXPECT_EQ(Outgoing(net_.node(1).conf_state()), (Ids{1, 2, 3}));
  net_.TickAll(30);
  EXPECT_EQ(Outgoing(net_.node(1).conf_state()), (Ids{1, 2, 3}));

  // No other change may start from a joint configuration.
  EXPECT_TRUE(IsProposalDropped(net_.ProposeConfChange(1, AddLearner(5))));

  ASSERT_TRUE(net_.ProposeConfChange(1, LeaveJoint()).ok());
  for (uint64_t id : {1, 2, 4}) {
    EXPECT_EQ(Voters(net_.node(id).conf_state()), (Ids{1, 2, 4})) << id;
    EXPECT_TRUE(Outgoing(net_.node(id).conf_state()).empty()) << id;
  }
  // Leaving is refused when not joint.
  EXPECT_TRUE(IsProposalDropped(net_.ProposeConfChange(1, LeaveJoint())));
}

TEST_F(JointConsensusTest, CommitNeedsAMajorityOfBothConfigs) {
  ASSERT_TRUE(
      net_.ProposeConfChange(1, Replace3With4(raftpb::CONF_CHANGE_TRANSITION_JOINT_EXPLICIT)).ok());
  const uint64_t before = Committed(net_, 1);
  // 1 and 4 are a majority of the incoming {1,2,4} but not of the outgoing {1,2,3}.
  net_.Isolate(2);
  net_.Isolate(3);
  ASSERT_TRUE(net_.Propose(1, "x").ok());
  const uint64_t x_index = net_.node(1).raft().log().LastIndex();
  EXPECT_EQ(Committed(net_, 1), before);

  // 1 and 3 are a majority of the outgoing but not of the incoming. Only x, which 4 also
  // has, is now on a majority of both.
  net_.Recover();
  net_.Isolate(2);
  net_.Isolate(4);
  ASSERT_TRUE(net_.Propose(1, "y").ok());
  net_.Heartbeat(1);
  EXPECT_EQ(Committed(net_, 1), x_index);

  // 1 and 2 are a majority of both.
  net_.Recover();
  net_.Isolate(3);
  net_.Isolate(4);
  net_.Heartbeat(1);
  EXPECT_EQ(Committed(net_, 1), x_index + 1);
}

TEST(ConfChangeProposalTest, OnlyOneChangeMayBePending) {
  Network net({1, 2, 3});
  net.Campaign(1);
  RawNode& leader = net.node(1).node();
  ASSERT_TRUE(leader.ProposeConfChange(AddLearner(4)).ok());
  EXPECT_TRUE(IsProposalDropped(leader.ProposeConfChange(AddLearner(5))));
  // Ordinary proposals are unaffected.
  EXPECT_TRUE(leader.Propose("x").ok());

  net.Flush(1);
  ASSERT_EQ(Learners(net.node(1).conf_state()), Ids{4});
  ASSERT_TRUE(net.ProposeConfChange(1, AddLearner(5)).ok());
  EXPECT_EQ(Learners(net.node(1).conf_state()), (Ids{4, 5}));
}

TEST(ConfChangeProposalTest, NewLeaderRefusesChangesUntilItsLogIsApplied) {
  // The log holds two committed-but-unapplied entries that might be membership changes.
  auto storage = NewStorage({1});
  ASSERT_TRUE(storage->Append(test::MakeEntries(2, {1, 1})).ok());
  TestNode n(1, std::move(storage));
  ASSERT_TRUE(n.node().Campaign().ok());
  ASSERT_EQ(n.state(), StateType::kLeader);
  EXPECT_TRUE(IsProposalDropped(n.node().ProposeConfChange(AddLearner(2))));
  n.ProcessReady();
  EXPECT_EQ(n.applied_index(), n.raft().log().LastIndex());
  EXPECT_TRUE(n.node().ProposeConfChange(AddLearner(2)).ok());
}

TEST(RemoveMemberTest, RemovedVoterNoLongerCounts) {
  Network net({1, 2, 3});
  net.Campaign(1);
  ASSERT_TRUE(net.ProposeConfChange(1, RemoveMember(3)).ok());
  EXPECT_EQ(Voters(net.node(1).conf_state()), (Ids{1, 2}));
  EXPECT_FALSE(net.node(1).raft().tracker().progress.contains(3));
  // Its responses are refused.
  raftpb::Message resp = MakeMsg(raftpb::MSG_APP_RESP, 3, 1, net.node(1).term());
  EXPECT_FALSE(net.node(1).node().Step(resp).ok());

  net.Isolate(3);
  ASSERT_TRUE(net.Propose(1, "x").ok());
  EXPECT_EQ(net.node(2).applied_data(), std::vector<std::string>{"x"});
  // With two voters, both are needed.
  net.Recover();
  net.Isolate(2);
  const uint64_t before = Committed(net, 1);
  ASSERT_TRUE(net.Propose(1, "y").ok());
  EXPECT_EQ(Committed(net, 1), before);
}

TEST(RemoveMemberTest, LeaderRemovingItselfStepsDownAndTheOthersGoOn) {
  Network net({1, 2, 3});
  net.Campaign(1);
  ASSERT_TRUE(net.ProposeConfChange(1, RemoveMember(1)).ok());
  EXPECT_NE(net.node(1).state(), StateType::kLeader);
  for (int round = 0; round < 30 && net.Leader() == kNone; ++round) {
    net.TickAll();
  }
  const uint64_t leader = net.Leader();
  ASSERT_TRUE(leader == 2 || leader == 3) << leader;
  EXPECT_EQ(Voters(net.node(leader).conf_state()), (Ids{2, 3}));

  ASSERT_TRUE(net.Propose(leader, "after").ok());
  EXPECT_EQ(net.node(2).applied_data(), std::vector<std::string>{"after"});
  EXPECT_EQ(net.node(3).applied_data(), std::vector<std::string>{"after"});
  // The removed member stays quiet.
  net.Tick(1, 100);
  EXPECT_NE(net.node(1).state(), StateType::kLeader);
  EXPECT_EQ(net.Leader(), leader);
}

TEST(ApplyConfChangeTest, InvalidChangeFailsAndChangesNothing) {
  TestNode n(1, NewStorage({1}));
  const TrackerConfig before = n.raft().tracker().config;
  // Leaving a joint configuration that does not exist.
  EXPECT_FALSE(n.node().ApplyConfChange(LeaveJoint()).ok());
  // Removing the only voter.
  EXPECT_FALSE(n.node().ApplyConfChange(RemoveMember(1)).ok());
  EXPECT_EQ(n.raft().tracker().config, before);

  ASSERT_TRUE(n.node()
                  .ApplyConfChange(MakeConfChange({ConfChangeOf(raftpb::CONF_CHANGE_ADD_NODE, 2)},
                                                  raftpb::CONF_CHANGE_TRANSITION_JOINT_EXPLICIT))
                  .ok());
  const TrackerConfig joint = n.raft().tracker().config;
  ASSERT_TRUE(joint.voters.joint());
  // Entering joint again, or a simple change while joint.
  EXPECT_FALSE(n.node()
                   .ApplyConfChange(MakeConfChange({ConfChangeOf(raftpb::CONF_CHANGE_ADD_NODE, 3)},
                                                   raftpb::CONF_CHANGE_TRANSITION_JOINT_EXPLICIT))
                   .ok());
  EXPECT_FALSE(n.node().ApplyConfChange(AddVoter(3)).ok());
  EXPECT_EQ(n.raft().tracker().config, joint);
  EXPECT_EQ(n.node().GetStatus().config, joint);
}

TEST(RemoveMemberTest, LeaderReplacedThroughJointConsensusLeadsUntilTheEnd) {
  Network net({1, 2, 3});
  net.Add(4, NewStorage({1, 2, 3}));
  net.Campaign(1);
  ASSERT_TRUE(
      net.ProposeConfChange(1, MakeConfChange({ConfChangeOf(raftpb::CONF_CHANGE_ADD_NODE, 4),
                                               ConfChangeOf(raftpb::CONF_CHANGE_REMOVE_NODE, 1)}))
          .ok());
  // 1 led the joint configuration (it is still in the outgoing half) and left it.
  EXPECT_EQ(net.node(1).conf_change_results().size(), 2u);
  EXPECT_NE(net.node(1).state(), StateType::kLeader);
  for (int round = 0; round < 30 && net.Leader() == kNone; ++round) {
    net.TickAll();
  }
  const uint64_t leader = net.Leader();
  ASSERT_NE(leader, kNone);
  ASSERT_NE(leader, 1u);
  EXPECT_EQ(Voters(net.node(leader).conf_state()), (Ids{2, 3, 4}));
  ASSERT_TRUE(net.Propose(leader, "x").ok());
  EXPECT_EQ(net.node(4).applied_data(), std::vector<std::string>{"x"});
}

TEST(RemoveMemberTest, DemotedLeaderStepsDownAndKeepsFollowingAsALearner) {
  Network net({1, 2, 3});
  net.Campaign(1);
  ASSERT_TRUE(net.ProposeConfChange(1, AddLearner(1)).ok());
  EXPECT_NE(net.node(1).state(), StateType::kLeader);
  for (int round = 0; round < 30 && net.Leader() == kNone; ++round) {
    net.TickAll();
  }
  const uint64_t leader = net.Leader();
  ASSERT_TRUE(leader == 2 || leader == 3) << leader;
  EXPECT_EQ(Learners(net.node(leader).conf_state()), Ids{1});
  ASSERT_TRUE(net.Propose(leader, "x").ok());
  EXPECT_EQ(net.node(1).applied_data(), std::vector<std::string>{"x"});
}

}  // namespace
}  // namespace raftkv::raft
