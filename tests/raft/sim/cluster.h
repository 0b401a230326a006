#ifndef RAFTKV_TESTS_RAFT_SIM_CLUSTER_H_
#define RAFTKV_TESTS_RAFT_SIM_CLUSTER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "raftkv/raft/config.h"
#include "tests/raft/sim/fault_schedule.h"
#include "tests/raft/sim/invariant_checker.h"
#include "tests/raft/sim/sim_network.h"
#include "tests/raft/sim/sim_node.h"
#include "tests/raft/sim/sim_random.h"

namespace raftkv::sim {

// Simulated time: a raft tick is 100 ms (etcd's default heartbeat interval) and is divided
// into steps, the unit of message and disk latency.
inline constexpr uint64_t kStepsPerTick = 10;
inline constexpr uint64_t kTicksPerSecond = 10;
inline constexpr int kElectionTick = 10;
// After the faults heal, a leader must exist within this many ticks. A follower times out
// within 2 election timeouts, a stale leader steps down (CheckQuorum) within 2, and each split
// vote costs up to 2 more; followers that heard from a leader ignore votes for an election
// timeout. Over 20000 seeds the slowest election after healing took 98 ticks, so the bound is
// about twice that: long enough not to flake, short enough to catch a stuck election.
inline constexpr uint64_t kLeaderBoundTicks = 20 * kElectionTick;
// ... and every pending proposal must be committed and applied everywhere within this many:
// clients retry every election timeout, and lagging members may need a snapshot. Measured
// maximum over 20000 seeds: 178 ticks.
inline constexpr uint64_t kConvergeBoundTicks = 40 * kElectionTick;

struct SimOptions {
  uint64_t seed = 1;
  // 0: 3, 5 or 7, chosen by the seed.
  int members = 0;
  // How long faults keep starting before everything heals.
  uint64_t fault_ticks = 300;
  // Multiplies every fault rate (the mutation tests turn the storm up).
  double fault_intensity = 1.0;
  // One human-readable line per notable event; null in tests.
  std::function<void(uint64_t tick, const std::string& event)> narrate;
};

struct SimReport {
  // OK, or the first violated invariant with details.
  absl::Status status;
  std::optional<Invariant> violated;
  int members = 0;
  bool pre_vote = false;
  bool check_quorum = false;
  uint64_t ticks = 0;
  uint64_t committed_index = 0;
  uint64_t proposals = 0;
  uint64_t acknowledged = 0;
  uint64_t leaders_elected = 0;
  uint64_t crashes = 0;
  uint64_t partitions = 0;
  uint64_t membership_changes = 0;
  uint64_t leader_transfers = 0;
  uint64_t snapshots_sent = 0;
  uint64_t ticks_to_leader_after_heal = 0;
  uint64_t ticks_to_converge_after_heal = 0;
  NetworkStats network;
};

// A raft cluster over a simulated network, driven by one seeded random generator: no wall
// clock, no threads, deterministic iteration. It injects faults for options.fault_ticks, then
// heals everything and checks liveness; the invariants are checked after every step.
class Cluster {
 public:
  explicit Cluster(const SimOptions& options);
  SimReport Run();

 private:
  struct Proposal {
    uint64_t proposer = 0;
    uint64_t retry_at = 0;
    uint64_t attempts = 0;
  };

  void Boot();
  raft::Config RandomConfig();
  void StartNode(SimNode& node, RestartMode mode);
  void AddNode(uint64_t id, const raftpb::ConfState* bootstrap);

  void RunStep();
  void OnTick();
  void TickNodes();
  void DeliverMessages();
  void Deliver(raftpb::Message m);
  void DriveReady(SimNode& node);
  void BeginWrite(SimNode& node);
  void FinishWrite(SimNode& node);
  void Send(SimNode& from, std::vector<raftpb::Message> messages);
  void ApplyEntry(SimNode& node, const raftpb::Entry& e);
  void OnMembershipApplied(uint64_t index, const raftpb::ConfState& cs);
  void RemoveDecommissioned();
  void Observe(SimNode& node);
  void Check(const absl::Status& s);

  void StartFault(FaultKind kind);
  void Partition();
  void CutOneWay();
  void Isolate(uint64_t id);
  void CrashNode(SimNode& node, const std::string& why);
  void CrashSomeone();
  void WorsenNetwork();
  void ChangeMembership();
  void TransferLeadership();
  void Compact();
  void ApplyRepair(const Repair& r);
  void LeaveJointIfExplicit();

  void ProposeClientRequests();
  void RetryProposals();
  void Propose(const std::vector<uint64_t>& ids);
  SimNode* ProposalTarget();

  void Heal();
  bool RunUntil(const std::function<bool()>& done, uint64_t bound_ticks);
  bool Converged();
  absl::Status CheckLiveness();

  SimNode* Node(uint64_t id);
  SimNode* Leader();
  std::vector<SimNode*> RunningNodes();
  std::set<uint64_t> ConfiguredMembers(const SimNode& leader) const;
  uint64_t Duration(uint64_t lo, uint64_t hi) { return random_.Between(lo, hi); }
  void Narrate(const std::string& event);
  std::string DescribeMembers();
  void NarrateProgress();

  SimOptions options_;
  SimRandom random_;
  SimNetwork network_;
  FaultSchedule faults_;
  InvariantChecker checker_;
  absl::Status failure_;
  SimReport report_;

  raft::Config config_template_;
  NetworkConditions calm_network_;
  double instant_write_chance_ = 0.5;
  uint64_t max_write_steps_ = 10;
  bool faults_on_ = true;
  bool crash_next_leader_write_ = false;
  bool isolate_next_leader_ = false;
  // (member, step): a newly elected leader to cut off at that step.
  std::optional<std::pair<uint64_t, uint64_t>> pending_isolation_;

  // Ordered by id, so that iteration is deterministic.
  std::map<uint64_t, std::unique_ptr<SimNode>> nodes_;
  std::map<uint64_t, uint64_t> tick_phase_;
  // Removed members keep running for a moment (to hand off leadership), then stop.
  std::map<uint64_t, uint64_t> decommission_at_;
  std::set<uint64_t> ever_added_;
  uint64_t next_node_id_ = 1;
  uint64_t last_membership_index_ = 0;

  std::map<uint64_t, Proposal> pending_;
  uint64_t next_proposal_id_ = 1;
  uint64_t retry_ticks_ = 2 * kElectionTick;

  uint64_t now_ = 0;  // steps
  uint64_t narrated_leader_term_ = 0;
  uint64_t narrated_committed_ = 0;
};

// Runs one seeded simulation.
SimReport RunSimulation(const SimOptions& options);

}  // namespace raftkv::sim

#endif  // RAFTKV_TESTS_RAFT_SIM_CLUSTER_H_
