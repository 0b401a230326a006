#ifndef RAFTKV_WAL_LOG_SHAPE_H_
#define RAFTKV_WAL_LOG_SHAPE_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "raftpb/raft.pb.h"

namespace raftkv::wal {

// Which indexes and terms the log holds, without the entries: the index covered by the latest
// snapshot marker (or just before the first segment), the last index, and the term of every
// index in between as runs of equal terms. The WAL keeps one at run time so that it refuses a
// write that recovery would later reject, and applies the same rules recovery applies to the
// full entries (RecoveredLog in recovery.h).
class LogShape {
 public:
  // An empty log whose entries start right after base_index.
  explicit LogShape(uint64_t base_index = 0) : base_index_(base_index), last_index_(base_index) {}

  uint64_t base_index() const { return base_index_; }
  uint64_t last_index() const { return last_index_; }

  // OK when entries can be appended: contiguous, starting in (base_index, last_index + 1].
  absl::Status CheckAppend(const std::vector<raftpb::Entry>& entries) const;

  // Appends (after CheckAppend), replacing any suffix from entries[0].index on.
  void Append(const std::vector<raftpb::Entry>& entries);
  void Append(uint64_t index, uint64_t term);

  // A snapshot marker at (index, term): indexes up to it are covered. Entries after it
  // stay only when the log holds index with the same term (the snapshot agrees with the log);
  // otherwise the log is replaced by the snapshot, as raft does when restoring one.
  void ApplySnapshotMarker(uint64_t index, uint64_t term);

  // Term of index in (base_index, last_index]; 0 otherwise.
  uint64_t TermAt(uint64_t index) const;

 private:
  void TruncateFrom(uint64_t index);

  uint64_t base_index_;
  uint64_t last_index_;
  // (first index, term) of each run of equal terms in (base_index, last_index], ascending.
  std::vector<std::pair<uint64_t, uint64_t>> term_runs_;
};

}  // namespace raftkv::wal

#endif  // RAFTKV_WAL_LOG_SHAPE_H_
