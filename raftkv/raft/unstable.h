#ifndef RAFTKV_RAFT_UNSTABLE_H_
#define RAFTKV_RAFT_UNSTABLE_H_

#include <cstdint>
#include <optional>

#include "raftkv/raft/storage.h"

namespace raftkv::raft {

// The tail of the log (and possibly a snapshot) that the host has not yet persisted.
// entries_[i] has index offset_ + i. When a snapshot is pending, offset_ is its index + 1.
class Unstable {
 public:
  explicit Unstable(uint64_t offset) : offset_(offset) {}

  // The first index of the log if only the pending snapshot is known.
  std::optional<uint64_t> MaybeFirstIndex() const;
  std::optional<uint64_t> MaybeLastIndex() const;
  std::optional<uint64_t> MaybeTerm(uint64_t i) const;

  // The host persisted entries up to (i, t): drop them, unless a later append replaced them.
  void StableTo(uint64_t i, uint64_t t);
  void StableSnapTo(uint64_t i);
  void Restore(const raftpb::Snapshot& snap);
  void TruncateAndAppend(EntryVector ents);
  // Entries in [lo, hi); both must lie within the unstable range.
  EntryVector Slice(uint64_t lo, uint64_t hi) const;

  uint64_t offset() const { return offset_; }
  const EntryVector& entries() const { return entries_; }
  const std::optional<raftpb::Snapshot>& snapshot() const { return snapshot_; }

 private:
  std::optional<raftpb::Snapshot> snapshot_;
  EntryVector entries_;
  uint64_t offset_;
};

}  // namespace raftkv::raft

#endif  // RAFTKV_RAFT_UNSTABLE_H_
