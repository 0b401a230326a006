#ifndef RAFTKV_RAFT_QUORUM_H_
#define RAFTKV_RAFT_QUORUM_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"

namespace raftkv::raft {

enum class VoteResult { kPending, kLost, kWon };

// Looks up a voter's acknowledged log index; nullopt when the voter has no progress.
using AckedIndexer = std::function<std::optional<uint64_t>(uint64_t id)>;

// A set of voters deciding by simple majority.
class MajorityConfig {
 public:
  MajorityConfig() = default;
  explicit MajorityConfig(absl::btree_set<uint64_t> ids) : ids_(std::move(ids)) {}

  // The largest index that a majority has acknowledged. An empty config commits everything
  // (so that it is neutral inside a joint config).
  uint64_t CommittedIndex(const AckedIndexer& acked) const;
  // votes: id -> granted. A missing id has not voted.
  VoteResult Vote(const absl::flat_hash_map<uint64_t, bool>& votes) const;

  const absl::btree_set<uint64_t>& ids() const { return ids_; }
  absl::btree_set<uint64_t>& ids() { return ids_; }
  bool contains(uint64_t id) const { return ids_.contains(id); }
  size_t size() const { return ids_.size(); }
  bool empty() const { return ids_.empty(); }
  std::vector<uint64_t> Slice() const { return {ids_.begin(), ids_.end()}; }
  std::string DebugString() const;

  bool operator==(const MajorityConfig&) const = default;

 private:
  absl::btree_set<uint64_t> ids_;
};

// Two majority configs that must both agree (joint consensus). outgoing is empty when not in
// a joint state.
struct JointConfig {
  MajorityConfig incoming;
  MajorityConfig outgoing;

  uint64_t CommittedIndex(const AckedIndexer& acked) const;
  VoteResult Vote(const absl::flat_hash_map<uint64_t, bool>& votes) const;
  absl::btree_set<uint64_t> IDs() const;
  bool contains(uint64_t id) const { return incoming.contains(id) || outgoing.contains(id); }
  bool joint() const { return !outgoing.empty(); }
  std::string DebugString() const;

  bool operator==(const JointConfig&) const = default;
};

}  // namespace raftkv::raft

#endif  // RAFTKV_RAFT_QUORUM_H_
