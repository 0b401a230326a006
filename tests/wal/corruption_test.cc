// Damaged WAL directories: what recovery must cut off (a torn last write) and what it must
// refuse with a message naming the file and byte offset (everything else).
#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "raftkv/wal/wal.h"
#include "tests/wal/test_util.h"

namespace raftkv::wal {
namespace {

using ::raftkv::wal::testing::FlipByte;
using ::raftkv::wal::testing::MakeEntries;
using ::raftkv::wal::testing::OverwriteBytes;
using ::raftkv::wal::testing::ReadFileOrDie;
using ::raftkv::wal::testing::ReadLayout;
using ::raftkv::wal::testing::ScopedTempDir;
using ::raftkv::wal::testing::SegmentLayout;
using ::raftkv::wal::testing::SegmentPaths;
using ::raftkv::wal::testing::TruncateFile;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr uint64_t kSegmentBytes = 16 * 1024;
constexpr uint64_t kBatch = 5;
constexpr uint64_t kEntrySize = 300;
// About 10 batches per segment, so 123 batches fill a dozen segments and leave the last one
// partly filled with a few batches.
constexpr uint64_t kBatches = 123;
constexpr uint64_t kEntries = kBatch * kBatches;

class CorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Wal::Opened opened = Open().value();
    for (uint64_t i = 1; i <= kEntries; i += kBatch) {
      ASSERT_TRUE(opened.wal->Save(nullptr, MakeEntries(i, kBatch, 1, kEntrySize)).ok());
    }
    opened.wal.reset();
    segments_ = SegmentPaths(dir_.path());
    ASSERT_GE(segments_.size(), 5u);
    ASSERT_GE(ReadLayout(segments_.back()).batch_offsets.size(), 4u)
        << "the last segment should hold a few writes besides its header";
  }

  absl::StatusOr<Wal::Opened> Open() {
    WalOptions options;
    options.segment_bytes = kSegmentBytes;
    return Wal::Open(dir_.path(), options);
  }

  // Opens, expecting success, and returns the last index recovered.
  uint64_t OpenAndGetLastIndex() {
    absl::StatusOr<Wal::Opened> opened = Open();
    EXPECT_TRUE(opened.ok()) << opened.status();
    if (!opened.ok()) return 0;
    const auto& entries = opened->state.entries;
    for (size_t i = 0; i < entries.size(); ++i)
      EXPECT_EQ(entries[i].index(), i + 1);
    return entries.empty() ? 0 : entries.back().index();
  }

  void ExpectRefusedAt(const std::string& path, uint64_t offset) {
    absl::StatusOr<Wal::Opened> opened = Open();
    ASSERT_FALSE(opened.ok());
    EXPECT_TRUE(absl::IsDataLoss(opened.status())) << opened.status();
    EXPECT_THAT(std::string(opened.status().message()),
                AllOf(HasSubstr(path), HasSubstr(absl::StrCat("byte offset ", offset))));
  }

  // Entries (one per record) in the segment up to the record at offset.
  static uint64_t EntriesFrom(const SegmentLayout& layout, uint64_t offset) {
    uint64_t n = 0;
    for (uint64_t o : layout.record_offsets)
      n += o >= offset ? 1 : 0;
    return n;
  }

  ScopedTempDir dir_;
  std::vector<std::string> segments_;
};

TEST_F(CorruptionTest, IntactLogOpens) {
  EXPECT_EQ(OpenAndGetLastIndex(), kEntries);
}

TEST_F(CorruptionTest, FlippedByteInTheMiddleOfAnEarlierSegmentIsRefused) {
  const std::string& path = segments_[2];
  SegmentLayout layout = ReadLayout(path);
  uint64_t record = layout.record_offsets[layout.record_offsets.size() / 2];
  FlipByte(path, record + 40);
  ExpectRefusedAt(path, record);
}

TEST_F(CorruptionTest, FlippedByteInTheLastRecordOfAnEarlierSegmentIsRefused) {
  const std::string& path = segments_[1];
  SegmentLayout layout = ReadLayout(path);
  uint64_t record = layout.record_offsets.back();
  FlipByte(path, record + 20);
  ExpectRefusedAt(path, record);
}

TEST_F(CorruptionTest, FlippedByteInTheMiddleOfTheLastSegmentIsRefused) {
  const std::string& path = segments_.back();
  SegmentLayout layout = ReadLayout(path);
  uint64_t record = layout.batch_offsets[1] + 0;  // the first write after the header
  FlipByte(path, record + 30);
  ExpectRefusedAt(path, record);
  absl::StatusOr<Wal::Opened> opened = Open();
  EXPECT_THAT(std::string(opened.status().message()), HasSubstr("not a torn tail"));
}

TEST_F(CorruptionTest, FlippedLengthFieldInTheMiddleOfTheLastSegmentIsRefused) {
  const std::string& path = segments_.back();
  SegmentLayout layout = ReadLayout(path);
  uint64_t record = layout.record_offsets[3];
  FlipByte(path, record + 1);  // the length: the record now seems to run elsewhere
  ExpectRefusedAt(path, record);
}

TEST_F(CorruptionTest, DamagedSegmentHeaderIsRefused) {
  const std::string& path = segments_.back();
  FlipByte(path, 20);
  ExpectRefusedAt(path, 0);
}

