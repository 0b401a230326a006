#include "raftkv/raft/raft_log.h"

#include <gtest/gtest.h>

#include "raftkv/raft/errors.h"
#include "tests/raft/test_network.h"

namespace raftkv::raft {
namespace {

using test::MakeConfState;
using test::MakeEntries;
using test::MakeEntry;
using test::MakeSnapshot;
using P = std::pair<uint64_t, uint64_t>;

std::vector<P> IndexTerms(const EntryVector& ents) {
  std::vector<P> out;
  for (const auto& e : ents) {
    out.emplace_back(e.index(), e.term());
  }
  return out;
}

// A storage and a log over it whose (unstable) entries start at index 1 with the given terms.
struct LogFixture {
  explicit LogFixture(const std::vector<uint64_t>& terms, uint64_t max_next = kNoLimit)
      : log(&storage, max_next) {
    if (!terms.empty()) log.Append(MakeEntries(1, terms));
  }
  MemoryStorage storage;
  RaftLog log;
};

TEST(RaftLogTest, FindConflict) {
  struct Case {
    EntryVector ents;
    uint64_t want;
  };
  std::vector<Case> cases = {
      // No conflict, nothing new.
      {{}, 0},
      {MakeEntries(1, {1, 2, 3}), 0},
      {MakeEntries(2, {2, 3}), 0},
      {MakeEntries(3, {3}), 0},
      // No conflict, but new entries: the first new one.
      {MakeEntries(1, {1, 2, 3, 4, 4}), 4},
      {MakeEntries(2, {2, 3, 4, 4}), 4},
      {MakeEntries(3, {3, 4, 4}), 4},
      {MakeEntries(4, {4, 4}), 4},
      // Conflicts with existing entries.
      {MakeEntries(1, {4, 4}), 1},
      {MakeEntries(2, {1, 4, 4}), 2},
      {MakeEntries(3, {1, 2, 4, 4}), 3},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    LogFixture f({1, 2, 3});
    EXPECT_EQ(f.log.FindConflict(cases[i].ents), cases[i].want) << "case " << i;
  }
}

TEST(RaftLogTest, FindConflictByTermFromIndexOne) {
  LogFixture f({2, 2, 5, 5, 5});
  struct Case {
    uint64_t index, term, want;
  };
  for (const Case& c : std::vector<Case>{{100, 2, 100},  // beyond the log: may still match
                                         {5, 6, 5},
                                         {5, 5, 5},
                                         {5, 4, 2},
                                         {5, 2, 2},
                                         {5, 1, 0},
                                         {1, 2, 1},
                                         {1, 1, 0},
                                         {0, 0, 0}}) {
    EXPECT_EQ(f.log.FindConflictByTerm(c.index, c.term).first, c.want)
        << "index " << c.index << " term " << c.term;
  }
  EXPECT_EQ(f.log.FindConflictByTerm(5, 4), (P{2, 2}));
}

TEST(RaftLogTest, FindConflictByTermOverCompactedLog) {
  MemoryStorage storage;
  ASSERT_TRUE(storage.ApplySnapshot(MakeSnapshot(10, 3, MakeConfState({1}))).ok());
  ASSERT_TRUE(storage.Append(MakeEntries(11, {3, 3, 4, 4, 4})).ok());
  RaftLog log(&storage, kNoLimit);
  struct Case {
    uint64_t index, term, want;
  };
  for (const Case& c : std::vector<Case>{{30, 3, 30},
                                         {14, 9, 14},
                                         {14, 4, 14},
                                         {14, 3, 12},
                                         {14, 2, 9},
                                         {11, 5, 11},
                                         {10, 5, 10},
                                         {10, 3, 10},
                                         {10, 2, 9},
                                         {9, 2, 9},  // compacted: the search stops there
                                         {4, 2, 4},
                                         {0, 0, 0}}) {
    EXPECT_EQ(log.FindConflictByTerm(c.index, c.term).first, c.want)
        << "index " << c.index << " term " << c.term;
  }
}

TEST(RaftLogTest, IsUpToDate) {
  LogFixture f({1, 2, 3});
  const uint64_t last = f.log.LastIndex();
  // A higher last term wins regardless of length.
  EXPECT_TRUE(f.log.IsUpToDate(last - 1, 4));
  EXPECT_TRUE(f.log.IsUpToDate(last, 4));
  EXPECT_TRUE(f.log.IsUpToDate(last + 1, 4));
  // A lower last term loses regardless of length.
  EXPECT_FALSE(f.log.IsUpToDate(last - 1, 2));
  EXPECT_FALSE(f.log.IsUpToDate(last, 2));
  EXPECT_FALSE(f.log.IsUpToDate(last + 1, 2));
  // The same last term: the longer log wins, ties are up to date.
  EXPECT_FALSE(f.log.IsUpToDate(last - 1, 3));
  EXPECT_TRUE(f.log.IsUpToDate(last, 3));
  EXPECT_TRUE(f.log.IsUpToDate(last + 1, 3));
}

TEST(RaftLogTest, AppendTruncatesConflictingTail) {
  struct Case {
    EntryVector ents;
    uint64_t want_last;
    std::vector<P> want;
    uint64_t want_unstable_offset;
  };
  std::vector<Case> cases = {
      {{}, 2, {{1, 1}, {2, 2}}, 3},
      {MakeEntries(3, {2}), 3, {{1, 1}, {2, 2}, {3, 2}}, 3},
      {MakeEntries(1, {2}), 1, {{1, 2}}, 1},
      {MakeEntries(2, {3, 3}), 3, {{1, 1}, {2, 3}, {3, 3}}, 2},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    MemoryStorage storage;
    ASSERT_TRUE(storage.Append(MakeEntries(1, {1, 2})).ok());
    RaftLog log(&storage, kNoLimit);
    EXPECT_EQ(log.Append(cases[i].ents), cases[i].want_last);
    auto all = log.Entries(1, kNoLimit);
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(IndexTerms(*all), cases[i].want);
    EXPECT_EQ(log.unstable().offset(), cases[i].want_unstable_offset);
  }
}

TEST(RaftLogTest, MaybeAppend) {
  struct Case {
    uint64_t index, log_term, committed;
    EntryVector ents;
    std::optional<uint64_t> want_last;
    uint64_t want_commit;
  };
  std::vector<Case> cases = {
      // The previous entry does not match: rejected, nothing changes.
      {3, 2, 3, MakeEntries(4, {4}), std::nullopt, 1},
      {4, 3, 3, MakeEntries(5, {4}), std::nullopt, 1},
      // Matches the last entry: the commit follows the leader, bounded by the new last.
      {3, 3, 3, {}, 3, 3},
      {3, 3, 4, {}, 3, 3},
      {3, 3, 2, {}, 3, 2},
      {3, 3, 0, {}, 3, 1},  // never decreases
      {3, 3, 3, MakeEntries(4, {4}), 4, 3},
      {3, 3, 4, MakeEntries(4, {4}), 4, 4},
      {3, 3, 5, MakeEntries(4, {4}), 4, 4},
      {3, 3, 5, MakeEntries(4, {4, 4}), 5, 5},
      // Matches in the middle: the conflicting tail is replaced.
      {2, 2, 3, MakeEntries(3, {4}), 3, 3},
      {1, 1, 3, MakeEntries(2, {4}), 2, 2},
      {1, 1, 3, MakeEntries(2, {4, 4}), 3, 3},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    LogFixture f({1, 2, 3});
    f.log.CommitTo(1);
    const Case& c = cases[i];
    EXPECT_EQ(f.log.MaybeAppend(c.index, c.log_term, c.committed, c.ents), c.want_last);
    EXPECT_EQ(f.log.committed(), c.want_commit);
    if (c.want_last && !c.ents.empty()) {
      // The log now holds exactly what the leader sent after the match point.
      auto got = f.log.Slice(c.index + 1, *c.want_last + 1, kNoLimit);
      ASSERT_TRUE(got.ok());
      EXPECT_EQ(IndexTerms(*got), IndexTerms(c.ents));
    }
  }
}

TEST(RaftLogDeathTest, MaybeAppendConflictingWithCommittedEntryPanics) {
  LogFixture f({1, 2, 3});
  f.log.CommitTo(1);
  EXPECT_DEATH(f.log.MaybeAppend(0, 0, 3, MakeEntries(1, {4})), "");
}

TEST(RaftLogTest, CommitToNeverDecreases) {
  LogFixture f({1, 2, 3});
  f.log.CommitTo(2);
  f.log.CommitTo(1);
  EXPECT_EQ(f.log.committed(), 2u);
  f.log.CommitTo(3);
  EXPECT_EQ(f.log.committed(), 3u);
}

TEST(RaftLogDeathTest, CommitBeyondLastIndexPanics) {
  LogFixture f({1, 2, 3});
  EXPECT_DEATH(f.log.CommitTo(4), "");
}

TEST(RaftLogTest, MaybeCommitOnlyCommitsEntriesOfTheGivenTerm) {
  LogFixture f({1, 2, 3});
  EXPECT_FALSE(f.log.MaybeCommit(2, 3));
  EXPECT_EQ(f.log.committed(), 0u);
  EXPECT_TRUE(f.log.MaybeCommit(2, 2));
  EXPECT_EQ(f.log.committed(), 2u);
  EXPECT_FALSE(f.log.MaybeCommit(2, 2));
  EXPECT_FALSE(f.log.MaybeCommit(1, 1));
  EXPECT_EQ(f.log.committed(), 2u);
}

TEST(RaftLogTest, NextCommittedEntriesStartAfterApplied) {
  MemoryStorage storage;
  ASSERT_TRUE(storage.ApplySnapshot(MakeSnapshot(3, 1, MakeConfState({1}))).ok());
  RaftLog log(&storage, kNoLimit);
  log.Append(MakeEntries(4, {1, 1, 1}));
  log.CommitTo(5);
  struct Case {
    uint64_t applied;
    std::vector<P> want;
  };
  for (const Case& c :
       std::vector<Case>{{0, {{4, 1}, {5, 1}}}, {3, {{4, 1}, {5, 1}}}, {4, {{5, 1}}}, {5, {}}}) {
    SCOPED_TRACE(c.applied);
    RaftLog l = log;
    l.AppliedTo(c.applied);
    EXPECT_EQ(l.HasNextCommittedEntries(), !c.want.empty());
    EXPECT_EQ(IndexTerms(l.NextCommittedEntries()), c.want);
  }
}

TEST(RaftLogTest, NextCommittedEntriesRespectsSizeLimit) {
  const uint64_t one = EntrySize(MakeEntry(1, 1));
  LogFixture f({1, 1, 1, 1}, 2 * one);
  f.log.CommitTo(4);
  EXPECT_EQ(IndexTerms(f.log.NextCommittedEntries()), (std::vector<P>{{1, 1}, {2, 1}}));
  f.log.AppliedTo(2);
  EXPECT_EQ(IndexTerms(f.log.NextCommittedEntries()), (std::vector<P>{{3, 1}, {4, 1}}));
}

// Storage holds a snapshot at 100 and entries 101..149; the log adds 150..199 unstable. Each
// entry's term is its index.
class RaftLogSliceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(storage_.ApplySnapshot(MakeSnapshot(100, 100, MakeConfState({1}))).ok());
    EntryVector stored;
    for (uint64_t i = 101; i < 150; ++i) {
      stored.push_back(MakeEntry(i, i));
    }
    ASSERT_TRUE(storage_.Append(stored).ok());
    EntryVector unstable;
    for (uint64_t i = 150; i < 200; ++i) {
      unstable.push_back(MakeEntry(i, i));
    }
    log_.emplace(&storage_, kNoLimit);
    log_->Append(unstable);
  }

