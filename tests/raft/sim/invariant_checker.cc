#include "tests/raft/sim/invariant_checker.h"

#include "absl/strings/str_cat.h"

namespace raftkv::sim {

const char* InvariantName(Invariant invariant) {
  switch (invariant) {
    case Invariant::kElectionSafety:
      return "election safety (one leader per term)";
    case Invariant::kLogMatching:
      return "log matching";
    case Invariant::kCommittedEntryStable:
      return "committed entry stable (never changes or disappears)";
    case Invariant::kAppliedPrefix:
      return "applied prefix (members apply prefixes of one sequence)";
    case Invariant::kAcknowledgedNotLost:
      return "acknowledged proposal not lost";
    case Invariant::kLiveness:
      return "liveness";
  }
  return "unknown";
}

InvariantChecker::InvariantChecker() : committed_(1), chain_(1, 0) {}

void InvariantChecker::Bootstrap(const StateMachineState& state, uint64_t term) {
  committed_.resize(state.index + 1);
  committed_[state.index] = CommittedEntry{true, term, 0};
  chain_.resize(state.index + 1);
  chain_[state.index] = state.digest;
}

absl::Status InvariantChecker::Violation(Invariant invariant, const std::string& detail) {
  if (!violated_) violated_ = invariant;
  return absl::FailedPreconditionError(absl::StrCat(InvariantName(invariant), ": ", detail));
}

absl::Status InvariantChecker::ObserveLeader(uint64_t node, uint64_t term, const LogTerms& log) {
  auto [it, first] = leader_of_term_.try_emplace(term, node);
  if (!first) {
    if (it->second == node) return absl::OkStatus();
    return Violation(Invariant::kElectionSafety,
                     absl::StrCat("members ", it->second, " and ", node, " both led term ", term));
  }
  return CheckLeaderCompleteness(node, term, log);
}

absl::Status InvariantChecker::CheckLeaderCompleteness(uint64_t node, uint64_t term,
                                                       const LogTerms& log) {
  uint64_t committed = committed_index();
  if (log.last_index < committed) {
    return Violation(
        Invariant::kCommittedEntryStable,
        absl::StrCat("member ", node, " became leader of term ", term, " with last index ",
                     log.last_index, " < committed index ", committed));
  }
  for (uint64_t i = log.first_index - 1; i <= committed; ++i) {
    const CommittedEntry& c = committed_[i];
    if (!c.known || i == 0) continue;
    if (uint64_t t = log.term_at(i); t != c.term) {
      return Violation(
          Invariant::kCommittedEntryStable,
          absl::StrCat("member ", node, " became leader of term ", term, " holding term ", t,
                       " at index ", i, " where term ", c.term, " was committed"));
    }
  }
  return absl::OkStatus();
}

absl::Status InvariantChecker::ObserveAppended(uint64_t node, uint64_t prev_term,
                                               const raft::EntryVector& entries) {
  for (const raftpb::Entry& e : entries) {
    AppendedEntry seen{EntryDigest(e), prev_term};
    auto [it, first] = appended_.try_emplace({e.index(), e.term()}, seen);
    if (!first && (it->second.digest != seen.digest || it->second.prev_term != prev_term)) {
      return Violation(Invariant::kLogMatching,
                       absl::StrCat("member ", node, " holds entry (index ", e.index(), ", term ",
                                    e.term(), ") after an entry of term ", prev_term,
                                    it->second.digest != seen.digest ? " with other data" : "",
                                    "; another log has it after term ", it->second.prev_term));
    }
    prev_term = e.term();
  }
  return absl::OkStatus();
}

absl::Status InvariantChecker::RecordCommitted(uint64_t node, uint64_t index, uint64_t term,
                                               uint64_t digest) {
  if (index >= committed_.size()) committed_.resize(index + 1);
  CommittedEntry& c = committed_[index];
  if (!c.known) {
    c = CommittedEntry{true, term, digest};
    return absl::OkStatus();
  }
  if (c.term != term || (digest != 0 && c.digest != 0 && c.digest != digest)) {
    return Violation(
        Invariant::kCommittedEntryStable,
        absl::StrCat("member ", node, " holds as committed a different entry at index ", index,
                     " (term ", term, ") than was committed before (term ", c.term, ")"));
  }
  if (c.digest == 0) c.digest = digest;
  return absl::OkStatus();
}

absl::Status InvariantChecker::ObserveCommitted(uint64_t node, const raft::EntryVector& entries) {
  for (const raftpb::Entry& e : entries) {
    if (auto s = RecordCommitted(node, e.index(), e.term(), EntryDigest(e)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status InvariantChecker::ObserveCommittedSnapshot(uint64_t node, uint64_t index,
                                                        uint64_t term) {
  return RecordCommitted(node, index, term, 0);
}

absl::Status InvariantChecker::ObserveStateMachine(uint64_t node, const StateMachineState& state) {
  applied_[node] = state;
  if (state.index >= chain_.size() || chain_[state.index] != state.digest) {
    return Violation(Invariant::kAppliedPrefix,
                     absl::StrCat("member ", node, " has a state at index ", state.index,
                                  " that no prefix of the applied sequence produces"));
  }
  return absl::OkStatus();
}

absl::Status InvariantChecker::ObserveApplied(uint64_t node, const raftpb::Entry& e) {
  auto it = applied_.find(node);
  if (it == applied_.end()) {
    return Violation(Invariant::kAppliedPrefix,
                     absl::StrCat("member ", node, " applied index ", e.index(),
                                  " before its state machine started"));
  }
  StateMachineState& state = it->second;
  if (e.index() != state.index + 1) {
    return Violation(
        Invariant::kAppliedPrefix,
        absl::StrCat("member ", node, " applied index ", e.index(), " right after ", state.index));
  }
  uint64_t entry_digest = EntryDigest(e);
  if (e.index() >= committed_.size() || !committed_[e.index()].known) {
    return Violation(Invariant::kAppliedPrefix,
                     absl::StrCat("member ", node, " applied index ", e.index(),
                                  " which no member holds as committed"));
  }
  if (auto s = RecordCommitted(node, e.index(), e.term(), entry_digest); !s.ok()) return s;
  state = {e.index(), ChainDigest(state.digest, entry_digest)};
  if (state.index == chain_.size()) {
    chain_.push_back(state.digest);
  } else if (chain_[state.index] != state.digest) {
    return Violation(Invariant::kAppliedPrefix,
                     absl::StrCat("member ", node, " applied a sequence that diverges from ",
                                  "the one other members applied, at index ", state.index));
  }
  return absl::OkStatus();
}

void InvariantChecker::RecordAcknowledged(uint64_t proposal, uint64_t index) {
  acknowledged_.try_emplace(proposal, index);
}

absl::Status InvariantChecker::CheckAcknowledgedApplied(uint64_t node) {
  auto it = applied_.find(node);
  uint64_t applied = it == applied_.end() ? 0 : it->second.index;
  for (const auto& [proposal, index] : acknowledged_) {
    if (index > applied) {
      return Violation(
          Invariant::kAcknowledgedNotLost,
          absl::StrCat("member ", node, " never applied acknowledged proposal ", proposal,
                       " (index ", index, "; it applied up to ", applied, ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status InvariantChecker::FailLiveness(const std::string& detail) {
  return Violation(Invariant::kLiveness, detail);
}

}  // namespace raftkv::sim
