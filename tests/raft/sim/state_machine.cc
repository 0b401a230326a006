#include "tests/raft/sim/state_machine.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace raftkv::sim {
namespace {

uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s)
    h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

}  // namespace

std::string StateMachineState::Encode() const {
  return absl::StrCat(index, ":", digest);
}

std::optional<StateMachineState> StateMachineState::Decode(const std::string& data) {
  std::pair<std::string, std::string> parts = absl::StrSplit(data, ':');
  StateMachineState s;
  if (!absl::SimpleAtoi(parts.first, &s.index) || !absl::SimpleAtoi(parts.second, &s.digest)) {
    return std::nullopt;
  }
  return s;
}

uint64_t EntryDigest(const raftpb::Entry& e) {
  return Mix(Fnv1a(e.data()) ^ Mix(e.term() * 4 + static_cast<uint64_t>(e.type())));
}

uint64_t ChainDigest(uint64_t previous, uint64_t entry_digest) {
  return Mix(previous * 31 + entry_digest);
}

StateMachineState BootstrapState() {
  return {1, Mix(0x5eed)};
}

std::string ProposalData(uint64_t proposal_id) {
  return absl::StrCat("p", proposal_id);
}

std::optional<uint64_t> ProposalId(const raftpb::Entry& e) {
  uint64_t id = 0;
  if (e.type() != raftpb::ENTRY_NORMAL || e.data().size() < 2 || e.data()[0] != 'p' ||
      !absl::SimpleAtoi(absl::string_view(e.data()).substr(1), &id)) {
    return std::nullopt;
  }
  return id;
}

}  // namespace raftkv::sim