  std::vector<uint64_t> Indexes(uint64_t lo, uint64_t hi, uint64_t max_size) {
    auto ents = log_->Slice(lo, hi, max_size);
    EXPECT_TRUE(ents.ok()) << ents.status();
    std::vector<uint64_t> out;
    for (const auto& e : *ents) {
      out.push_back(e.index());
    }
    return out;
  }

  MemoryStorage storage_;
  std::optional<RaftLog> log_;  // built once the storage is filled
  const uint64_t one_ = EntrySize(MakeEntry(1, 1));
};

TEST_F(RaftLogSliceTest, CompactedRangeIsAnError) {
  EXPECT_TRUE(IsCompacted(log_->Slice(99, 101, kNoLimit).status()));
  EXPECT_TRUE(IsCompacted(log_->Slice(100, 101, kNoLimit).status()));
}

TEST_F(RaftLogSliceTest, SpansStorageAndUnstable) {
  using V = std::vector<uint64_t>;
  EXPECT_EQ(Indexes(101, 101, kNoLimit), V{});
  EXPECT_EQ(Indexes(101, 104, kNoLimit), (V{101, 102, 103}));
  EXPECT_EQ(Indexes(148, 152, kNoLimit), (V{148, 149, 150, 151}));
  EXPECT_EQ(Indexes(150, 152, kNoLimit), (V{150, 151}));
  EXPECT_EQ(Indexes(199, 200, kNoLimit), (V{199}));
  EXPECT_EQ(Indexes(101, 200, kNoLimit).size(), 99u);
}

