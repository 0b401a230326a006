#include "raftkv/wal/wal.h"

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/wal/test_util.h"

namespace raftkv::wal {
namespace {

using ::raftkv::wal::testing::MakeEntries;
using ::raftkv::wal::testing::MakeEntry;
using ::raftkv::wal::testing::MakeHardState;
using ::raftkv::wal::testing::ScopedTempDir;
using ::raftkv::wal::testing::SegmentPaths;
using ::testing::HasSubstr;

constexpr uint64_t kSmallSegment = 16 * 1024;

WalOptions SmallSegments() {
  WalOptions options;
  options.segment_bytes = kSmallSegment;
  return options;
}

Wal::Opened OpenOrDie(const std::string& dir, WalOptions options = SmallSegments()) {
  absl::StatusOr<Wal::Opened> opened = Wal::Open(dir, std::move(options));
  EXPECT_TRUE(opened.ok()) << opened.status();
  if (!opened.ok()) std::abort();
  return std::move(*opened);
}

std::vector<uint64_t> Indexes(const std::vector<raftpb::Entry>& entries) {
  std::vector<uint64_t> out;
  for (const raftpb::Entry& e : entries)
    out.push_back(e.index());
  return out;
}

std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (uint64_t i = first; i <= last; ++i)
    out.push_back(i);
  return out;
}

void ExpectEntriesEqual(const std::vector<raftpb::Entry>& got,
                        const std::vector<raftpb::Entry>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].SerializeAsString(), want[i].SerializeAsString()) << "at " << i;
  }
}

TEST(WalTest, NewLogIsEmpty) {
  ScopedTempDir dir;
  Wal::Opened opened = OpenOrDie(dir.path() + "/wal");
  EXPECT_EQ(opened.wal->last_index(), 0u);
  EXPECT_EQ(opened.wal->snapshot_index(), 0u);
  EXPECT_TRUE(opened.state.entries.empty());
  EXPECT_FALSE(opened.state.snapshot.has_value());
  opened.wal.reset();
  Wal::Opened reopened = OpenOrDie(dir.path() + "/wal");
  EXPECT_TRUE(reopened.state.entries.empty());
  EXPECT_EQ(reopened.wal->segment_count(), 1u);
}

TEST(WalTest, RoundTripsEntriesAndHardState) {
  ScopedTempDir dir;
  std::vector<raftpb::Entry> all;
  {
    Wal::Opened opened = OpenOrDie(dir.path());
    for (uint64_t batch = 0; batch < 10; ++batch) {
      auto entries = MakeEntries(batch * 5 + 1, 5, 2, 100);
      raftpb::HardState hs = MakeHardState(2, 1, batch * 5 + 3);
      ASSERT_TRUE(opened.wal->Save(&hs, entries).ok());
      all.insert(all.end(), entries.begin(), entries.end());
    }
    EXPECT_EQ(opened.wal->last_index(), 50u);
  }
  Wal::Opened reopened = OpenOrDie(dir.path());
  ExpectEntriesEqual(reopened.state.entries, all);
  EXPECT_EQ(reopened.state.hard_state.SerializeAsString(),
            MakeHardState(2, 1, 48).SerializeAsString());
  EXPECT_EQ(reopened.wal->last_index(), 50u);
  // Writing continues where the log ended.
  auto more = MakeEntries(51, 3, 3);
  ASSERT_TRUE(reopened.wal->Save(nullptr, more).ok());
  reopened.wal.reset();
  Wal::Opened third = OpenOrDie(dir.path());
  EXPECT_EQ(Indexes(third.state.entries), Range(1, 53));
}

TEST(WalTest, OneSaveIsOneWriteAndOneSync) {
  ScopedTempDir dir;
  Wal::Opened opened = OpenOrDie(dir.path(), WalOptions{});
  const Wal::Stats before = opened.wal->stats();
  raftpb::HardState hs = MakeHardState(1, 1, 0);
  ASSERT_TRUE(opened.wal->Save(&hs, MakeEntries(1, 256, 1, 256)).ok());
  EXPECT_EQ(opened.wal->stats().writes - before.writes, 1u);
  EXPECT_EQ(opened.wal->stats().syncs - before.syncs, 1u);
}

