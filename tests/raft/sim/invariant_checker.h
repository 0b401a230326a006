#ifndef RAFTKV_TESTS_RAFT_SIM_INVARIANT_CHECKER_H_
#define RAFTKV_TESTS_RAFT_SIM_INVARIANT_CHECKER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "raftkv/raft/storage.h"
#include "tests/raft/sim/state_machine.h"

namespace raftkv::sim {

enum class Invariant {
  // At most one leader per term.
  kElectionSafety,
  // Two logs holding an entry with the same index and term are identical up to it.
  kLogMatching,
  // A committed entry never changes or disappears: every member that holds it as committed
  // holds the same entry, and every later leader holds it (leader completeness).
  kCommittedEntryStable,
  // Every member applies a prefix of one single sequence of committed entries.
  kAppliedPrefix,
  // A proposal acknowledged as committed is eventually applied by every member.
  kAcknowledgedNotLost,
  // After the faults heal, a leader is elected and every pending proposal commits in time.
  kLiveness,
};

const char* InvariantName(Invariant invariant);

// A read-only view of one member's log for the leader completeness check.
struct LogTerms {
  // Terms are known for [first_index - 1, last_index]; older entries are in a snapshot.
  uint64_t first_index = 1;
  uint64_t last_index = 0;
  std::function<uint64_t(uint64_t index)> term_at;
};

// Checks the safety properties of raft against what the members of a simulation are
// observed to do. It knows nothing of RawNode: the cluster (or a test) feeds it observations,
// so each check can be tested on hand-made histories. Every Observe call returns the first
// violation it finds, which the checker also remembers in violated().
class InvariantChecker {
 public:
  InvariantChecker();

  // The state the initial members boot from: committed and applied by definition.
  void Bootstrap(const StateMachineState& state, uint64_t term);

  // Election safety, and on the first observation of this leader, leader completeness.
  absl::Status ObserveLeader(uint64_t node, uint64_t term, const LogTerms& log);
  // Log matching: `entries` follow an entry of term prev_term in the node's log.
  absl::Status ObserveAppended(uint64_t node, uint64_t prev_term, const raft::EntryVector& entries);
  // The node holds these entries as committed.
  absl::Status ObserveCommitted(uint64_t node, const raft::EntryVector& entries);
  // The node holds everything up to (index, term) as committed, in a snapshot.
  absl::Status ObserveCommittedSnapshot(uint64_t node, uint64_t index, uint64_t term);
  // The node's state machine was (re)started from, or replaced by, this state.
  absl::Status ObserveStateMachine(uint64_t node, const StateMachineState& state);
  // The node applied e to its state machine.
  absl::Status ObserveApplied(uint64_t node, const raftpb::Entry& e);
  // A client was told its proposal committed; it sits at `index` of the applied sequence.
  void RecordAcknowledged(uint64_t proposal, uint64_t index);
  // At the end of a run: the node applied every acknowledged proposal.
  absl::Status CheckAcknowledgedApplied(uint64_t node);
  // Reports a liveness failure found by the cluster.
  absl::Status FailLiveness(const std::string& detail);

  const std::optional<Invariant>& violated() const { return violated_; }
  uint64_t committed_index() const { return committed_.size() - 1; }
  size_t acknowledged() const { return acknowledged_.size(); }
  size_t leaders_elected() const { return leader_of_term_.size(); }

 private:
  struct CommittedEntry {
    bool known = false;
    uint64_t term = 0;
    // 0 while only a snapshot covering the entry has been seen.
    uint64_t digest = 0;
  };
  struct AppendedEntry {
    uint64_t digest;
    uint64_t prev_term;
  };

  absl::Status Violation(Invariant invariant, const std::string& detail);
  absl::Status CheckLeaderCompleteness(uint64_t node, uint64_t term, const LogTerms& log);
  absl::Status RecordCommitted(uint64_t node, uint64_t index, uint64_t term, uint64_t digest);

  std::optional<Invariant> violated_;
  std::map<uint64_t, uint64_t> leader_of_term_;
  // (index, term) -> what every log holding that entry must agree on.
  absl::flat_hash_map<std::pair<uint64_t, uint64_t>, AppendedEntry> appended_;
  // Indexed by log index; grows as entries are seen committed.
  std::vector<CommittedEntry> committed_;
  // chain_[i]: the digest of the applied sequence up to index i.
  std::vector<uint64_t> chain_;
  std::map<uint64_t, StateMachineState> applied_;
  std::map<uint64_t, uint64_t> acknowledged_;
};

}  // namespace raftkv::sim

#endif  // RAFTKV_TESTS_RAFT_SIM_INVARIANT_CHECKER_H_
