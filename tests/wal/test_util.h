#ifndef RAFTKV_TESTS_WAL_TEST_UTIL_H_
#define RAFTKV_TESTS_WAL_TEST_UTIL_H_

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "raftkv/wal/file_util.h"
#include "raftkv/wal/record.h"
#include "raftkv/wal/segment.h"
#include "raftpb/raft.pb.h"

namespace raftkv::wal::testing {

// A fresh directory removed at the end of the test. Under $TEST_TMPDIR when set, else /tmp
// (which must be a real disk for fdatasync to mean anything; it is on our CI machines).
class ScopedTempDir {
 public:
  ScopedTempDir() {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string pattern = absl::StrCat(base != nullptr ? base : "/tmp", "/raftkv-wal-XXXXXX");
    char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~ScopedTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Entry payloads are a function of (index, term), so a reader can tell an intact entry from a
// damaged or misplaced one.
inline std::string EntryData(uint64_t index, uint64_t term, size_t size) {
  std::string data(size, '\0');
  uint64_t x = index * 0x9E3779B97F4A7C15ull ^ term * 0xC2B2AE3D27D4EB4Full;
  for (size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    data[i] = static_cast<char>(x & 0xFF);
  }
  return data;
}

inline raftpb::Entry MakeEntry(uint64_t index, uint64_t term, size_t size = 32) {
  raftpb::Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_data(EntryData(index, term, size));
  return e;
}

inline std::vector<raftpb::Entry> MakeEntries(uint64_t first, uint64_t count, uint64_t term,
                                              size_t size = 32) {
  std::vector<raftpb::Entry> entries;
  for (uint64_t i = 0; i < count; ++i)
    entries.push_back(MakeEntry(first + i, term, size));
  return entries;
}

inline raftpb::HardState MakeHardState(uint64_t term, uint64_t vote, uint64_t commit) {
  raftpb::HardState hs;
  hs.set_term(term);
  hs.set_vote(vote);
  hs.set_commit(commit);
  return hs;
}

// Segment files of a WAL directory in sequence order.
inline std::vector<std::string> SegmentPaths(const std::string& dir) {
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (ParseSegmentFileName(name)) paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

inline std::string ReadFileOrDie(const std::string& path) {
  auto data = ReadWholeFile(path);
  EXPECT_TRUE(data.ok()) << data.status();
  return data.ok() ? *data : std::string();
}

// Offsets of the valid records of a segment, from the header on, and where the data ends.
struct SegmentLayout {
  std::vector<uint64_t> record_offsets;
  // Offsets of the records that begin a write (the header, and the first record of each Save).
  std::vector<uint64_t> batch_offsets;
  uint64_t end = 0;
};

inline SegmentLayout ReadLayout(const std::string& path) {
  std::string data = ReadFileOrDie(path);
  SegmentLayout layout;
  uint64_t offset = 0;
  DecodedRecord record;
  std::string why;
  while (DecodeRecordAt(data, offset, &record, &why) == DecodeOutcome::kRecord) {
    layout.record_offsets.push_back(offset);
    if (record.flags & kFlagBatchStart) layout.batch_offsets.push_back(offset);
    offset += record.framed_size;
  }
  layout.end = offset;
  return layout;
}

inline void OverwriteBytes(const std::string& path, uint64_t offset, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset)),
            static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

inline void FlipByte(const std::string& path, uint64_t offset) {
  std::string data = ReadFileOrDie(path);
  ASSERT_LT(offset, data.size());
  OverwriteBytes(path, offset, std::string(1, static_cast<char>(data[offset] ^ 0x5A)));
}

inline void TruncateFile(const std::string& path, uint64_t size) {
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(size)), 0);
}

}  // namespace raftkv::wal::testing

#endif  // RAFTKV_TESTS_WAL_TEST_UTIL_H_