TEST(WalTest, SyncsOnlyWhatRaftNeedsDurable) {
  ScopedTempDir dir;
  Wal::Opened opened = OpenOrDie(dir.path());
  Wal& wal = *opened.wal;
  raftpb::HardState hs = MakeHardState(1, 1, 0);
  ASSERT_TRUE(wal.Save(&hs, {}).ok());  // new term and vote: synced
  EXPECT_EQ(wal.stats().syncs, 1u);
  ASSERT_TRUE(wal.Save(&hs, {}).ok());  // unchanged: nothing at all
  EXPECT_EQ(wal.stats().writes, 1u);
  hs.set_commit(5);  // commit only: written, not synced
  ASSERT_TRUE(wal.Save(&hs, {}).ok());
  EXPECT_EQ(wal.stats().writes, 2u);
  EXPECT_EQ(wal.stats().syncs, 1u);
  ASSERT_TRUE(wal.Save(nullptr, MakeEntries(1, 1, 1)).ok());  // entries: synced
  EXPECT_EQ(wal.stats().syncs, 2u);
  opened.wal.reset();
  EXPECT_EQ(OpenOrDie(dir.path()).state.hard_state.commit(), 5u);
}

TEST(WalTest, RollsOverIntoManySegments) {
  ScopedTempDir dir;
  {
    Wal::Opened opened = OpenOrDie(dir.path());
    raftpb::HardState hs;
    for (uint64_t i = 1; i <= 400; i += 4) {
      hs = MakeHardState(1 + i / 100, 1, i);
      ASSERT_TRUE(opened.wal->Save(&hs, MakeEntries(i, 4, 1 + i / 100, 300)).ok());
    }
    EXPECT_GT(opened.wal->segment_count(), 5u);
    EXPECT_EQ(opened.wal->stats().segments_created, opened.wal->segment_count());
  }
  std::vector<std::string> segments = SegmentPaths(dir.path());
  EXPECT_GT(segments.size(), 5u);
  for (const std::string& path : segments) {
    EXPECT_EQ(std::filesystem::file_size(path), kSmallSegment) << path;  // preallocated
  }
  Wal::Opened reopened = OpenOrDie(dir.path());
  EXPECT_EQ(Indexes(reopened.state.entries), Range(1, 400));
  for (const raftpb::Entry& e : reopened.state.entries) {
    EXPECT_EQ(e.data(), testing::EntryData(e.index(), e.term(), 300));
  }
  EXPECT_EQ(reopened.state.hard_state.commit(), 397u);
}

TEST(WalTest, ABatchLargerThanASegmentGetsItsOwnSegment) {
  ScopedTempDir dir;
  {
    Wal::Opened opened = OpenOrDie(dir.path());
    ASSERT_TRUE(opened.wal->Save(nullptr, MakeEntries(1, 2, 1)).ok());
    ASSERT_TRUE(opened.wal->Save(nullptr, MakeEntries(3, 100, 1, 1000)).ok());
    ASSERT_TRUE(opened.wal->Save(nullptr, MakeEntries(103, 2, 1)).ok());
    EXPECT_EQ(opened.wal->segment_count(), 3u);
  }
  EXPECT_EQ(Indexes(OpenOrDie(dir.path()).state.entries), Range(1, 104));
}

