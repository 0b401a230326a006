#include "raftkv/raft/quorum.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace raftkv::raft {

uint64_t MajorityConfig::CommittedIndex(const AckedIndexer& acked) const {
  if (ids_.empty()) return std::numeric_limits<uint64_t>::max();
  // Small clusters are the norm: a stack array avoids an allocation per commit check.
  uint64_t stack[8];
  std::vector<uint64_t> heap;
  uint64_t* srt = stack;
  if (ids_.size() > 8) {
    heap.resize(ids_.size());
    srt = heap.data();
  }
  size_t n = 0;
  for (uint64_t id : ids_)
    srt[n++] = acked(id).value_or(0);
  std::sort(srt, srt + n);
  // The index acknowledged by a majority is at position n - (n/2 + 1) in ascending order.
  return srt[n - (n / 2 + 1)];
}

VoteResult MajorityConfig::Vote(const absl::flat_hash_map<uint64_t, bool>& votes) const {
  if (ids_.empty()) return VoteResult::kWon;
  size_t yes = 0, missing = 0;
  for (uint64_t id : ids_) {
    auto it = votes.find(id);
    if (it == votes.end()) {
      ++missing;
    } else if (it->second) {
      ++yes;
    }
  }
  size_t q = ids_.size() / 2 + 1;
  if (yes >= q) return VoteResult::kWon;
  if (yes + missing >= q) return VoteResult::kPending;
  return VoteResult::kLost;
}

std::string MajorityConfig::DebugString() const {
  return absl::StrCat("(", absl::StrJoin(ids_, " "), ")");
}

uint64_t JointConfig::CommittedIndex(const AckedIndexer& acked) const {
  return std::min(incoming.CommittedIndex(acked), outgoing.CommittedIndex(acked));
}

VoteResult JointConfig::Vote(const absl::flat_hash_map<uint64_t, bool>& votes) const {
  VoteResult r1 = incoming.Vote(votes);
  VoteResult r2 = outgoing.Vote(votes);
  if (r1 == r2) return r1;
  if (r1 == VoteResult::kLost || r2 == VoteResult::kLost) return VoteResult::kLost;
  return VoteResult::kPending;
}

absl::btree_set<uint64_t> JointConfig::IDs() const {
  absl::btree_set<uint64_t> out = incoming.ids();
  out.insert(outgoing.ids().begin(), outgoing.ids().end());
  return out;
}

std::string JointConfig::DebugString() const {
  if (outgoing.empty()) return incoming.DebugString();
  return absl::StrCat(incoming.DebugString(), "&&", outgoing.DebugString());
}

}  // namespace raftkv::raft