TEST_F(RaftLogSliceTest, SizeLimitHoldsAcrossTheBoundary) {
  using V = std::vector<uint64_t>;
  EXPECT_EQ(Indexes(148, 152, 0), (V{148}));
  EXPECT_EQ(Indexes(148, 152, one_), (V{148}));
  EXPECT_EQ(Indexes(148, 152, 2 * one_), (V{148, 149}));
  EXPECT_EQ(Indexes(148, 152, 3 * one_ - 1), (V{148, 149}));
  EXPECT_EQ(Indexes(148, 152, 3 * one_), (V{148, 149, 150}));
  EXPECT_EQ(Indexes(148, 152, 4 * one_), (V{148, 149, 150, 151}));
  EXPECT_EQ(Indexes(150, 160, 2 * one_), (V{150, 151}));
}

TEST_F(RaftLogSliceTest, TermsAcrossCompactionAndUnstable) {
  EXPECT_EQ(*log_->Term(99), 0u);  // before the snapshot: unknown
  EXPECT_EQ(*log_->Term(100), 100u);
  EXPECT_EQ(*log_->Term(149), 149u);
  EXPECT_EQ(*log_->Term(150), 150u);
  EXPECT_EQ(*log_->Term(199), 199u);
  EXPECT_EQ(*log_->Term(200), 0u);  // beyond the log
  EXPECT_EQ(log_->FirstIndex(), 101u);
  EXPECT_EQ(log_->LastIndex(), 199u);
  EXPECT_EQ(log_->StableLastIndex(), 149u);
}

