#include "raftkv/raft/storage.h"

#include <gtest/gtest.h>

#include "raftkv/raft/errors.h"
#include "tests/raft/test_network.h"

namespace raftkv::raft {
namespace {

using test::MakeConfState;
using test::MakeEntries;
using test::MakeEntry;
using test::MakeSnapshot;

// The log (3,3) (4,4) (5,5): entry 3 is the last compacted one (the snapshot), 4 and 5 are
// readable.
std::unique_ptr<MemoryStorage> StorageWith345() {
  auto s = std::make_unique<MemoryStorage>();
  EXPECT_TRUE(s->ApplySnapshot(MakeSnapshot(3, 3, MakeConfState({1, 2, 3}))).ok());
  EXPECT_TRUE(s->Append(MakeEntries(4, {4, 5})).ok());
  return s;
}

std::vector<std::pair<uint64_t, uint64_t>> IndexTerms(const EntryVector& ents) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (const auto& e : ents) {
    out.emplace_back(e.index(), e.term());
  }
  return out;
}

// Every readable entry plus the dummy before them, as (index, term).
std::vector<std::pair<uint64_t, uint64_t>> Dump(const MemoryStorage& s) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  out.emplace_back(s.FirstIndex() - 1, *s.Term(s.FirstIndex() - 1));
  auto ents = s.Entries(s.FirstIndex(), s.LastIndex() + 1, kNoLimit);
  EXPECT_TRUE(ents.ok()) << ents.status();
  for (auto& p : IndexTerms(*ents)) {
    out.push_back(p);
  }
  return out;
}

TEST(MemoryStorageTest, EmptyStorageHasOnlyTheDummyEntry) {
  MemoryStorage s;
  EXPECT_EQ(s.FirstIndex(), 1u);
  EXPECT_EQ(s.LastIndex(), 0u);
  EXPECT_EQ(*s.Term(0), 0u);
  EXPECT_TRUE(IsEntryUnavailable(s.Term(1).status()));
  auto ents = s.Entries(1, 1, kNoLimit);
  ASSERT_TRUE(ents.ok());
  EXPECT_TRUE(ents->empty());
}

TEST(MemoryStorageTest, Term) {
  auto s = StorageWith345();
  EXPECT_TRUE(IsCompacted(s->Term(2).status()));
  EXPECT_EQ(*s->Term(3), 3u);
  EXPECT_EQ(*s->Term(4), 4u);
  EXPECT_EQ(*s->Term(5), 5u);
  EXPECT_TRUE(IsEntryUnavailable(s->Term(6).status()));
}

TEST(MemoryStorageTest, Entries) {
  auto s = std::make_unique<MemoryStorage>();
  ASSERT_TRUE(s->ApplySnapshot(MakeSnapshot(3, 3, MakeConfState({1}))).ok());
  ASSERT_TRUE(s->Append(MakeEntries(4, {4, 5, 6})).ok());
  const uint64_t one = EntrySize(MakeEntry(4, 4));

  EXPECT_TRUE(IsCompacted(s->Entries(2, 6, kNoLimit).status()));
  EXPECT_TRUE(IsCompacted(s->Entries(3, 4, kNoLimit).status()));
  using P = std::pair<uint64_t, uint64_t>;
  EXPECT_EQ(IndexTerms(*s->Entries(4, 5, kNoLimit)), (std::vector<P>{{4, 4}}));
  EXPECT_EQ(IndexTerms(*s->Entries(4, 6, kNoLimit)), (std::vector<P>{{4, 4}, {5, 5}}));
  EXPECT_EQ(IndexTerms(*s->Entries(4, 7, kNoLimit)), (std::vector<P>{{4, 4}, {5, 5}, {6, 6}}));
  // The size limit: always at least one entry, never more bytes than allowed otherwise.
  EXPECT_EQ(IndexTerms(*s->Entries(4, 7, 0)), (std::vector<P>{{4, 4}}));
  EXPECT_EQ(IndexTerms(*s->Entries(4, 7, 2 * one)), (std::vector<P>{{4, 4}, {5, 5}}));
  EXPECT_EQ(IndexTerms(*s->Entries(4, 7, 2 * one + one / 2)), (std::vector<P>{{4, 4}, {5, 5}}));
  EXPECT_EQ(IndexTerms(*s->Entries(4, 7, 3 * one - 1)), (std::vector<P>{{4, 4}, {5, 5}}));
  EXPECT_EQ(IndexTerms(*s->Entries(4, 7, 3 * one)), (std::vector<P>{{4, 4}, {5, 5}, {6, 6}}));
}