TEST(WalTest, LaterEntriesReplaceTheSuffixTheyConflictWith) {
  ScopedTempDir dir;
  {
    Wal::Opened opened = OpenOrDie(dir.path());
    ASSERT_TRUE(opened.wal->Save(nullptr, MakeEntries(1, 10, 1)).ok());
    // A new leader overwrites 6..10 with a shorter log of its own term.
    ASSERT_TRUE(opened.wal->Save(nullptr, MakeEntries(6, 2, 2)).ok());
    EXPECT_EQ(opened.wal->last_index(), 7u);
    ASSERT_TRUE(opened.wal->Save(nullptr, MakeEntries(8, 1, 2)).ok());
  }
  Wal::Opened reopened = OpenOrDie(dir.path());
  std::vector<raftpb::Entry> want = MakeEntries(1, 5, 1);
  for (const raftpb::Entry& e : MakeEntries(6, 3, 2))
    want.push_back(e);
  ExpectEntriesEqual(reopened.state.entries, want);
}

TEST(WalTest, TruncationAcrossSegments) {
  ScopedTempDir dir;
  {
    Wal::Opened opened = OpenOrDie(dir.path());
    for (uint64_t i = 1; i <= 200; i += 10) {
      ASSERT_TRUE(opened.wal->Save(nullptr, MakeEntries(i, 10, 1, 400)).ok());
    }
    ASSERT_GT(opened.wal->segment_count(), 3u);
    ASSERT_TRUE(opened.wal->Save(nullptr, MakeEntries(50, 5, 3)).ok());
  }
  Wal::Opened reopened = OpenOrDie(dir.path());
  EXPECT_EQ(Indexes(reopened.state.entries), Range(1, 54));
  EXPECT_EQ(reopened.state.entries[48].term(), 1u);
  EXPECT_EQ(reopened.state.entries[49].term(), 3u);
}

TEST(WalTest, RefusesEntriesThatWouldLeaveAGap) {
  ScopedTempDir dir;
  Wal::Opened opened = OpenOrDie(dir.path());
  ASSERT_TRUE(opened.wal->Save(nullptr, MakeEntries(1, 3, 1)).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(opened.wal->Save(nullptr, MakeEntries(5, 1, 1))));
  std::vector<raftpb::Entry> holey = {MakeEntry(4, 1), MakeEntry(6, 1)};
  EXPECT_TRUE(absl::IsInvalidArgument(opened.wal->Save(nullptr, holey)));
  EXPECT_TRUE(absl::IsInvalidArgument(opened.wal->Save(nullptr, MakeEntries(0, 1, 1))));
  EXPECT_TRUE(opened.wal->Save(nullptr, MakeEntries(4, 1, 1)).ok());
}

TEST(WalTest, SecondOpenOfTheSameDirectoryIsRefused) {
  ScopedTempDir dir;
  Wal::Opened opened = OpenOrDie(dir.path());
  absl::StatusOr<Wal::Opened> second = Wal::Open(dir.path(), SmallSegments());
  EXPECT_TRUE(absl::IsFailedPrecondition(second.status())) << second.status();
}

raftpb::SnapshotMetadata Marker(uint64_t index, uint64_t term) {
  raftpb::SnapshotMetadata m;
  m.set_index(index);
  m.set_term(term);
  m.mutable_conf_state()->add_voters(1);
  return m;
}

TEST(WalTest, SnapshotMarkerThatAgreesKeepsTheLogAfterIt) {
  ScopedTempDir dir;
  {
    Wal::Opened opened = OpenOrDie(dir.path());
    ASSERT_TRUE(opened.wal->Save(nullptr, MakeEntries(1, 20, 2)).ok());
    ASSERT_TRUE(opened.wal->SaveSnapshotMarker(Marker(10, 2)).ok());
    EXPECT_EQ(opened.wal->snapshot_index(), 10u);
    EXPECT_EQ(opened.wal->last_index(), 20u);
  }
  Wal::Opened reopened = OpenOrDie(dir.path());
  ASSERT_TRUE(reopened.state.snapshot.has_value());
  EXPECT_EQ(reopened.state.snapshot->index(), 10u);
  EXPECT_EQ(reopened.state.snapshot->conf_state().voters_size(), 1);
  EXPECT_EQ(Indexes(reopened.state.entries), Range(11, 20));
}

