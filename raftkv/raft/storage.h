#ifndef RAFTKV_RAFT_STORAGE_H_
#define RAFTKV_RAFT_STORAGE_H_

#include <cstdint>
#include <mutex>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "raftpb/raft.pb.h"

namespace raftkv::raft {

using EntryVector = std::vector<raftpb::Entry>;

// The state raft finds on restart.
struct InitialState {
  raftpb::HardState hard_state;
  raftpb::ConfState conf_state;
};

// Read access to what the host has persisted: the log, the last snapshot and the hard state.
// The consensus core only reads through this interface; the host writes (after handling a
// Ready) with whatever the concrete storage offers. Index 0 is never a real entry: a storage
// always holds a dummy entry (or the snapshot's index/term) just before FirstIndex().
class Storage {
 public:
  virtual ~Storage() = default;

  virtual absl::StatusOr<InitialState> GetInitialState() const = 0;

  // Entries in [lo, hi), at most max_size bytes in total but always at least one entry when
  // any is in range. ErrCompacted when lo < FirstIndex(); ErrEntryUnavailable when hi >
  // LastIndex()+1.
  virtual absl::StatusOr<EntryVector> Entries(uint64_t lo, uint64_t hi,
                                              uint64_t max_size) const = 0;

  // The term of entry i, for i in [FirstIndex()-1, LastIndex()].
  virtual absl::StatusOr<uint64_t> Term(uint64_t i) const = 0;

  virtual uint64_t LastIndex() const = 0;

  // The first index that may be read by Entries(); older ones are in the snapshot.
  virtual uint64_t FirstIndex() const = 0;

  // The latest snapshot. ErrSnapshotTemporarilyUnavailable when it is being made.
  virtual absl::StatusOr<raftpb::Snapshot> GetSnapshot() const = 0;
};

// Size of an entry as counted against MaxSizePerMsg and friends.
inline uint64_t EntrySize(const raftpb::Entry& e) {
  return e.data().size() + 16;
}

// Storage held in memory. Thread-safe, so a host may write it from the raft thread while
// another thread reads it. Used by tests and by hosts as the cache in front of their WAL.
class MemoryStorage : public Storage {
 public:
  MemoryStorage();

  absl::StatusOr<InitialState> GetInitialState() const override;
  absl::StatusOr<EntryVector> Entries(uint64_t lo, uint64_t hi, uint64_t max_size) const override;
  absl::StatusOr<uint64_t> Term(uint64_t i) const override;
  uint64_t LastIndex() const override;
  uint64_t FirstIndex() const override;
  absl::StatusOr<raftpb::Snapshot> GetSnapshot() const override;

  void SetHardState(const raftpb::HardState& hs);

  // Replaces the contents with the snapshot. ErrSnapOutOfDate if older than the current one.
  absl::Status ApplySnapshot(const raftpb::Snapshot& snap);

  // Records a snapshot at index i (which must be applied and <= LastIndex) and returns it.
  absl::StatusOr<raftpb::Snapshot> CreateSnapshot(uint64_t i, const raftpb::ConfState* cs,
                                                  std::string data);

  // Discards entries before compact_index. ErrCompacted if already discarded.
  absl::Status Compact(uint64_t compact_index);

  // Appends entries, replacing any stored entries they conflict with. Entries must be
  // contiguous and may not leave a gap after LastIndex(). Pass an rvalue to avoid a copy.
  absl::Status Append(EntryVector entries);

 private:
  uint64_t FirstIndexLocked() const { return ents_[0].index() + 1; }
  uint64_t LastIndexLocked() const { return ents_[0].index() + ents_.size() - 1; }

  mutable std::mutex mu_;
  raftpb::HardState hard_state_;
  raftpb::Snapshot snapshot_;
  // ents_[0] is a dummy holding the index/term of the last compacted entry.
  EntryVector ents_;
};

}  // namespace raftkv::raft

#endif  // RAFTKV_RAFT_STORAGE_H_