TEST(MemoryStorageTest, EntriesBeyondLastIndexAreUnavailable) {
  auto s = StorageWith345();
  EXPECT_TRUE(IsEntryUnavailable(s->Entries(4, 7, kNoLimit).status()));
}

TEST(MemoryStorageTest, FirstAndLastIndex) {
  auto s = StorageWith345();
  EXPECT_EQ(s->FirstIndex(), 4u);
  EXPECT_EQ(s->LastIndex(), 5u);
  ASSERT_TRUE(s->Append({MakeEntry(6, 5)}).ok());
  EXPECT_EQ(s->LastIndex(), 6u);
  ASSERT_TRUE(s->Compact(4).ok());
  EXPECT_EQ(s->FirstIndex(), 5u);
}

TEST(MemoryStorageTest, Compact) {
  struct Case {
    uint64_t compact;
    bool compacted_error;
    uint64_t first_index;
  };
  for (const Case& c :
       std::vector<Case>{{2, true, 4}, {3, true, 4}, {4, false, 5}, {5, false, 6}}) {
    SCOPED_TRACE(c.compact);
    auto s = StorageWith345();
    absl::Status st = s->Compact(c.compact);
    EXPECT_EQ(IsCompacted(st), c.compacted_error) << st;
    EXPECT_EQ(s->FirstIndex(), c.first_index);
    EXPECT_EQ(s->LastIndex(), 5u);
    // The compacted-to entry survives as the dummy: its term stays readable.
    EXPECT_EQ(*s->Term(c.first_index - 1), c.first_index - 1);
  }
}

TEST(MemoryStorageTest, CompactBeyondLastIndexFails) {
  auto s = StorageWith345();
  EXPECT_FALSE(s->Compact(6).ok());
  EXPECT_EQ(s->FirstIndex(), 4u);
}

TEST(MemoryStorageTest, CreateSnapshot) {
  raftpb::ConfState cs = MakeConfState({1, 2, 3});
  for (uint64_t i : {4, 5}) {
    auto s = StorageWith345();
    auto snap = s->CreateSnapshot(i, &cs, "data");
    ASSERT_TRUE(snap.ok()) << snap.status();
    EXPECT_EQ(snap->metadata().index(), i);
    EXPECT_EQ(snap->metadata().term(), i);
    EXPECT_EQ(snap->data(), "data");
    EXPECT_EQ(snap->metadata().conf_state().voters_size(), 3);
    EXPECT_EQ(s->GetSnapshot()->metadata().index(), i);
    // Creating a snapshot does not compact: the log is still readable.
    EXPECT_EQ(s->FirstIndex(), 4u);
  }
}

TEST(MemoryStorageTest, CreateSnapshotErrors) {
  auto s = StorageWith345();
  EXPECT_TRUE(IsSnapOutOfDate(s->CreateSnapshot(3, nullptr, "").status()));
  EXPECT_FALSE(s->CreateSnapshot(6, nullptr, "").ok());
  ASSERT_TRUE(s->CreateSnapshot(5, nullptr, "").ok());
  EXPECT_TRUE(IsSnapOutOfDate(s->CreateSnapshot(4, nullptr, "").status()));
}

