#ifndef RAFTKV_TESTS_RAFT_SIM_STATE_MACHINE_H_
#define RAFTKV_TESTS_RAFT_SIM_STATE_MACHINE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "raftpb/raft.pb.h"

namespace raftkv::sim {

// A member's replicated state: a digest chained over every entry it applied, in order. Two
// members with the same (index, digest) applied the same sequence (up to hash collisions), so
// comparing digests checks whole applied prefixes at O(1) cost.
struct StateMachineState {
  uint64_t index = 0;
  uint64_t digest = 0;

  bool operator==(const StateMachineState&) const = default;
  // The snapshot payload.
  std::string Encode() const;
  static std::optional<StateMachineState> Decode(const std::string& data);
};

uint64_t EntryDigest(const raftpb::Entry& e);
uint64_t ChainDigest(uint64_t previous, uint64_t entry_digest);
// The state every initial member starts from (the bootstrap snapshot at index 1).
StateMachineState BootstrapState();

// Client proposals are entries "p<id>"; ids are unique per run.
std::string ProposalData(uint64_t proposal_id);
std::optional<uint64_t> ProposalId(const raftpb::Entry& e);

}  // namespace raftkv::sim

#endif  // RAFTKV_TESTS_RAFT_SIM_STATE_MACHINE_H_