TEST_F(CorruptionTest, FlippedByteInTheLastWriteIsCutAsATornTail) {
  const std::string& path = segments_.back();
  SegmentLayout layout = ReadLayout(path);
  uint64_t record = layout.record_offsets.back();
  FlipByte(path, record + 50);
  EXPECT_EQ(OpenAndGetLastIndex(), kEntries - 1);
}

// Only the last write can be torn, and a torn write may reach the disk in any order of its
// pages: damage at its start with intact records of the same write after it is a tear.
TEST_F(CorruptionTest, DamageAtTheStartOfTheLastWriteIsATornTailEvenWithIntactRecordsAfter) {
  const std::string& path = segments_.back();
  SegmentLayout layout = ReadLayout(path);
  uint64_t last_write = layout.batch_offsets.back();
  FlipByte(path, last_write + 15);
  EXPECT_EQ(OpenAndGetLastIndex(), kEntries - kBatch);
}

TEST_F(CorruptionTest, TruncatedTailIsCutAndWritingContinues) {
  const std::string& path = segments_.back();
  SegmentLayout layout = ReadLayout(path);
  uint64_t record = layout.record_offsets.back();
  TruncateFile(path, record + 100);  // in the middle of the last record
  {
    absl::StatusOr<Wal::Opened> opened = Open();
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ(opened->wal->last_index(), kEntries - 1);
    EXPECT_EQ(std::filesystem::file_size(path), kSegmentBytes);  // preallocated again
    ASSERT_TRUE(opened->wal->Save(nullptr, MakeEntries(kEntries, 3, 2, kEntrySize)).ok());
  }
  EXPECT_EQ(OpenAndGetLastIndex(), kEntries + 2);
}

TEST_F(CorruptionTest, TruncatedTailAtARecordBoundaryLosesOnlyThatRecord) {
  const std::string& path = segments_.back();
  TruncateFile(path, ReadLayout(path).record_offsets.back());
  EXPECT_EQ(OpenAndGetLastIndex(), kEntries - 1);
}

TEST_F(CorruptionTest, TruncatedEarlierSegmentIsRefused) {
  const std::string& path = segments_[3];
  SegmentLayout layout = ReadLayout(path);
  uint64_t record = layout.record_offsets[layout.record_offsets.size() - 2];
  TruncateFile(path, record + 10);
  ExpectRefusedAt(path, record);
}

TEST_F(CorruptionTest, EarlierSegmentTruncatedAtARecordBoundaryIsRefused) {
  const std::string& path = segments_[3];
  SegmentLayout layout = ReadLayout(path);
  uint64_t record = layout.record_offsets.back();
  TruncateFile(path, record);
  ExpectRefusedAt(path, record);
}

TEST_F(CorruptionTest, ZeroFilledTailIsCut) {
  const std::string& path = segments_.back();
  SegmentLayout layout = ReadLayout(path);
  uint64_t from = layout.record_offsets[layout.record_offsets.size() - 2];
  OverwriteBytes(path, from, std::string(layout.end - from, '\0'));
  EXPECT_EQ(OpenAndGetLastIndex(), kEntries - 2);
}

TEST_F(CorruptionTest, ZeroFilledTailOfAnEarlierSegmentIsRefused) {
  const std::string& path = segments_[2];
  SegmentLayout layout = ReadLayout(path);
  uint64_t from = layout.record_offsets[layout.record_offsets.size() - 3];
  OverwriteBytes(path, from, std::string(layout.end - from, '\0'));
  ExpectRefusedAt(path, from);
}

TEST_F(CorruptionTest, ZeroedRecordInTheMiddleOfTheLastSegmentIsRefused) {
  const std::string& path = segments_.back();
  SegmentLayout layout = ReadLayout(path);
  uint64_t record = layout.batch_offsets[1];
  OverwriteBytes(path, record, std::string(64, '\0'));
  ExpectRefusedAt(path, record);
}

TEST_F(CorruptionTest, GarbageAfterTheLastRecordIsCutAndZeroed) {
  const std::string& path = segments_.back();
  SegmentLayout layout = ReadLayout(path);
  std::string garbage = testing::EntryData(1, 1, 700);
  OverwriteBytes(path, layout.end, garbage);
  {
    absl::StatusOr<Wal::Opened> opened = Open();
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ(opened->wal->last_index(), kEntries);
  }
  std::string data = ReadFileOrDie(path);
  EXPECT_EQ(data.substr(layout.end, garbage.size()), std::string(garbage.size(), '\0'));
}

TEST_F(CorruptionTest, MissingMiddleSegmentIsRefused) {
  std::filesystem::remove(segments_[2]);
  absl::StatusOr<Wal::Opened> opened = Open();
  ASSERT_TRUE(absl::IsDataLoss(opened.status())) << opened.status();
  EXPECT_THAT(
      std::string(opened.status().message()),
      AllOf(HasSubstr("sequence 2 is missing"), HasSubstr(segments_[1]), HasSubstr(segments_[3])));
}

TEST_F(CorruptionTest, MissingFirstSegmentIsRefused) {
  std::filesystem::remove(segments_[0]);
  absl::StatusOr<Wal::Opened> opened = Open();
  ASSERT_TRUE(absl::IsDataLoss(opened.status())) << opened.status();
  EXPECT_THAT(std::string(opened.status().message()),
              AllOf(HasSubstr(segments_[1]), HasSubstr("earlier segments are missing")));
}

}  // namespace
}  // namespace raftkv::wal