TEST(RaftLogTest, CompactionInStorageMovesTheFirstIndex) {
  MemoryStorage storage;
  ASSERT_TRUE(storage.Append(MakeEntries(1, std::vector<uint64_t>(1000, 1))).ok());
  RaftLog log(&storage, kNoLimit);
  log.CommitTo(1000);
  log.AppliedTo(500);
  ASSERT_TRUE(storage.Compact(300).ok());
  EXPECT_EQ(log.FirstIndex(), 301u);
  EXPECT_EQ(log.LastIndex(), 1000u);
  EXPECT_TRUE(IsCompacted(log.Slice(300, 302, kNoLimit).status()));
  EXPECT_EQ(log.Slice(301, 1001, kNoLimit)->size(), 700u);
}

TEST(RaftLogTest, NewLogStartsAtTheStoredSnapshot) {
  MemoryStorage storage;
  ASSERT_TRUE(storage.ApplySnapshot(MakeSnapshot(1000, 1000, MakeConfState({1}))).ok());
  RaftLog log(&storage, kNoLimit);
  EXPECT_EQ(log.committed(), 1000u);
  EXPECT_EQ(log.applied(), 1000u);
  EXPECT_EQ(log.FirstIndex(), 1001u);
  EXPECT_EQ(log.LastIndex(), 1000u);
  EXPECT_EQ(log.LastTerm(), 1000u);
  EXPECT_EQ(log.unstable().offset(), 1001u);
}

TEST(RaftLogTest, RestoreReplacesTheLogWithAPendingSnapshot) {
  MemoryStorage storage;
  ASSERT_TRUE(storage.ApplySnapshot(MakeSnapshot(100, 1, MakeConfState({1}))).ok());
  RaftLog log(&storage, kNoLimit);
  log.Append(MakeEntries(101, {1, 1}));
  log.Restore(MakeSnapshot(110, 2, MakeConfState({1})));
  EXPECT_TRUE(log.HasPendingSnapshot());
  EXPECT_EQ(log.committed(), 110u);
  EXPECT_EQ(log.FirstIndex(), 111u);
  EXPECT_EQ(log.LastIndex(), 110u);
  // Only the snapshot's own term is known; older ones are not.
  EXPECT_EQ(*log.Term(110), 2u);
  EXPECT_EQ(*log.Term(100), 0u);
  EXPECT_EQ(*log.Term(109), 0u);
  EXPECT_TRUE(log.UnstableEntries().empty());
  // Until persisted, the stable log ends where the storage does.
  EXPECT_EQ(log.StableLastIndex(), 100u);
  EXPECT_EQ(log.Snapshot()->metadata().index(), 110u);
}

}  // namespace
}  // namespace raftkv::raft
