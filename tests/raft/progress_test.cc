#include "raftkv/raft/progress.h"

#include <gtest/gtest.h>

namespace raftkv::raft {
namespace {

Progress MakeProgress(ProgressState state, uint64_t match, uint64_t next,
                      uint64_t pending_snapshot = 0) {
  Progress pr(next, 256, 0, false);
  pr.match = match;
  if (state == ProgressState::kReplicate) {
    pr.BecomeReplicate();
    pr.next = next;
  } else if (state == ProgressState::kSnapshot) {
    pr.BecomeSnapshot(pending_snapshot);
  }
  return pr;
}

TEST(ProgressTest, BecomeProbeFromReplicateRestartsAfterMatch) {
  Progress pr = MakeProgress(ProgressState::kReplicate, 1, 5);
  pr.SentEntries(7, 10);
  pr.BecomeProbe();
  EXPECT_EQ(pr.state, ProgressState::kProbe);
  EXPECT_EQ(pr.next, 2u);
  EXPECT_EQ(pr.inflights.Count(), 0u);
}

TEST(ProgressTest, BecomeProbeAfterSnapshotResumesAfterIt) {
  // The snapshot is known to be installed (or was at least sent): continue after it.
  Progress pr = MakeProgress(ProgressState::kSnapshot, 1, 5, 10);
  pr.BecomeProbe();
  EXPECT_EQ(pr.next, 11u);
  EXPECT_EQ(pr.pending_snapshot, 0u);
  // A match beyond the snapshot wins.
  Progress ahead = MakeProgress(ProgressState::kSnapshot, 12, 13, 10);
  ahead.BecomeProbe();
  EXPECT_EQ(ahead.next, 13u);
}

TEST(ProgressTest, BecomeReplicateAndSnapshot) {
  Progress pr = MakeProgress(ProgressState::kProbe, 1, 5);
  pr.BecomeReplicate();
  EXPECT_EQ(pr.state, ProgressState::kReplicate);
  EXPECT_EQ(pr.next, 2u);
  pr.BecomeSnapshot(10);
  EXPECT_EQ(pr.state, ProgressState::kSnapshot);
  EXPECT_EQ(pr.match, 1u);
  EXPECT_EQ(pr.pending_snapshot, 10u);
}

TEST(ProgressTest, MaybeUpdate) {
  const uint64_t match = 3, next = 5;
  struct Case {
    uint64_t update;
    uint64_t want_match, want_next;
    bool want_ok;
  };
  for (const Case& c : std::vector<Case>{{match - 1, match, next, false},
                                         {match, match, next, false},
                                         {match + 1, match + 1, next, true},
                                         {match + 2, match + 2, next + 1, true}}) {
    SCOPED_TRACE(c.update);
    Progress pr = MakeProgress(ProgressState::kProbe, match, next);
    EXPECT_EQ(pr.MaybeUpdate(c.update), c.want_ok);
    EXPECT_EQ(pr.match, c.want_match);
    EXPECT_EQ(pr.next, c.want_next);
  }
}

TEST(ProgressTest, MaybeDecrTo) {
  struct Case {
    ProgressState state;
    uint64_t match, next, rejected, hint;
    bool want_ok;
    uint64_t want_next;
  };
  std::vector<Case> cases = {
      // Replicate: a rejection at or below match is stale.
      {ProgressState::kReplicate, 5, 10, 5, 5, false, 10},
      {ProgressState::kReplicate, 5, 10, 4, 4, false, 10},
      // Replicate: a fresh rejection falls back to match + 1.
      {ProgressState::kReplicate, 5, 10, 9, 9, true, 6},
      // Probe: only a rejection of the last probe (next - 1) counts.
      {ProgressState::kProbe, 0, 0, 0, 0, false, 0},
      {ProgressState::kProbe, 0, 10, 5, 5, false, 10},
      // Probe: the hint moves next back directly, never below 1.
      {ProgressState::kProbe, 0, 10, 9, 9, true, 9},
      {ProgressState::kProbe, 0, 2, 1, 1, true, 1},
      {ProgressState::kProbe, 0, 1, 0, 0, true, 1},
      {ProgressState::kProbe, 0, 10, 9, 2, true, 3},
      {ProgressState::kProbe, 0, 10, 9, 0, true, 1},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    const Case& c = cases[i];
    Progress pr = MakeProgress(c.state, c.match, c.next);
    EXPECT_EQ(pr.MaybeDecrTo(c.rejected, c.hint), c.want_ok);
    EXPECT_EQ(pr.match, c.match);
    EXPECT_EQ(pr.next, c.want_next);
  }
}

TEST(ProgressTest, ProbeIsPausedAfterOneAppendUntilAnAckOrRejection) {
  Progress pr = MakeProgress(ProgressState::kProbe, 0, 2);
  EXPECT_FALSE(pr.IsPaused());
  pr.SentEntries(3, 10);
  EXPECT_TRUE(pr.IsPaused());
  // Probing does not move next optimistically.
  EXPECT_EQ(pr.next, 2u);
  EXPECT_TRUE(pr.MaybeDecrTo(1, 0));
  EXPECT_FALSE(pr.IsPaused());
  pr.SentEntries(3, 10);
  EXPECT_TRUE(pr.MaybeUpdate(2));
  EXPECT_FALSE(pr.IsPaused());
}

TEST(ProgressTest, ReplicateIsPausedWhenTheWindowIsFull) {
  Progress pr(1, 2, 0, false);
  pr.BecomeReplicate();
  pr.SentEntries(3, 10);
  EXPECT_EQ(pr.next, 4u);
  EXPECT_FALSE(pr.IsPaused());
  pr.SentEntries(5, 10);
  EXPECT_EQ(pr.next, 6u);
  EXPECT_TRUE(pr.IsPaused());
  pr.inflights.FreeLE(3);
  EXPECT_FALSE(pr.IsPaused());
}

TEST(ProgressTest, SnapshotIsAlwaysPaused) {
  Progress pr = MakeProgress(ProgressState::kSnapshot, 0, 1, 10);
  EXPECT_TRUE(pr.IsPaused());
}

TEST(ProgressDeathTest, SendingEntriesWhileSnapshottingPanics) {
  Progress pr = MakeProgress(ProgressState::kSnapshot, 0, 1, 10);
  EXPECT_DEATH(pr.SentEntries(5, 10), "");
}

}  // namespace
}  // namespace raftkv::raft
