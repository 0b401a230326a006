#ifndef RAFTKV_TESTS_RAFT_SIM_SIM_NODE_H_
#define RAFTKV_TESTS_RAFT_SIM_SIM_NODE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <tuple>

#include "absl/status/status.h"
#include "raftkv/raft/config.h"
#include "raftkv/raft/raw_node.h"
#include "raftkv/raft/ready.h"
#include "raftkv/raft/storage.h"
#include "tests/raft/sim/state_machine.h"

namespace raftkv::sim {

// How a member restarts after a crash.
enum class RestartMode {
  // Tell raft the durable applied index; the host re-applies the membership changes between
  // the snapshot and it (raft only knows the snapshot's membership).
  kResumeAtApplied,
  // Tell raft only the snapshot was applied: it hands out every entry after it again; the
  // state machine skips what it already has but membership changes are applied to raft.
  kReplayAfterSnapshot,
};

// One simulated member: a "disk" that survives crashes (what was persisted: hard state, log,
// snapshot, and the durable part of the state machine) and volatile state that a crash
// loses (the RawNode, the state machine in memory, a Ready being written).
class SimNode {
 public:
  // `config` is the template for every incarnation; its id, storage and applied are set here.
  SimNode(uint64_t id, const raft::Config& config, bool durable_state_machine);

  // Writes the bootstrap snapshot (index 1, term 1) naming the initial members.
  void Bootstrap(const raftpb::ConfState& members);
  // Starts an incarnation from the disk.
  absl::Status Start(uint64_t random_seed, RestartMode mode);
  // Loses every volatile thing, including a Ready not yet written.
  void Crash();

  uint64_t id() const { return id_; }
  bool running() const { return raw_ != nullptr; }
  raft::RawNode& raw() { return *raw_; }
  const raft::RawNode& raw() const { return *raw_; }
  const StateMachineState& state_machine() const { return state_machine_; }
  uint64_t restarts() const { return restarts_; }

  // The Ready being written, if any: taken at some step, durable at write_done_at.
  struct Write {
    raft::Ready ready;
    uint64_t done_at = 0;
    bool messages_sent = false;
    // A fault: the member crashes instead of finishing this write.
    bool crash_before_durable = false;
  };
  std::optional<Write>& write() { return write_; }

  // Ready step 1: make the Ready's snapshot, entries and hard state durable.
  void Persist(const raft::Ready& rd);
  // Ready step 3: replace the state machine with the snapshot's.
  absl::Status InstallSnapshot(const raftpb::Snapshot& snap);
  // Ready step 3: applies e to the state machine; false when the state machine already had it
  // (replay after a restart).
  bool Apply(const raftpb::Entry& e);
  // The applied state survives a crash (when the state machine is durable).
  void SyncStateMachine();
  // Snapshots the state machine (when raft has handed all of it out). A member sent a
  // snapshot must be named in it, so the host takes one after each membership change.
  absl::Status CreateSnapshot();
  // Snapshots the state machine and discards the log before it, keeping `keep` entries for
  // followers that lag a little.
  absl::Status CompactLog(uint64_t keep);

  // The commit index up to which the cluster has checked this incarnation's log.
  uint64_t checked_commit = 0;
  // The unstable log last checked for log matching: (first index, last index, last term).
  std::tuple<uint64_t, uint64_t, uint64_t> checked_unstable{};

 private:
  absl::Status ReapplyMembershipChanges(uint64_t from, uint64_t to);
  uint64_t SnapshotIndex() const;

  uint64_t id_;
  raft::Config config_;
  bool durable_state_machine_;
  raft::MemoryStorage disk_;
  StateMachineState durable_state_;
  std::unique_ptr<raft::RawNode> raw_;
  StateMachineState state_machine_;
  std::optional<Write> write_;
  uint64_t restarts_ = 0;
};

}  // namespace raftkv::sim

#endif  // RAFTKV_TESTS_RAFT_SIM_SIM_NODE_H_
