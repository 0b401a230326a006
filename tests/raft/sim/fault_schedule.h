#ifndef RAFTKV_TESTS_RAFT_SIM_FAULT_SCHEDULE_H_
#define RAFTKV_TESTS_RAFT_SIM_FAULT_SCHEDULE_H_

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "tests/raft/sim/sim_random.h"

namespace raftkv::sim {

enum class FaultKind {
  // The members split into two groups that cannot reach each other.
  kPartition,
  // Some links carry messages one way only.
  kOneWayCut,
  // A member crashes, losing what it had not persisted.
  kCrash,
  // The leader crashes just before a write it already sent messages for becomes durable.
  kCrashWhileWriting,
  // The next newly elected leader is cut off from everyone before it replicates much.
  kIsolateNewLeader,
  // Drops, duplicates and long (reordering) delays go up for a while.
  kBadNetwork,
  kMembershipChange,
  kLeaderTransfer,
  // A member snapshots its state machine and discards the log before it.
  kCompaction,
};

// The chance per tick that each fault starts.
struct FaultRates {
  double partition = 0.006;
  double one_way_cut = 0.005;
  double crash = 0.008;
  double crash_while_writing = 0.004;
  double isolate_new_leader = 0.006;
  double bad_network = 0.006;
  double membership_change = 0.012;
  double leader_transfer = 0.006;
  double compaction = 0.03;

  // Rates scaled by a factor drawn per run, so that some runs are calm and some are stormy.
  static FaultRates Random(SimRandom& random);
};

// A fault ends: links come back, a member restarts, the network calms down.
struct Repair {
  enum class Kind { kRestoreLinks, kRestart, kCalmNetwork };
  Kind kind;
  uint64_t node = 0;
  std::vector<std::pair<uint64_t, uint64_t>> links;
};

// Decides when faults start (from the rates) and when each one ends.
class FaultSchedule {
 public:
  FaultSchedule(SimRandom& random, const FaultRates& rates) : random_(random), rates_(rates) {}

  // The faults that start at this tick, in a fixed order.
  std::vector<FaultKind> Starting();
  void RepairAt(uint64_t tick, Repair repair);
  std::vector<Repair> RepairsDue(uint64_t tick);
  // Every pending repair, for healing everything at once.
  std::vector<Repair> TakeAllRepairs();

 private:
  SimRandom& random_;
  FaultRates rates_;
  std::multimap<uint64_t, Repair> repairs_;
};

}  // namespace raftkv::sim

#endif  // RAFTKV_TESTS_RAFT_SIM_FAULT_SCHEDULE_H_
