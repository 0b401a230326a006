// The RawNode host contract: Ready contents, Advance, and restarting from storage.

#include "raftkv/raft/raw_node.h"

#include <gtest/gtest.h>

#include "raftkv/raft/errors.h"
#include "tests/raft/test_network.h"

namespace raftkv::raft {
namespace {

using test::DefaultConfig;
using test::MakeConfState;
using test::MakeEntry;
using test::MakeMsg;
using test::MakeSnapshot;
using test::NewStorage;

std::unique_ptr<RawNode> MustCreate(const Config& c) {
  auto n = RawNode::Create(c);
  EXPECT_TRUE(n.ok()) << n.status();
  return n.ok() ? *std::move(n) : nullptr;
}

// Persists what the Ready asks to persist, as a host does before Advance.
void Persist(MemoryStorage& storage, const Ready& rd) {
  if (rd.snapshot) {
    ASSERT_TRUE(storage.ApplySnapshot(*rd.snapshot).ok());
  }
  ASSERT_TRUE(storage.Append(rd.entries).ok());
  if (rd.hard_state) storage.SetHardState(*rd.hard_state);
}

std::vector<std::string> Data(const EntryVector& ents) {
  std::vector<std::string> out;
  for (const auto& e : ents) {
    out.push_back(e.data());
  }
  return out;
}

class SingleNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = NewStorage({1});
    node_ = MustCreate(DefaultConfig(1, storage_.get()));
  }

  // Campaigns and handles Readies until the empty entry of the new term is applied.
  void BecomeLeader() {
    ASSERT_TRUE(node_->Campaign().ok());
    while (node_->HasReady()) {
      Ready rd = node_->GetReady();
      Persist(*storage_, rd);
      node_->Advance();
    }
  }

  std::unique_ptr<MemoryStorage> storage_;
  std::unique_ptr<RawNode> node_;
};

TEST_F(SingleNodeTest, ReadyAndAdvanceCarryALeaderThroughItsFirstEntries) {
  EXPECT_FALSE(node_->HasReady());
  ASSERT_TRUE(node_->Campaign().ok());
  ASSERT_TRUE(node_->HasReady());

  Ready rd = node_->GetReady();
  ASSERT_TRUE(rd.soft_state.has_value());
  EXPECT_EQ(rd.soft_state->state, StateType::kLeader);
  EXPECT_EQ(rd.soft_state->lead, 1u);
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->term(), 2u);
  EXPECT_EQ(rd.hard_state->vote(), 1u);
  ASSERT_EQ(rd.entries.size(), 1u);
  EXPECT_EQ(rd.entries[0].index(), 2u);
  EXPECT_EQ(rd.entries[0].term(), 2u);
  EXPECT_TRUE(rd.committed_entries.empty());
  EXPECT_TRUE(rd.messages.empty());
  EXPECT_TRUE(rd.must_sync);

  // The leader's own log counts towards commit only once the host says it is persisted.
  EXPECT_EQ(node_->raft().log().committed(), 1u);
  Persist(*storage_, rd);
  EXPECT_EQ(node_->raft().log().committed(), 1u);
  node_->Advance();
  EXPECT_EQ(node_->raft().log().committed(), 2u);

  ASSERT_TRUE(node_->HasReady());
  rd = node_->GetReady();
  EXPECT_FALSE(rd.soft_state.has_value());
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->commit(), 2u);
  EXPECT_TRUE(rd.entries.empty());
  ASSERT_EQ(rd.committed_entries.size(), 1u);
  EXPECT_EQ(rd.committed_entries[0].index(), 2u);
  // Only the commit changed: nothing needs an fdatasync.
  EXPECT_FALSE(rd.must_sync);
  Persist(*storage_, rd);
  node_->Advance();
  EXPECT_FALSE(node_->HasReady());
  EXPECT_EQ(node_->raft().log().applied(), 2u);
}

TEST_F(SingleNodeTest, ProposalIsPersistedThenCommittedThenApplied) {
  BecomeLeader();
  ASSERT_TRUE(node_->Propose("a").ok());
  Ready rd = node_->GetReady();
  EXPECT_EQ(Data(rd.entries), std::vector<std::string>{"a"});
  EXPECT_FALSE(rd.hard_state.has_value());
  EXPECT_FALSE(rd.soft_state.has_value());
  EXPECT_TRUE(rd.committed_entries.empty());
  EXPECT_TRUE(rd.must_sync);
  Persist(*storage_, rd);
  node_->Advance();

  rd = node_->GetReady();
  EXPECT_EQ(Data(rd.committed_entries), std::vector<std::string>{"a"});
  EXPECT_TRUE(rd.entries.empty());
  EXPECT_FALSE(rd.must_sync);
  node_->Advance();
  EXPECT_FALSE(node_->HasReady());
}

