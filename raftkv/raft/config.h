#ifndef RAFTKV_RAFT_CONFIG_H_
#define RAFTKV_RAFT_CONFIG_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "raftkv/raft/read_only.h"
#include "raftkv/raft/storage.h"

namespace spdlog {
class logger;
}

namespace raftkv::raft {

// The parameters of one raft member. Times are in ticks: the host calls Tick() at a fixed
// interval (etcd's --heartbeat-interval) and everything else is a multiple of it.
struct Config {
  // This member's id; never 0.
  uint64_t id = 0;
  // A follower that hears from no leader for a randomized [election_tick, 2*election_tick)
  // ticks starts an election. Must be greater than heartbeat_tick (10x is customary).
  int election_tick = 10;
  // A leader sends heartbeats every heartbeat_tick ticks.
  int heartbeat_tick = 1;
  // What the host persisted. Not owned; must outlive the member.
  const Storage* storage = nullptr;
  // The last index the host applied to its state machine; entries up to it are not handed out
  // again after a restart.
  uint64_t applied = 0;
  // The byte cap of the entries in one append message (always at least one entry).
  uint64_t max_size_per_msg = 1 << 20;
  // The byte cap of the committed entries in one Ready; 0 means max_size_per_msg.
  uint64_t max_committed_size_per_ready = 0;
  // The leader refuses proposals while this many bytes of entries are uncommitted; 0: no cap.
  uint64_t max_uncommitted_entries_size = 0;
  // The window of unacknowledged appends per follower, by count and (0: unbounded) bytes.
  int max_inflight_msgs = 256;
  uint64_t max_inflight_bytes = 0;
  // A leader that has not heard from a quorum for an election timeout steps down.
  bool check_quorum = false;
  // Candidates first ask whether they could win (without raising terms), so that a member
  // rejoining after a partition does not depose a working leader.
  bool pre_vote = false;
  // kLeaseBased is refused unless check_quorum is set.
  ReadOnlyOption read_only_option = ReadOnlyOption::kSafe;
  // Followers refuse proposals instead of forwarding them to the leader.
  bool disable_proposal_forwarding = false;
  // Seeds the randomized election timeout, so that simulations replay exactly. 0: derived
  // from id.
  uint64_t random_seed = 0;
  // Where events are logged, one line each, prefixed with the member id. Null: spdlog's
  // default logger.
  std::shared_ptr<spdlog::logger> logger;

  absl::Status Validate() const;
};

}  // namespace raftkv::raft

#endif  // RAFTKV_RAFT_CONFIG_H_
