#ifndef RAFTKV_RAFT_READY_H_
#define RAFTKV_RAFT_READY_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "raftkv/raft/read_only.h"
#include "raftkv/raft/storage.h"
#include "raftpb/raft.pb.h"

namespace raftkv::raft {

enum class StateType { kFollower, kCandidate, kLeader, kPreCandidate };

const char* StateTypeName(StateType s);

// Volatile state worth telling the host about (for logs and routing, not for persisting).
struct SoftState {
  uint64_t lead = 0;
  StateType state = StateType::kFollower;
  bool operator==(const SoftState&) const = default;
};

// Work for the host, taken with RawNode::GetReady(). The host must, in order:
//  1. persist hard_state, entries and snapshot (one fdatasync when must_sync),
//  2. send messages (a leader may send them while step 1 is in progress: the leader does not
//     count its own log towards commit until Advance() tells it the log is persisted),
//  3. install snapshot, if any, into the state machine and apply committed_entries in order
//     (calling RawNode::ApplyConfChange for ENTRY_CONF_CHANGE entries), which may include
//     entries from this Ready's `entries`, so only after step 1,
//  4. call RawNode::Advance().
struct Ready {
  std::optional<SoftState> soft_state;          // set when changed
  std::optional<raftpb::HardState> hard_state;  // set when changed
  // Linearizable reads that may be served once applied >= index.
  std::vector<ReadState> read_states;
  EntryVector entries;
  std::optional<raftpb::Snapshot> snapshot;
  EntryVector committed_entries;
  std::vector<raftpb::Message> messages;
  // Whether step 1 must fdatasync (new entries, or a changed term or vote).
  bool must_sync = false;
};

}  // namespace raftkv::raft

#endif  // RAFTKV_RAFT_READY_H_
