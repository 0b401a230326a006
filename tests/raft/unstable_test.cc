#include "raftkv/raft/unstable.h"

#include <gtest/gtest.h>

#include "tests/raft/test_network.h"

namespace raftkv::raft {
namespace {

using test::MakeConfState;
using test::MakeEntries;
using test::MakeSnapshot;

// An unstable log holding entries from `offset` (one per term in terms), optionally preceded
// by a pending snapshot at (offset - 1, snap_term).
Unstable MakeUnstable(uint64_t offset, const std::vector<uint64_t>& terms,
                      std::optional<uint64_t> snap_term = std::nullopt) {
  Unstable u(offset);
  if (snap_term) u.Restore(MakeSnapshot(offset - 1, *snap_term, MakeConfState({1})));
  if (!terms.empty()) u.TruncateAndAppend(MakeEntries(offset, terms));
  return u;
}

std::vector<std::pair<uint64_t, uint64_t>> IndexTerms(const EntryVector& ents) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (const auto& e : ents) {
    out.emplace_back(e.index(), e.term());
  }
  return out;
}

TEST(UnstableTest, MaybeFirstIndexComesFromTheSnapshotOnly) {
  EXPECT_EQ(MakeUnstable(5, {1}).MaybeFirstIndex(), std::nullopt);
  EXPECT_EQ(MakeUnstable(5, {}).MaybeFirstIndex(), std::nullopt);
  EXPECT_EQ(MakeUnstable(5, {1}, 1).MaybeFirstIndex(), 5u);
  EXPECT_EQ(MakeUnstable(5, {}, 1).MaybeFirstIndex(), 5u);
}

TEST(UnstableTest, MaybeLastIndex) {
  EXPECT_EQ(MakeUnstable(5, {1}).MaybeLastIndex(), 5u);
  EXPECT_EQ(MakeUnstable(5, {1}, 1).MaybeLastIndex(), 5u);
  EXPECT_EQ(MakeUnstable(5, {}, 1).MaybeLastIndex(), 4u);
  EXPECT_EQ(MakeUnstable(5, {}).MaybeLastIndex(), std::nullopt);
}

TEST(UnstableTest, MaybeTerm) {
  struct Case {
    Unstable u;
    uint64_t index;
    std::optional<uint64_t> want;
  };
  std::vector<Case> cases = {
      {MakeUnstable(5, {1}), 5, 1},
      {MakeUnstable(5, {1}), 6, std::nullopt},
      {MakeUnstable(5, {1}), 4, std::nullopt},
      {MakeUnstable(5, {1}, 1), 5, 1},
      {MakeUnstable(5, {1}, 1), 6, std::nullopt},
      // The snapshot's own index has the snapshot's term.
      {MakeUnstable(5, {1}, 1), 4, 1},
      {MakeUnstable(5, {1}, 1), 3, std::nullopt},
      {MakeUnstable(5, {}, 1), 5, std::nullopt},
      {MakeUnstable(5, {}, 1), 4, 1},
      {MakeUnstable(5, {}), 5, std::nullopt},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(cases[i].u.MaybeTerm(cases[i].index), cases[i].want) << "case " << i;
  }
}

TEST(UnstableTest, RestoreReplacesEntries) {
  Unstable u = MakeUnstable(5, {1}, 1);
  u.Restore(MakeSnapshot(6, 2, MakeConfState({1})));
  EXPECT_EQ(u.offset(), 7u);
  EXPECT_TRUE(u.entries().empty());
  ASSERT_TRUE(u.snapshot().has_value());
  EXPECT_EQ(u.snapshot()->metadata().index(), 6u);
}

TEST(UnstableTest, StableTo) {
  struct Case {
    Unstable u;
    uint64_t index, term;
    uint64_t want_offset;
    size_t want_len;
  };
  std::vector<Case> cases = {
      {MakeUnstable(0, {}), 5, 1, 0, 0},
      // Persisted the only entry.
      {MakeUnstable(5, {1}), 5, 1, 6, 0},
      {MakeUnstable(5, {1, 1}), 5, 1, 6, 1},
      // The entry at 6 was replaced with one of another term after the Ready was taken.
      {MakeUnstable(6, {2}), 6, 1, 6, 1},
      // Older than the unstable part: already stable.
      {MakeUnstable(5, {1}), 4, 1, 5, 1},
      {MakeUnstable(5, {1}), 4, 2, 5, 1},
      {MakeUnstable(5, {1}, 1), 5, 1, 6, 0},
      {MakeUnstable(5, {1, 1}, 1), 5, 1, 6, 1},
      {MakeUnstable(6, {2}, 1), 6, 1, 6, 1},
      // The snapshot's index is not an unstable entry.
      {MakeUnstable(5, {1}, 1), 4, 1, 5, 1},
      {MakeUnstable(5, {2}, 2), 4, 1, 5, 1},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    Case& c = cases[i];
    c.u.StableTo(c.index, c.term);
    EXPECT_EQ(c.u.offset(), c.want_offset);
    EXPECT_EQ(c.u.entries().size(), c.want_len);
  }
}

TEST(UnstableTest, StableSnapToOnlyClearsTheSameSnapshot) {
  Unstable u = MakeUnstable(5, {}, 1);
  u.StableSnapTo(3);
  EXPECT_TRUE(u.snapshot().has_value());
  u.StableSnapTo(4);
  EXPECT_FALSE(u.snapshot().has_value());
}

TEST(UnstableTest, TruncateAndAppend) {
  using P = std::pair<uint64_t, uint64_t>;
  struct Case {
    Unstable u;
    EntryVector append;
    uint64_t want_offset;
    std::vector<P> want;
  };
  std::vector<Case> cases = {
      // Appends right after the last entry.
      {MakeUnstable(5, {1}), MakeEntries(6, {1, 1}), 5, {{5, 1}, {6, 1}, {7, 1}}},
      // Replaces everything unstable.
      {MakeUnstable(5, {1}), MakeEntries(5, {2, 2}), 5, {{5, 2}, {6, 2}}},
      {MakeUnstable(5, {1}), MakeEntries(4, {2, 2, 2}), 4, {{4, 2}, {5, 2}, {6, 2}}},
      // Truncates the tail, then appends.
      {MakeUnstable(5, {1, 1, 1}), MakeEntries(6, {2}), 5, {{5, 1}, {6, 2}}},
      {MakeUnstable(5, {1, 1, 1}), MakeEntries(7, {2, 2}), 5, {{5, 1}, {6, 1}, {7, 2}, {8, 2}}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    Case& c = cases[i];
    c.u.TruncateAndAppend(c.append);
    EXPECT_EQ(c.u.offset(), c.want_offset);
    EXPECT_EQ(IndexTerms(c.u.entries()), c.want);
  }
}

TEST(UnstableTest, Slice) {
  Unstable u = MakeUnstable(5, {1, 2, 3});
  using P = std::pair<uint64_t, uint64_t>;
  EXPECT_EQ(IndexTerms(u.Slice(5, 8)), (std::vector<P>{{5, 1}, {6, 2}, {7, 3}}));
  EXPECT_EQ(IndexTerms(u.Slice(6, 7)), (std::vector<P>{{6, 2}}));
  EXPECT_TRUE(u.Slice(6, 6).empty());
}

}  // namespace
}  // namespace raftkv::raft