TEST_F(SingleNodeTest, NothingIsReportedTwice) {
  BecomeLeader();
  node_->ReadIndex("ctx");
  ASSERT_TRUE(node_->HasReady());
  Ready rd = node_->GetReady();
  ASSERT_EQ(rd.read_states.size(), 1u);
  EXPECT_EQ(rd.read_states[0].request_ctx, "ctx");
  node_->Advance();
  EXPECT_FALSE(node_->HasReady());
  rd = node_->GetReady();
  EXPECT_TRUE(rd.read_states.empty());
  EXPECT_FALSE(rd.hard_state.has_value());
  EXPECT_FALSE(rd.soft_state.has_value());
}

TEST_F(SingleNodeTest, CommittedEntriesPerReadyAreCapped) {
  node_.reset();
  storage_ = NewStorage({1});
  Config c = DefaultConfig(1, storage_.get());
  c.max_committed_size_per_ready = EntrySize(MakeEntry(0, 0, std::string(100, 'x')));
  node_ = MustCreate(c);
  BecomeLeader();
  ASSERT_TRUE(
      node_->Propose({std::string(100, 'a'), std::string(100, 'b'), std::string(100, 'c')}).ok());
  std::vector<size_t> per_ready;
  while (node_->HasReady()) {
    Ready rd = node_->GetReady();
    Persist(*storage_, rd);
    if (!rd.committed_entries.empty()) per_ready.push_back(rd.committed_entries.size());
    node_->Advance();
  }
  EXPECT_EQ(per_ready, (std::vector<size_t>{1, 1, 1}));
  EXPECT_EQ(node_->raft().log().applied(), 5u);
}

TEST_F(SingleNodeTest, ApplyConfChangeReturnsTheNewMembership) {
  BecomeLeader();
  auto cs = node_->ApplyConfChange(
      test::MakeConfChange({test::ConfChangeOf(raftpb::CONF_CHANGE_ADD_LEARNER_NODE, 2)}));
  ASSERT_TRUE(cs.ok()) << cs.status();
  EXPECT_EQ(cs->voters_size(), 1);
  ASSERT_EQ(cs->learners_size(), 1);
  EXPECT_EQ(cs->learners(0), 2u);
  EXPECT_EQ(node_->GetStatus().config.learners.size(), 1u);
}

TEST(RawNodeTest, FollowerReportsSoftAndHardStateOnlyWhenChanged) {
  auto storage = NewStorage({1, 2});
  auto node = MustCreate(DefaultConfig(1, storage.get()));
  raftpb::Message hb = MakeMsg(raftpb::MSG_HEARTBEAT, 2, 1, 2);
  ASSERT_TRUE(node->Step(hb).ok());
  Ready rd = node->GetReady();
  ASSERT_TRUE(rd.soft_state.has_value());
  EXPECT_EQ(rd.soft_state->lead, 2u);
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->term(), 2u);
  EXPECT_TRUE(rd.must_sync);  // a new term must be durable before answering
  ASSERT_EQ(rd.messages.size(), 1u);
  Persist(*storage, rd);
  node->Advance();

  ASSERT_TRUE(node->Step(hb).ok());
  rd = node->GetReady();
  EXPECT_FALSE(rd.soft_state.has_value());
  EXPECT_FALSE(rd.hard_state.has_value());
  EXPECT_FALSE(rd.must_sync);
  EXPECT_EQ(rd.messages.size(), 1u);
}

TEST(RawNodeTest, GrantingAVoteMustSync) {
  auto storage = NewStorage({1, 2});
  auto node = MustCreate(DefaultConfig(1, storage.get()));
  raftpb::Message vote = MakeMsg(raftpb::MSG_VOTE, 2, 1, 2);
  vote.set_index(1);
  vote.set_log_term(1);
  ASSERT_TRUE(node->Step(vote).ok());
  Ready rd = node->GetReady();
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->vote(), 2u);
  EXPECT_TRUE(rd.entries.empty());
  EXPECT_TRUE(rd.must_sync);
}

TEST(RawNodeTest, StepRefusesLocalMessagesAndResponsesFromStrangers) {
  auto storage = NewStorage({1, 2});
  auto node = MustCreate(DefaultConfig(1, storage.get()));
  for (auto type : {raftpb::MSG_HUP, raftpb::MSG_BEAT, raftpb::MSG_UNREACHABLE,
                    raftpb::MSG_SNAP_STATUS, raftpb::MSG_CHECK_QUORUM}) {
    EXPECT_FALSE(node->Step(MakeMsg(type, 2, 1, 1)).ok()) << raftpb::MessageType_Name(type);
  }
  EXPECT_EQ(node->soft_state().state, StateType::kFollower);
  EXPECT_FALSE(node->Step(MakeMsg(raftpb::MSG_APP_RESP, 9, 1, 1)).ok());
  EXPECT_TRUE(node->Step(MakeMsg(raftpb::MSG_APP_RESP, 2, 1, 1)).ok());
}

