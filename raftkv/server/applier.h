#ifndef RAFTKV_SERVER_APPLIER_H_
#define RAFTKV_SERVER_APPLIER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "raftkv/server/alarm_table.h"
#include "raftkv/server/checkpoint_maker.h"
#include "raftkv/server/event_queue.h"
#include "raftkv/server/request_waiters.h"
#include "raftpb/raft.pb.h"

namespace raftkv::mvcc {
class Store;
}
namespace raftkv::lease {
class LeaseTable;
}

namespace raftkv::server {

// Committed entries handed from the raft thread, in log order. Membership changes were
// already applied by the raft thread (it owns raft and the member table); for those the
// applier only completes the proposer's wait, with what the raft thread decided.
struct CommittedEntries {
  std::vector<raftpb::Entry> entries;
  struct MembershipOutcome {
    uint64_t index;
    uint64_t request_id;
    absl::StatusOr<std::vector<serverpb::Member>> members;
  };
  std::vector<MembershipOutcome> membership;
  // Make a checkpoint once these are applied, whatever the snapshot count says: the
  // membership changed, and a member that joined can only start from a snapshot whose
  // membership names it.
  bool checkpoint_after = false;
};

// A snapshot from the leader to install into the state machine: the checkpoint directory
// replaces the store's contents.
struct SnapshotInstall {
  uint64_t index;
  uint64_t term;
  std::string checkpoint_dir;
};

// A consistent copy of the state machine for a client (Maintenance Snapshot), made between
// two runs of entries.
struct CheckpointRequest {
  std::string dir;
  std::function<void(absl::Status)> done;
};

// The apply thread: applies committed entries to the state machine (mvcc::Store, leases,
// alarms) in log order, one RocksDB write per run of entries, and completes the waiting
// callers. Owns all writes to the store; nothing else writes it.
//
// Entries at or below the store's applied index are skipped: after a restart raft hands out
// the log from its last snapshot on, and the store already holds a prefix of it.
class Applier {
 public:
  struct Options {
    mvcc::Store* store;
    lease::LeaseTable* leases;
    RequestWaiters* waiters;
    uint64_t member_id;
    // Make a checkpoint once this many entries were applied since the last one.
    uint64_t snapshot_count;
    // Where checkpoints go; each is a directory named by CheckpointName(index).
    std::string snap_dir;
    // Called on the apply thread after each run of entries is written, with the new applied
    // index (wakes linearizable reads).
    std::function<void(uint64_t applied_index)> on_applied;
    // Called on the checkpoint thread when a checkpoint at (index, term) is ready.
    std::function<void(uint64_t index, uint64_t term, std::string name)> on_checkpoint;
    // Called when the state machine cannot be written: the member must stop.
    std::function<void(const absl::Status&)> on_fatal;
  };

  explicit Applier(Options options);
  ~Applier();  // stops the threads; queued work is dropped, a checkpoint in hand finished
  Applier(const Applier&) = delete;
  Applier& operator=(const Applier&) = delete;

  // Loads leases and alarms from the store and starts the thread.
  absl::Status Start();
  void Enqueue(CommittedEntries entries);
  void Enqueue(SnapshotInstall install);
  void Enqueue(CheckpointRequest request);

  uint64_t applied_index() const { return applied_index_.load(); }
  const AlarmTable& alarms() const { return alarms_; }
  static std::string CheckpointName(uint64_t index);

 private:
  using Task = std::variant<CommittedEntries, SnapshotInstall, CheckpointRequest>;
  class Run;

  void Loop();
  void Apply(CommittedEntries& task);
  void Install(const SnapshotInstall& install);
  void MaybeCheckpoint(uint64_t term, bool force);
  void OnCheckpointMade(const CheckpointMaker::Job& job, const absl::Status& status,
                        std::chrono::microseconds took);
  absl::Status RestoreFromStore();

  Options options_;
  AlarmTable alarms_;
  EventQueue<Task> queue_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> applied_index_{0};
  // Written by the checkpoint thread when a checkpoint is made, and by Install while none is.
  std::atomic<uint64_t> last_checkpoint_index_{0};
  std::unique_ptr<CheckpointMaker> checkpoints_;
  std::thread thread_;
};

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_APPLIER_H_
