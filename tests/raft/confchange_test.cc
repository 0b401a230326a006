#include "raftkv/raft/confchange.h"

#include <gtest/gtest.h>

#include "tests/raft/test_network.h"

namespace raftkv::raft {
namespace {

using test::ConfChangeOf;
using test::MakeConfState;
using Changes = google::protobuf::RepeatedPtrField<raftpb::ConfChangeSingle>;
using Ids = std::vector<uint64_t>;

constexpr uint64_t kLastIndex = 10;

Changes Of(std::vector<raftpb::ConfChangeSingle> ccs) {
  Changes out;
  for (auto& cc : ccs) {
    *out.Add() = std::move(cc);
  }
  return out;
}

raftpb::ConfChangeSingle AddVoter(uint64_t id) {
  return ConfChangeOf(raftpb::CONF_CHANGE_ADD_NODE, id);
}
raftpb::ConfChangeSingle AddLearner(uint64_t id) {
  return ConfChangeOf(raftpb::CONF_CHANGE_ADD_LEARNER_NODE, id);
}
raftpb::ConfChangeSingle Remove(uint64_t id) {
  return ConfChangeOf(raftpb::CONF_CHANGE_REMOVE_NODE, id);
}

ProgressTracker TrackerOf(const raftpb::ConfState& cs) {
  ProgressTracker t(256, 0);
  absl::Status s = RestoreConfState(t, kLastIndex, cs);
  EXPECT_TRUE(s.ok()) << s;
  return t;
}

// Installs a change's result into the tracker, as Raft::SwitchToConfig does.
void Install(ProgressTracker& t, const absl::StatusOr<ConfigAndProgress>& r) {
  ASSERT_TRUE(r.ok()) << r.status();
  t.config = r->first;
  t.progress = r->second;
}

Ids Voters(const ProgressTracker& t) {
  return t.config.voters.incoming.Slice();
}
Ids Outgoing(const ProgressTracker& t) {
  return t.config.voters.outgoing.Slice();
}
Ids Learners(const ProgressTracker& t) {
  return {t.config.learners.begin(), t.config.learners.end()};
}
Ids ProgressIds(const ProgressTracker& t) {
  Ids out;
  for (const auto& [id, pr] : t.progress) {
    out.push_back(id);
  }
  return out;
}

TEST(ChangerTest, SimpleAddsAVoterWithFreshProgress) {
  ProgressTracker t = TrackerOf(MakeConfState({1}));
  Install(t, Changer(t, kLastIndex).Simple(Of({AddVoter(2)})));
  EXPECT_EQ(Voters(t), (Ids{1, 2}));
  const Progress& pr = t.progress.at(2);
  EXPECT_EQ(pr.match, 0u);
  EXPECT_EQ(pr.next, kLastIndex);
  // A new member counts as active so CheckQuorum does not depose the leader at once.
  EXPECT_TRUE(pr.recent_active);
  EXPECT_FALSE(pr.is_learner);
}

TEST(ChangerTest, SimpleRefusesChangingTwoVoters) {
  ProgressTracker t = TrackerOf(MakeConfState({1}));
  auto r = Changer(t, kLastIndex).Simple(Of({AddVoter(2), AddVoter(3)}));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(Voters(t), (Ids{1}));
  // Adding one voter and a learner changes only one voter.
  EXPECT_TRUE(Changer(t, kLastIndex).Simple(Of({AddVoter(2), AddLearner(3)})).ok());
}

TEST(ChangerTest, SimplePromotesAndDemotesKeepingProgress) {
  ProgressTracker t = TrackerOf(MakeConfState({1, 2, 3}, {4}));
  t.progress.at(4).match = 7;
  Install(t, Changer(t, kLastIndex).Simple(Of({AddVoter(4)})));
  EXPECT_EQ(Voters(t), (Ids{1, 2, 3, 4}));
  EXPECT_TRUE(Learners(t).empty());
  EXPECT_EQ(t.progress.at(4).match, 7u);
  EXPECT_FALSE(t.progress.at(4).is_learner);

  t.progress.at(3).match = 9;
  Install(t, Changer(t, kLastIndex).Simple(Of({AddLearner(3)})));
  EXPECT_EQ(Voters(t), (Ids{1, 2, 4}));
  EXPECT_EQ(Learners(t), (Ids{3}));
  EXPECT_EQ(t.progress.at(3).match, 9u);
  EXPECT_TRUE(t.progress.at(3).is_learner);
}

TEST(ChangerTest, RemovingTheLastVoterIsRefused) {
  ProgressTracker t = TrackerOf(MakeConfState({1}));
  auto r = Changer(t, kLastIndex).Simple(Of({Remove(1)}));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(Voters(t), (Ids{1}));
}

TEST(ChangerTest, RemovingAnUnknownMemberChangesNothing) {
  ProgressTracker t = TrackerOf(MakeConfState({1, 2}));
  Install(t, Changer(t, kLastIndex).Simple(Of({Remove(9)})));
  EXPECT_EQ(Voters(t), (Ids{1, 2}));
}

TEST(ChangerTest, JointReplacesAVoterAndKeepsTheOutgoingProgress) {
  ProgressTracker t = TrackerOf(MakeConfState({1, 2, 3}));
  Install(t, Changer(t, kLastIndex).EnterJoint(false, Of({AddVoter(4), Remove(3)})));
  EXPECT_EQ(Voters(t), (Ids{1, 2, 4}));
  EXPECT_EQ(Outgoing(t), (Ids{1, 2, 3}));
  // 3 still votes in the outgoing half, so it keeps its progress.
  EXPECT_EQ(ProgressIds(t), (Ids{1, 2, 3, 4}));

  Install(t, Changer(t, kLastIndex).LeaveJoint());
  EXPECT_EQ(Voters(t), (Ids{1, 2, 4}));
  EXPECT_TRUE(Outgoing(t).empty());
  EXPECT_EQ(ProgressIds(t), (Ids{1, 2, 4}));
}

TEST(ChangerTest, DemotingInJointWaitsInLearnersNext) {
  ProgressTracker t = TrackerOf(MakeConfState({1, 2, 3}));
  Install(t, Changer(t, kLastIndex).EnterJoint(true, Of({AddLearner(3)})));
  EXPECT_EQ(Voters(t), (Ids{1, 2}));
  EXPECT_EQ(Outgoing(t), (Ids{1, 2, 3}));
  EXPECT_TRUE(Learners(t).empty());
  EXPECT_TRUE(t.config.learners_next.contains(3));
  EXPECT_TRUE(t.config.auto_leave);
  EXPECT_FALSE(t.progress.at(3).is_learner);

  Install(t, Changer(t, kLastIndex).LeaveJoint());
  EXPECT_EQ(Learners(t), (Ids{3}));
  EXPECT_TRUE(t.config.learners_next.empty());
  EXPECT_TRUE(t.progress.at(3).is_learner);
  EXPECT_FALSE(t.config.auto_leave);
}

TEST(ChangerTest, JointStateTransitionsAreChecked) {
  ProgressTracker t = TrackerOf(MakeConfState({1, 2, 3}));
  EXPECT_FALSE(Changer(t, kLastIndex).LeaveJoint().ok());
  Install(t, Changer(t, kLastIndex).EnterJoint(false, Of({AddVoter(4)})));
  EXPECT_FALSE(Changer(t, kLastIndex).EnterJoint(false, Of({AddVoter(5)})).ok());
  EXPECT_FALSE(Changer(t, kLastIndex).Simple(Of({AddVoter(5)})).ok());
  EXPECT_TRUE(Changer(t, kLastIndex).LeaveJoint().ok());
}

TEST(ChangerTest, EnterJointRefusesRemovingAllIncomingVoters) {
  ProgressTracker t = TrackerOf(MakeConfState({1, 2}));
  EXPECT_FALSE(Changer(t, kLastIndex).EnterJoint(false, Of({Remove(1), Remove(2)})).ok());
}

TEST(RestoreConfStateTest, RoundTripsAJointConfigWithLearners) {
  raftpb::ConfState cs;
  for (uint64_t id : {1, 2, 4}) {
    cs.add_voters(id);
  }
  for (uint64_t id : {1, 2, 3}) {
    cs.add_voters_outgoing(id);
  }
  cs.add_learners(5);
  cs.add_learners_next(3);
  cs.set_auto_leave(true);
  ProgressTracker t = TrackerOf(cs);
  raftpb::ConfState got = t.ConfState();
  EXPECT_EQ(got.SerializeAsString(), cs.SerializeAsString()) << got.ShortDebugString();
}

TEST(RestoreConfStateTest, RoundTripsASimpleConfig) {
  raftpb::ConfState cs = MakeConfState({1, 2, 3}, {4, 5});
  ProgressTracker t = TrackerOf(cs);
  EXPECT_EQ(t.ConfState().SerializeAsString(), cs.SerializeAsString());
  EXPECT_EQ(t.VoterNodes(), (Ids{1, 2, 3}));
  EXPECT_EQ(t.LearnerNodes(), (Ids{4, 5}));
}

TEST(ConfChangeKindTest, EntersAndLeavesJoint) {
  bool auto_leave = false;
  raftpb::ConfChangeV2 one = test::MakeConfChange({AddVoter(2)});
  EXPECT_FALSE(EntersJoint(one, &auto_leave));
  EXPECT_FALSE(LeavesJoint(one));

  raftpb::ConfChangeV2 two = test::MakeConfChange({AddVoter(2), AddVoter(3)});
  EXPECT_TRUE(EntersJoint(two, &auto_leave));
  EXPECT_TRUE(auto_leave);

  raftpb::ConfChangeV2 explicit_one =
      test::MakeConfChange({AddVoter(2)}, raftpb::CONF_CHANGE_TRANSITION_JOINT_EXPLICIT);
  EXPECT_TRUE(EntersJoint(explicit_one, &auto_leave));
  EXPECT_FALSE(auto_leave);

  raftpb::ConfChangeV2 implicit_one =
      test::MakeConfChange({AddVoter(2)}, raftpb::CONF_CHANGE_TRANSITION_JOINT_IMPLICIT);
  EXPECT_TRUE(EntersJoint(implicit_one, &auto_leave));
  EXPECT_TRUE(auto_leave);

  raftpb::ConfChangeV2 empty;
  empty.set_context("ignored");
  EXPECT_TRUE(LeavesJoint(empty));
  EXPECT_FALSE(EntersJoint(empty, &auto_leave));
}

}  // namespace
}  // namespace raftkv::raft
