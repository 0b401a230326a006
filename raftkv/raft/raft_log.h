#ifndef RAFTKV_RAFT_RAFT_LOG_H_
#define RAFTKV_RAFT_RAFT_LOG_H_

#include <cstdint>
#include <limits>
#include <optional>

#include "raftkv/raft/storage.h"
#include "raftkv/raft/unstable.h"

namespace raftkv::raft {

inline constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();

// The log as raft sees it: what the host persisted (Storage) followed by what it has not yet
// (Unstable), plus the commit and apply positions.
class RaftLog {
 public:
  // storage must outlive the log. max_next_ents_size caps the bytes of committed entries
  // handed out per Ready.
  RaftLog(const Storage* storage, uint64_t max_next_ents_size);

  // Handles an append from the leader: entries after (index, log_term). Returns the new last
  // index when the log matched, nullopt when it did not.
  std::optional<uint64_t> MaybeAppend(uint64_t index, uint64_t log_term, uint64_t committed,
                                      EntryVector ents);
  uint64_t Append(EntryVector ents);

  // The index of the first entry of ents that conflicts with the log (or is new); 0 if none.
  uint64_t FindConflict(const EntryVector& ents) const;
  // The largest index <= index whose term is <= term (fast backtracking on rejection).
  std::pair<uint64_t, uint64_t> FindConflictByTerm(uint64_t index, uint64_t term) const;

  EntryVector UnstableEntries() const { return unstable_.entries(); }
  // Committed entries not yet handed out for applying.
  EntryVector NextCommittedEntries() const;
  bool HasNextCommittedEntries() const;
  bool HasPendingSnapshot() const { return unstable_.snapshot().has_value(); }
  absl::StatusOr<raftpb::Snapshot> Snapshot() const;

  uint64_t FirstIndex() const;
  uint64_t LastIndex() const;
  // The last index the host has persisted (the log before the unstable part).
  uint64_t StableLastIndex() const;
  uint64_t LastTerm() const;
  absl::StatusOr<uint64_t> Term(uint64_t i) const;
  // Term(i), or 0 when i is compacted or unavailable.
  uint64_t ZeroTermOnError(uint64_t i) const;
  bool MatchTerm(uint64_t i, uint64_t term) const;
  absl::StatusOr<EntryVector> Entries(uint64_t i, uint64_t max_size) const;
  // Whether a log ending in (last_index, term) is at least as up to date as this one.
  bool IsUpToDate(uint64_t last_index, uint64_t term) const;

  void CommitTo(uint64_t to_commit);
  bool MaybeCommit(uint64_t max_index, uint64_t term);
  void AppliedTo(uint64_t i);
  void StableTo(uint64_t i, uint64_t t) { unstable_.StableTo(i, t); }
  void StableSnapTo(uint64_t i) { unstable_.StableSnapTo(i); }
  void Restore(const raftpb::Snapshot& snap);

  // Entries in [lo, hi) up to max_size bytes (at least one).
  absl::StatusOr<EntryVector> Slice(uint64_t lo, uint64_t hi, uint64_t max_size) const;

  uint64_t committed() const { return committed_; }
  uint64_t applied() const { return applied_; }
  const Unstable& unstable() const { return unstable_; }
  std::string DebugString() const;

 private:
  absl::Status CheckOutOfBounds(uint64_t lo, uint64_t hi) const;

  const Storage* storage_;
  Unstable unstable_;
  uint64_t committed_;
  uint64_t applied_;
  uint64_t max_next_ents_size_;
};

}  // namespace raftkv::raft

#endif  // RAFTKV_RAFT_RAFT_LOG_H_
