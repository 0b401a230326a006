#ifndef RAFTKV_WAL_RECOVERY_H_
#define RAFTKV_WAL_RECOVERY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "raftpb/raft.pb.h"
#include "spdlog/logger.h"

namespace raftkv::wal {

// What the WAL held when it was opened.
struct RecoveredState {
  // The last hard state saved (empty for a new log).
  raftpb::HardState hard_state;
  // The latest snapshot marker saved, if any.
  std::optional<raftpb::SnapshotMetadata> snapshot;
  // The log after the snapshot (or from the first index kept when there is none), contiguous
  // and ascending. Later writes at an index replace earlier ones and their suffix, as raft's
  // log truncation requires.
  std::vector<raftpb::Entry> entries;
};

// One segment file found at open.
struct RecoveredSegment {
  uint64_t sequence = 0;
  uint64_t first_index = 0;
  // The highest entry index written to the segment, or first_index - 1 when it holds none.
  uint64_t max_index = 0;
  std::string path;
};

struct RecoveryResult {
  RecoveredState state;
  // Oldest first; the last one is where writing continues.
  std::vector<RecoveredSegment> segments;
  // The index the first segment starts after (its first_index - 1).
  uint64_t initial_base_index = 0;
  // Where the last segment's header ends and where its data ends (the next write goes there).
  uint64_t tail_header_end = 0;
  uint64_t tail_end = 0;
  // The end of a torn tail's leftovers after tail_end (== tail_end when the tail was clean);
  // the WAL zeroes [tail_end, tail_garbage_end) before writing again.
  uint64_t tail_garbage_end = 0;
};

// Reads the segments (paths in sequence order, at least one) and rebuilds the log.
//
// The last segment may end in a torn write: a record that is incomplete or fails its
// checksum, with no intact write (batch-start record) after it. It is cut off, with a warning.
// Anything else is refused with DataLoss naming the file and byte offset: a damaged record in
// any other place, a missing segment (a gap in sequence numbers, or a log that starts after
// what the latest snapshot covers), a segment that lost its end (shorter than the next
// segment's header records), or a gap between entry indexes.
absl::StatusOr<RecoveryResult> RecoverSegments(const std::vector<std::string>& paths,
                                               spdlog::logger& logger);

}  // namespace raftkv::wal

#endif  // RAFTKV_WAL_RECOVERY_H_
