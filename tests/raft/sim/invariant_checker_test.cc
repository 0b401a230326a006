// The invariant checker must reject each kind of violation, fed as a hand-made history.
#include "tests/raft/sim/invariant_checker.h"

#include <gtest/gtest.h>

namespace raftkv::sim {
namespace {

raftpb::Entry E(uint64_t index, uint64_t term, const std::string& data) {
  raftpb::Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_data(data);
  return e;
}

// A log whose entry i has terms[i - first_index + 1] (terms[0] is the snapshot's term).
LogTerms Log(uint64_t first_index, std::vector<uint64_t> terms) {
  uint64_t last = first_index + terms.size() - 2;
  return LogTerms{first_index, last,
                  [first_index, terms](uint64_t i) { return terms[i - (first_index - 1)]; }};
}

class InvariantCheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    checker_.Bootstrap(BootstrapState(), 1);
    for (uint64_t node : {1, 2, 3})
      ASSERT_TRUE(checker_.ObserveStateMachine(node, BootstrapState()).ok());
  }

  // Members 1 and 2 commit and apply entries 2 and 3 of term 2; member 1 leads term 2.
  void CommonHistory() {
    ASSERT_TRUE(checker_.ObserveLeader(1, 2, Log(2, {1})).ok());
    raft::EntryVector ents = {E(2, 2, "a"), E(3, 2, "b")};
    for (uint64_t node : {1, 2}) {
      ASSERT_TRUE(checker_.ObserveAppended(node, 1, ents).ok());
      ASSERT_TRUE(checker_.ObserveCommitted(node, ents).ok());
      for (const auto& e : ents)
        ASSERT_TRUE(checker_.ObserveApplied(node, e).ok());
    }
  }

  void ExpectViolation(const absl::Status& s, Invariant expected) {
    EXPECT_FALSE(s.ok());
    ASSERT_TRUE(checker_.violated().has_value());
    EXPECT_EQ(*checker_.violated(), expected) << s.message();
  }

  InvariantChecker checker_;
};

TEST_F(InvariantCheckerTest, AcceptsAConsistentHistory) {
  CommonHistory();
  ASSERT_TRUE(checker_.ObserveLeader(1, 2, Log(2, {1, 2, 2})).ok());
  ASSERT_TRUE(checker_.ObserveLeader(2, 3, Log(2, {1, 2, 2})).ok());
  checker_.RecordAcknowledged(7, 3);
  EXPECT_TRUE(checker_.CheckAcknowledgedApplied(1).ok());
  EXPECT_TRUE(checker_.CheckAcknowledgedApplied(2).ok());
  EXPECT_FALSE(checker_.violated().has_value());
}

TEST_F(InvariantCheckerTest, RejectsTwoLeadersInOneTerm) {
  ASSERT_TRUE(checker_.ObserveLeader(1, 5, Log(2, {1})).ok());
  ExpectViolation(checker_.ObserveLeader(2, 5, Log(2, {1})), Invariant::kElectionSafety);
}

TEST_F(InvariantCheckerTest, RejectsAnEntryAfterADifferentPrefix) {
  ASSERT_TRUE(checker_.ObserveAppended(1, 1, {E(2, 2, "a"), E(3, 2, "b")}).ok());
  ASSERT_TRUE(checker_.ObserveAppended(2, 1, {E(2, 3, "x")}).ok());
  // Member 2 puts the entry (3, term 2) right after its own entry of term 3.
  ExpectViolation(checker_.ObserveAppended(2, 3, {E(3, 2, "b")}), Invariant::kLogMatching);
}

TEST_F(InvariantCheckerTest, RejectsTwoEntriesWithOneIndexAndTerm) {
  ASSERT_TRUE(checker_.ObserveAppended(1, 1, {E(2, 2, "a")}).ok());
  ExpectViolation(checker_.ObserveAppended(2, 1, {E(2, 2, "other")}), Invariant::kLogMatching);
}

TEST_F(InvariantCheckerTest, RejectsACommittedEntryThatChanges) {
  CommonHistory();
  ExpectViolation(checker_.ObserveCommitted(3, {E(2, 2, "a"), E(3, 4, "c")}),
                  Invariant::kCommittedEntryStable);
}

TEST_F(InvariantCheckerTest, RejectsALeaderMissingACommittedEntry) {
  CommonHistory();
  // Member 3 never got index 3, yet leads term 3: it would overwrite a committed entry.
  ExpectViolation(checker_.ObserveLeader(3, 3, Log(2, {1, 2})), Invariant::kCommittedEntryStable);
}

TEST_F(InvariantCheckerTest, RejectsALeaderHoldingAnotherEntryAtACommittedIndex) {
  CommonHistory();
  ExpectViolation(checker_.ObserveLeader(3, 3, Log(2, {1, 2, 1, 3})),
                  Invariant::kCommittedEntryStable);
}

TEST_F(InvariantCheckerTest, RejectsAnApplyThatSkipsAnEntry) {
  CommonHistory();
  ExpectViolation(checker_.ObserveApplied(3, E(3, 2, "b")), Invariant::kAppliedPrefix);
}

TEST_F(InvariantCheckerTest, RejectsApplyingAnUncommittedEntry) {
  CommonHistory();
  ExpectViolation(checker_.ObserveApplied(1, E(4, 2, "c")), Invariant::kAppliedPrefix);
}

TEST_F(InvariantCheckerTest, RejectsAStateThatNoPrefixProduces) {
  CommonHistory();
  StateMachineState forged{3, ChainDigest(BootstrapState().digest, EntryDigest(E(3, 2, "b")))};
  ExpectViolation(checker_.ObserveStateMachine(3, forged), Invariant::kAppliedPrefix);
}

TEST_F(InvariantCheckerTest, RejectsALostAcknowledgedProposal) {
  CommonHistory();
  checker_.RecordAcknowledged(7, 3);
  ASSERT_TRUE(checker_.ObserveApplied(3, E(2, 2, "a")).ok());
  // Member 3 stopped at index 2 and never applies the acknowledged proposal.
  ExpectViolation(checker_.CheckAcknowledgedApplied(3), Invariant::kAcknowledgedNotLost);
}

}  // namespace
}  // namespace raftkv::sim