TEST(RawNodeTest, CreateRefusesInvalidConfigs) {
  auto storage = NewStorage({1});
  std::vector<std::function<void(Config&)>> breakers = {
      [](Config& c) { c.id = 0; },
      [](Config& c) { c.heartbeat_tick = 0; },
      [](Config& c) { c.election_tick = c.heartbeat_tick; },
      [](Config& c) { c.storage = nullptr; },
      [](Config& c) { c.max_inflight_msgs = 0; },
  };
  for (size_t i = 0; i < breakers.size(); ++i) {
    Config c = DefaultConfig(1, storage.get());
    breakers[i](c);
    EXPECT_FALSE(RawNode::Create(c).ok()) << i;
  }
}

TEST(RawNodeTest, StatusHasProgressOnlyOnTheLeader) {
  auto storage = NewStorage({1});
  auto node = MustCreate(DefaultConfig(1, storage.get()));
  EXPECT_TRUE(node->GetStatus().progress.empty());
  ASSERT_TRUE(node->Campaign().ok());
  Status st = node->GetStatus();
  EXPECT_EQ(st.soft_state.state, StateType::kLeader);
  EXPECT_EQ(st.hard_state.term(), 2u);
  EXPECT_EQ(st.progress.size(), 1u);
}

// The storage a member left behind: a snapshot at 10 (term 2), entries 11..20 of term 3
// carrying "e11".."e20", and a hard state that committed up to 18.
std::unique_ptr<MemoryStorage> RestartStorage() {
  auto storage = std::make_unique<MemoryStorage>();
  EXPECT_TRUE(storage->ApplySnapshot(MakeSnapshot(10, 2, MakeConfState({1}))).ok());
  EntryVector ents;
  for (uint64_t i = 11; i <= 20; ++i) {
    ents.push_back(MakeEntry(i, 3, "e" + std::to_string(i)));
  }
  EXPECT_TRUE(storage->Append(ents).ok());
  raftpb::HardState hs;
  hs.set_term(3);
  hs.set_vote(1);
  hs.set_commit(18);
  storage->SetHardState(hs);
  return storage;
}

TEST(RestartTest, ResumesFromStorageHonouringApplied) {
  auto storage = RestartStorage();
  Config c = DefaultConfig(1, storage.get());
  c.applied = 15;
  auto node = MustCreate(c);
  EXPECT_EQ(node->raft().term(), 3u);
  EXPECT_EQ(node->raft().vote(), 1u);
  EXPECT_EQ(node->raft().log().LastIndex(), 20u);
  EXPECT_EQ(node->raft().log().committed(), 18u);

  ASSERT_TRUE(node->HasReady());
  Ready rd = node->GetReady();
  EXPECT_EQ(Data(rd.committed_entries), (std::vector<std::string>{"e16", "e17", "e18"}));
  // Nothing to persist: it all came from storage.
  EXPECT_FALSE(rd.hard_state.has_value());
  EXPECT_FALSE(rd.soft_state.has_value());
  EXPECT_TRUE(rd.entries.empty());
  EXPECT_FALSE(rd.must_sync);
  node->Advance();
  EXPECT_FALSE(node->HasReady());

  // It carries on: as the only voter it elects itself and commits the rest.
  ASSERT_TRUE(node->Campaign().ok());
  std::vector<std::string> applied;
  while (node->HasReady()) {
    rd = node->GetReady();
    Persist(*storage, rd);
    for (const auto& d : Data(rd.committed_entries)) {
      applied.push_back(d);
    }
    node->Advance();
  }
  EXPECT_EQ(applied, (std::vector<std::string>{"e19", "e20", ""}));
  EXPECT_EQ(node->raft().term(), 4u);
}

TEST(RestartTest, WithoutAppliedStartsAfterTheSnapshot) {
  auto storage = RestartStorage();
  auto node = MustCreate(DefaultConfig(1, storage.get()));
  Ready rd = node->GetReady();
  ASSERT_EQ(rd.committed_entries.size(), 8u);
  EXPECT_EQ(rd.committed_entries.front().index(), 11u);
  EXPECT_EQ(rd.committed_entries.back().index(), 18u);
}

TEST(RestartTest, FullyAppliedHasNothingToDo) {
  auto storage = RestartStorage();
  Config c = DefaultConfig(1, storage.get());
  c.applied = 18;
  auto node = MustCreate(c);
  EXPECT_FALSE(node->HasReady());
}

TEST(RestartTest, FromASnapshotAlone) {
  auto storage = std::make_unique<MemoryStorage>();
  ASSERT_TRUE(storage->ApplySnapshot(MakeSnapshot(10, 2, MakeConfState({1, 2}, {3}))).ok());
  auto node = MustCreate(DefaultConfig(1, storage.get()));
  EXPECT_FALSE(node->HasReady());
  EXPECT_EQ(node->raft().log().FirstIndex(), 11u);
  EXPECT_EQ(node->raft().log().committed(), 10u);
  EXPECT_EQ(node->raft().log().applied(), 10u);
  EXPECT_EQ(node->GetStatus().config.learners.size(), 1u);
  ASSERT_TRUE(node->Campaign().ok());
  EXPECT_EQ(node->soft_state().state, StateType::kCandidate);
}

}  // namespace
}  // namespace raftkv::raft