TEST(WalTest, SnapshotMarkerThatDisagreesReplacesTheLog) {
  ScopedTempDir dir;
  {
    Wal::Opened opened = OpenOrDie(dir.path());
    ASSERT_TRUE(opened.wal->Save(nullptr, MakeEntries(1, 20, 2)).ok());
    ASSERT_TRUE(opened.wal->SaveSnapshotMarker(Marker(15, 3)).ok());  // term differs
    EXPECT_EQ(opened.wal->last_index(), 15u);
    ASSERT_TRUE(opened.wal->Save(nullptr, MakeEntries(16, 2, 3)).ok());
  }
  Wal::Opened reopened = OpenOrDie(dir.path());
  EXPECT_EQ(Indexes(reopened.state.entries), Range(16, 17));
  EXPECT_EQ(reopened.state.entries[0].term(), 3u);
}

TEST(WalTest, SnapshotMarkerBeyondTheLog) {
  ScopedTempDir dir;
  {
    Wal::Opened opened = OpenOrDie(dir.path());
    ASSERT_TRUE(opened.wal->Save(nullptr, MakeEntries(1, 5, 1)).ok());
    ASSERT_TRUE(opened.wal->SaveSnapshotMarker(Marker(100, 4)).ok());
    EXPECT_TRUE(absl::IsInvalidArgument(opened.wal->Save(nullptr, MakeEntries(6, 1, 4))));
    ASSERT_TRUE(opened.wal->Save(nullptr, MakeEntries(101, 1, 4)).ok());
    EXPECT_TRUE(opened.wal->SaveSnapshotMarker(Marker(100, 4)).ok());  // again: no-op
    EXPECT_TRUE(absl::IsFailedPrecondition(opened.wal->SaveSnapshotMarker(Marker(50, 1))));
  }
  Wal::Opened reopened = OpenOrDie(dir.path());
  EXPECT_EQ(reopened.state.snapshot->index(), 100u);
  EXPECT_EQ(Indexes(reopened.state.entries), Range(101, 101));
}

TEST(WalTest, ReleasesSegmentsCoveredByASnapshot) {
  ScopedTempDir dir;
  raftpb::HardState hs = MakeHardState(7, 2, 0);
  {
    Wal::Opened opened = OpenOrDie(dir.path());
    Wal& wal = *opened.wal;
    ASSERT_TRUE(wal.Save(&hs, {}).ok());
    for (uint64_t i = 1; i <= 300; i += 10) {
      ASSERT_TRUE(wal.Save(nullptr, MakeEntries(i, 10, 7, 400)).ok());
    }
    size_t before = wal.segment_count();
    ASSERT_GT(before, 5u);
    // Not past the snapshot.
    EXPECT_TRUE(absl::IsFailedPrecondition(wal.ReleaseUpTo(200)));
    ASSERT_TRUE(wal.SaveSnapshotMarker(Marker(200, 7)).ok());
    ASSERT_TRUE(wal.ReleaseUpTo(200).ok());
    EXPECT_LT(wal.segment_count(), before);
    EXPECT_EQ(wal.stats().segments_released, before - wal.segment_count());
    EXPECT_EQ(SegmentPaths(dir.path()).size(), wal.segment_count());
  }
  Wal::Opened reopened = OpenOrDie(dir.path());
  // The hard state and the marker were only in released segments' records; the headers
  // carried them forward.
  EXPECT_EQ(reopened.state.hard_state.SerializeAsString(), hs.SerializeAsString());
  EXPECT_EQ(reopened.state.snapshot->index(), 200u);
  EXPECT_EQ(Indexes(reopened.state.entries), Range(201, 300));
}

