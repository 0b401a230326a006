#ifndef RAFTKV_WAL_SEGMENT_H_
#define RAFTKV_WAL_SEGMENT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "raftpb/raft.pb.h"

namespace raftkv::wal {

// The first record of every segment file (RecordType::kSegmentHeader), written together with
// the file before it is renamed into place, so a segment that exists has a complete header.
//
// Payload layout (little endian):
//   u32 magic "RKVW", u32 version (1), u64 sequence, u64 first_index, u64 previous_end,
//   u32 hard_state length, u32 snapshot length (0 = none), HardState bytes, SnapshotMetadata
//   bytes.
//
// The hard state and the latest snapshot marker are repeated in every header so that
// releasing old segments never loses them. previous_end lets recovery notice a previous
// segment that lost records at its end (truncated or zeroed), which nothing else would show.
struct SegmentHeader {
  // Consecutive from 0 for the life of the log; a gap means a segment file is missing.
  uint64_t sequence = 0;
  // The index of the first entry the segment was opened for (entries in it may be lower,
  // when a raft log truncation rewrites a suffix).
  uint64_t first_index = 0;
  // The end of the data in the segment before this one; 0 for the first segment ever.
  uint64_t previous_end = 0;
  raftpb::HardState hard_state;
  std::optional<raftpb::SnapshotMetadata> snapshot;
};

std::string EncodeSegmentHeader(const SegmentHeader& header);
// InvalidArgument when the payload is not a valid header (the caller adds file and offset).
absl::StatusOr<SegmentHeader> DecodeSegmentHeader(absl::string_view payload);

// "<sequence:016x>-<first_index:016x>.wal": names sort in log order.
std::string SegmentFileName(uint64_t sequence, uint64_t first_index);

struct ParsedSegmentName {
  uint64_t sequence = 0;
  uint64_t first_index = 0;
};
// nullopt when name is not a segment file name.
std::optional<ParsedSegmentName> ParseSegmentFileName(absl::string_view name);

// Suffix of a segment being created; such files are removed at open.
inline constexpr absl::string_view kTempSuffix = ".tmp";

}  // namespace raftkv::wal

#endif  // RAFTKV_WAL_SEGMENT_H_
