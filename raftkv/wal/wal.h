#ifndef RAFTKV_WAL_WAL_H_
#define RAFTKV_WAL_WAL_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "raftkv/wal/file_util.h"
#include "raftkv/wal/log_shape.h"
#include "raftkv/wal/recovery.h"
#include "raftpb/raft.pb.h"
#include "spdlog/logger.h"

namespace raftkv::wal {

enum class Preallocation {
  // posix_fallocate: instant, but on ext4/xfs the blocks are "unwritten" extents, so the first
  // write to each block also commits a metadata change in the fdatasync that follows it.
  kFallocate,
  // Write zeros over the whole segment when creating it: costs a segment's worth of I/O per
  // segment, after which an append's fdatasync only flushes data.
  kZeroFill,
};

struct WalOptions {
  // Segments are preallocated to this size; a write that would pass it goes to a new segment
  // (a single write larger than a segment gets a segment of its own, grown to fit).
  uint64_t segment_bytes = 64ull << 20;
  Preallocation preallocation = Preallocation::kFallocate;
  // Where events are logged; spdlog's default logger when null.
  std::shared_ptr<spdlog::logger> logger;
};

// The raft log on disk: hard state, entries and snapshot markers in segmented, preallocated,
// append-only files named <sequence>-<first index>.wal in one directory, each record framed
// and checksummed as record.h describes, each segment starting with the header in segment.h.
//
// Group commit: one Save (one Ready) is one write(2) and at most one fdatasync, however many
// entries it carries. Not thread-safe: one thread (the raft thread or the WAL writer) owns it.
// After a failed write or sync the Wal refuses every later call with the same error, since
// after a failed fdatasync the page cache no longer says what is on disk.
class Wal {
 public:
  struct Opened {
    std::unique_ptr<Wal> wal;
    RecoveredState state;
  };

  // Opens the log in dir, creating the directory and an empty log when there is none, and
  // returns it with what it holds. Takes an exclusive lock on dir (FailedPrecondition if
  // another Wal holds it). Removes segments left half-created by a crash, cuts off a torn
  // last write (logging a warning), and refuses with DataLoss whose message names the file
  // and byte offset when anything else is damaged or missing (see RecoverSegments).
  static absl::StatusOr<Opened> Open(const std::string& dir, WalOptions options);

  // Only Open can name this tag, so only Open constructs a Wal.
  class PrivateTag {
    friend class Wal;
    explicit PrivateTag() = default;
  };
  Wal(PrivateTag, std::string dir, WalOptions options, UniqueFd lock);
  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Appends entries (which replace any saved entries from entries[0].index on, and must fit
  // the log: contiguous, starting after the snapshot marker and at most last_index() + 1) and
  // the hard state (when given and changed), in one write. Returns once they are durable:
  // fdatasync runs when there are entries or the term or vote changed, which is exactly
  // raft's Ready::must_sync; a hard state that differs only in commit is written but not
  // synced, since raft recomputes commit after a crash. Nothing to write costs nothing.
  // A Save interrupted by a crash (it never returned) may survive in part: a prefix of its
  // records, such as its entries without the hard state written after them. Raft is safe
  // with that, as with etcd's WAL: nothing was acknowledged or promised from that Save.
  absl::Status Save(const raftpb::HardState* hard_state, const std::vector<raftpb::Entry>& entries);

  // Records that a snapshot covers the log up to metadata.index(), durably. Entries after it
  // stay if the log holds metadata.index() with metadata.term(); otherwise the log is replaced
  // by the snapshot (raft restoring a snapshot that disagrees with its log). Saving the
  // current marker again is a no-op; an older one is FailedPrecondition.
  absl::Status SaveSnapshotMarker(const raftpb::SnapshotMetadata& metadata);

  // Deletes every segment, except the one being written, whose entries all have index <=
  // covered_index. covered_index may not pass the latest snapshot marker (FailedPrecondition):
  // after a restart the log must still start right after a snapshot, because raft needs the
  // term at FirstIndex() - 1. A host that releases behind its durable applied index first
  // saves a marker for that index (no data is copied for it).
  absl::Status ReleaseUpTo(uint64_t covered_index);

  uint64_t last_index() const { return shape_.last_index(); }
  // The latest snapshot marker's index, 0 without one.
  uint64_t snapshot_index() const { return snapshot_ ? snapshot_->index() : 0; }
  size_t segment_count() const { return segments_.size(); }
  const std::string& dir() const { return dir_; }

  struct Stats {
    uint64_t writes = 0;
    uint64_t syncs = 0;
    uint64_t bytes_written = 0;
    uint64_t segments_created = 0;
    uint64_t segments_released = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Segment {
    uint64_t sequence = 0;
    uint64_t first_index = 0;
    uint64_t max_index = 0;  // highest entry index written, first_index - 1 when none
    std::string path;
  };

  absl::Status CreateFirstSegment();
  absl::Status ResumeAfterRecovery(RecoveryResult& recovery);
  // Creates segment (sequence, first_index) holding only its header and makes it the one
  // being written.
  absl::Status StartSegment(uint64_t sequence, uint64_t first_index);
  absl::Status FillNewSegment(int fd, const std::string& path, absl::string_view header);
  // Moves to a new segment when buffer_ would not fit in the current one.
  absl::Status RollOverIfFull(uint64_t next_first_index);
  // Writes buffer_ at the end of the current segment, then fdatasyncs if sync.
  absl::Status WriteBuffer(bool sync);
  // Remembers err as the Wal's permanent failure and returns it.
  absl::Status Fail(absl::Status err);

  std::string dir_;
  WalOptions options_;
  std::shared_ptr<spdlog::logger> logger_;
  UniqueFd lock_;
  absl::Status failure_;

  std::deque<Segment> segments_;  // oldest first; back() is being written
  UniqueFd active_fd_;
  uint64_t active_end_ = 0;         // where the next write goes
  uint64_t active_header_end_ = 0;  // the end of the segment header
  bool active_unsynced_ = false;    // a write since the last fdatasync

  raftpb::HardState hard_state_;
  std::optional<raftpb::SnapshotMetadata> snapshot_;
  LogShape shape_;
  std::string buffer_;  // reused for each write
  Stats stats_;
};

}  // namespace raftkv::wal

#endif  // RAFTKV_WAL_WAL_H_