TEST(MemoryStorageTest, Append) {
  using P = std::pair<uint64_t, uint64_t>;
  struct Case {
    EntryVector entries;
    std::vector<P> want;
  };
  std::vector<Case> cases = {
      // Entirely compacted: nothing changes.
      {MakeEntries(1, {1, 2}), {{3, 3}, {4, 4}, {5, 5}}},
      // Identical: nothing changes.
      {MakeEntries(3, {3, 4, 5}), {{3, 3}, {4, 4}, {5, 5}}},
      // Conflicting entries replace the stored ones.
      {MakeEntries(3, {3, 6, 6}), {{3, 3}, {4, 6}, {5, 6}}},
      {MakeEntries(3, {3, 4, 5, 5}), {{3, 3}, {4, 4}, {5, 5}, {6, 5}}},
      // The compacted prefix of the new entries is skipped.
      {MakeEntries(2, {3, 3, 5}), {{3, 3}, {4, 5}}},
      // Truncates at the first new entry.
      {MakeEntries(4, {5}), {{3, 3}, {4, 5}}},
      // Extends the log.
      {MakeEntries(6, {5}), {{3, 3}, {4, 4}, {5, 5}, {6, 5}}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    auto s = StorageWith345();
    absl::Status st = s->Append(cases[i].entries);
    ASSERT_TRUE(st.ok()) << st;
    EXPECT_EQ(Dump(*s), cases[i].want);
  }
}

TEST(MemoryStorageTest, CreateSnapshotOfACompactedIndexFails) {
  // Compaction without a snapshot: the stored snapshot stays at 0.
  MemoryStorage s;
  ASSERT_TRUE(s.Append(MakeEntries(1, {1, 1, 2, 2, 2})).ok());
  ASSERT_TRUE(s.Compact(4).ok());
  EXPECT_TRUE(IsCompacted(s.CreateSnapshot(2, nullptr, "").status()));
  EXPECT_EQ(s.GetSnapshot()->metadata().index(), 0u);
  // The compaction point itself still has a known term.
  auto snap = s.CreateSnapshot(4, nullptr, "");
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_EQ(snap->metadata().term(), 2u);
}

TEST(MemoryStorageTest, AppendWithGapFails) {
  auto s = StorageWith345();
  EXPECT_FALSE(s->Append(MakeEntries(7, {5})).ok());
  EXPECT_EQ(s->LastIndex(), 5u);
}

TEST(MemoryStorageTest, ApplySnapshot) {
  MemoryStorage s;
  raftpb::ConfState cs = MakeConfState({1, 2}, {3});
  ASSERT_TRUE(s.Append(MakeEntries(1, {1, 1, 2})).ok());
  ASSERT_TRUE(s.ApplySnapshot(MakeSnapshot(4, 4, cs)).ok());
  // The snapshot replaces the whole log, even entries it does not cover.
  EXPECT_EQ(s.FirstIndex(), 5u);
  EXPECT_EQ(s.LastIndex(), 4u);
  EXPECT_EQ(*s.Term(4), 4u);
  EXPECT_EQ(s.GetInitialState()->conf_state.learners_size(), 1);
  EXPECT_EQ(s.GetSnapshot()->metadata().index(), 4u);

  EXPECT_TRUE(IsSnapOutOfDate(s.ApplySnapshot(MakeSnapshot(3, 3, cs))));
  EXPECT_TRUE(IsSnapOutOfDate(s.ApplySnapshot(MakeSnapshot(4, 4, cs))));
  EXPECT_EQ(s.FirstIndex(), 5u);
}

TEST(MemoryStorageTest, InitialStateReportsHardStateAndMembership) {
  auto s = StorageWith345();
  raftpb::HardState hs;
  hs.set_term(5);
  hs.set_vote(2);
  hs.set_commit(4);
  s->SetHardState(hs);
  auto init = s->GetInitialState();
  ASSERT_TRUE(init.ok());
  EXPECT_EQ(init->hard_state.term(), 5u);
  EXPECT_EQ(init->hard_state.vote(), 2u);
  EXPECT_EQ(init->hard_state.commit(), 4u);
  EXPECT_EQ(init->conf_state.voters_size(), 3);
}

}  // namespace
}  // namespace raftkv::raft