// Found by the crash test: the write that opened a segment is torn away, so the segment's
// entries start later than its header says; once the previous segment, which held the entries
// in between, is released behind a snapshot, the log must still open.
TEST(WalTest, SegmentWhoseOpeningWriteWasTornAndWhosePredecessorWasReleased) {
  ScopedTempDir dir;
  {
    Wal::Opened opened = OpenOrDie(dir.path());
    for (uint64_t i = 1; i <= 40; i += 10) {
      ASSERT_TRUE(opened.wal->Save(nullptr, MakeEntries(i, 10, 1, 300)).ok());
    }
    // A rewrite from 38 that does not fit: it opens segment 1, whose header says 38.
    ASSERT_TRUE(opened.wal->Save(nullptr, MakeEntries(38, 15, 2, 300)).ok());
    ASSERT_EQ(opened.wal->segment_count(), 2u);
  }
  // Tear that write away entirely.
  std::string second = SegmentPaths(dir.path())[1];
  testing::SegmentLayout layout = testing::ReadLayout(second);
  testing::OverwriteBytes(second, layout.record_offsets[1],
                          std::string(layout.end - layout.record_offsets[1], '\0'));
  {
    Wal::Opened opened = OpenOrDie(dir.path());
    ASSERT_EQ(opened.wal->last_index(), 40u);
    ASSERT_TRUE(opened.wal->Save(nullptr, MakeEntries(41, 5, 1, 300)).ok());
    ASSERT_TRUE(opened.wal->SaveSnapshotMarker(Marker(45, 1)).ok());
    ASSERT_TRUE(opened.wal->ReleaseUpTo(45).ok());
    ASSERT_EQ(opened.wal->segment_count(), 1u);
    ASSERT_TRUE(opened.wal->Save(nullptr, MakeEntries(46, 2, 1, 300)).ok());
  }
  Wal::Opened reopened = OpenOrDie(dir.path());
  EXPECT_EQ(reopened.state.snapshot->index(), 45u);
  EXPECT_EQ(Indexes(reopened.state.entries), Range(46, 47));
}

TEST(WalTest, ReleaseKeepsTheSegmentBeingWritten) {
  ScopedTempDir dir;
  Wal::Opened opened = OpenOrDie(dir.path());
  ASSERT_TRUE(opened.wal->Save(nullptr, MakeEntries(1, 10, 1)).ok());
  ASSERT_TRUE(opened.wal->SaveSnapshotMarker(Marker(10, 1)).ok());
  ASSERT_TRUE(opened.wal->ReleaseUpTo(10).ok());
  EXPECT_EQ(opened.wal->segment_count(), 1u);
  opened.wal.reset();
  Wal::Opened reopened = OpenOrDie(dir.path());
  EXPECT_TRUE(reopened.state.entries.empty());
  EXPECT_EQ(reopened.wal->last_index(), 10u);
}

TEST(WalTest, RemovesHalfCreatedSegments) {
  ScopedTempDir dir;
  {
    Wal::Opened opened = OpenOrDie(dir.path());
    ASSERT_TRUE(opened.wal->Save(nullptr, MakeEntries(1, 3, 1)).ok());
  }
  std::string leftover = dir.path() + "/" + SegmentFileName(1, 4) + ".tmp";
  {
    std::FILE* f = std::fopen(leftover.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("half a header", f);
    std::fclose(f);
  }
  Wal::Opened reopened = OpenOrDie(dir.path());
  EXPECT_EQ(Indexes(reopened.state.entries), Range(1, 3));
  EXPECT_FALSE(std::filesystem::exists(leftover));
}

TEST(WalTest, ZeroFilledPreallocationWorksTheSame) {
  ScopedTempDir dir;
  WalOptions options = SmallSegments();
  options.preallocation = Preallocation::kZeroFill;
  {
    Wal::Opened opened = OpenOrDie(dir.path(), options);
    for (uint64_t i = 1; i <= 100; i += 10) {
      ASSERT_TRUE(opened.wal->Save(nullptr, MakeEntries(i, 10, 1, 300)).ok());
    }
  }
  EXPECT_EQ(Indexes(OpenOrDie(dir.path(), options).state.entries), Range(1, 100));
}

}  // namespace
}  // namespace raftkv::wal
