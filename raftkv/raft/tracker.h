#ifndef RAFTKV_RAFT_TRACKER_H_
#define RAFTKV_RAFT_TRACKER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "raftkv/raft/progress.h"
#include "raftkv/raft/quorum.h"
#include "raftpb/raft.pb.h"

namespace raftkv::raft {

// Membership: voters (possibly joint), learners, and learners-to-be.
struct TrackerConfig {
  JointConfig voters;
  // Leave the joint config automatically once it is committed.
  bool auto_leave = false;
  absl::btree_set<uint64_t> learners;
  // Voters of the outgoing config that become learners when the joint config is left. A
  // member cannot be voter and learner at once, so they wait here.
  absl::btree_set<uint64_t> learners_next;

  std::string DebugString() const;
  bool operator==(const TrackerConfig&) const = default;
};

// Ordered by id so that iteration (and so the order of messages) is deterministic.
using ProgressMap = std::map<uint64_t, Progress>;

// The leader's bookkeeping: membership, per-member progress and, in elections, votes.
class ProgressTracker {
 public:
  ProgressTracker(size_t max_inflight, uint64_t max_inflight_bytes)
      : max_inflight_(max_inflight), max_inflight_bytes_(max_inflight_bytes) {}

  raftpb::ConfState ConfState() const;
  bool IsSingleton() const {
    return config.voters.incoming.size() == 1 && config.voters.outgoing.empty();
  }
  // The largest index acknowledged by a quorum of voters.
  uint64_t Committed() const;
  // Whether the members heard from since the last check form a quorum.
  bool QuorumActive() const;
  std::vector<uint64_t> VoterNodes() const;
  std::vector<uint64_t> LearnerNodes() const;

  void ResetVotes() { votes_.clear(); }
  void RecordVote(uint64_t id, bool granted) { votes_.try_emplace(id, granted); }
  struct Tally {
    size_t granted;
    size_t rejected;
    VoteResult result;
  };
  Tally TallyVotes() const;

  Progress MakeProgress(uint64_t next, bool learner) const {
    return Progress(next, max_inflight_, max_inflight_bytes_, learner);
  }

  size_t max_inflight() const { return max_inflight_; }
  uint64_t max_inflight_bytes() const { return max_inflight_bytes_; }

  TrackerConfig config;
  ProgressMap progress;

 private:
  size_t max_inflight_;
  uint64_t max_inflight_bytes_;
  absl::flat_hash_map<uint64_t, bool> votes_;
};

}  // namespace raftkv::raft

#endif  // RAFTKV_RAFT_TRACKER_H_
