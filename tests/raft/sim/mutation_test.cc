// A consensus core with one rule broken on purpose (RAFTKV_RAFT_MUTATION, see the #if blocks
// in raftkv/raft) must be caught by the simulation harness, reporting the invariant that rule
// protects. Each seed runs in a child process, because a broken core may also trip one of its
// own assertions (an abort), which counts as not caught by the harness.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>

#include "tests/raft/sim/cluster.h"

#ifndef RAFTKV_RAFT_MUTATION
#error "mutation_test.cc is built once per mutation, with RAFTKV_RAFT_MUTATION=<n>"
#endif

namespace raftkv::sim {
namespace {

struct Mutation {
  const char* rule;
  Invariant expected;
  // 0: the seed chooses.
  int members = 0;
  double fault_intensity = 2;
};

constexpr Mutation kMutations[] = {
    {},
    // Figure 8 of the Raft paper needs two leaders cut off in a row and a third one failing
    // while it replicates old entries: a stormy three-member cluster gets there soonest.
    {"commit an entry of an old term by counting replicas", Invariant::kCommittedEntryStable, 3, 4},
    {"grant a vote twice in one term", Invariant::kElectionSafety},
    {"the leader counts its own unpersisted log toward commit", Invariant::kCommittedEntryStable},
    {"a follower accepts an append without checking the previous entry's term",
     Invariant::kLogMatching},
};
constexpr Mutation kMutation = kMutations[RAFTKV_RAFT_MUTATION];
constexpr uint64_t kMaxSeeds = 3000;
// Exit codes of a child: 0 when every invariant held, kViolationExit + invariant otherwise.
constexpr int kViolationExit = 10;

// Runs one seed in a child process; returns its exit code, or -1 if the core aborted.
int RunSeedInChild(uint64_t seed) {
  pid_t pid = fork();
  if (pid == 0) {
    // The core's panic message would only be noise here.
    if (std::freopen("/dev/null", "w", stderr) == nullptr) std::_Exit(2);
    SimOptions options;
    options.seed = seed;
    options.members = kMutation.members;
    options.fault_intensity = kMutation.fault_intensity;
    SimReport r = RunSimulation(options);
    std::_Exit(r.violated ? kViolationExit + static_cast<int>(*r.violated) : 0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define RAFTKV_SIM_CONCAT(a, b) a##b
#define RAFTKV_SIM_TEST_NAME(n) RAFTKV_SIM_CONCAT(Mutation, n)

TEST(RaftMutation, RAFTKV_SIM_TEST_NAME(RAFTKV_RAFT_MUTATION)) {
  std::map<int, int> outcomes;
  uint64_t caught_at = 0;
  for (uint64_t seed = 1; seed <= kMaxSeeds && caught_at == 0; ++seed) {
    int code = RunSeedInChild(seed);
    ++outcomes[code];
    if (code == kViolationExit + static_cast<int>(kMutation.expected)) caught_at = seed;
  }
  std::string seen;
  for (const auto& [code, count] : outcomes) {
    seen += code == 0  ? "passed"
            : code < 0 ? "core panic"
                       : InvariantName(static_cast<Invariant>(code - kViolationExit));
    seen += " x" + std::to_string(count) + "; ";
  }
  ASSERT_NE(caught_at, 0u) << "mutation " << RAFTKV_RAFT_MUTATION << " (" << kMutation.rule
                           << ") not caught as " << InvariantName(kMutation.expected) << " in "
                           << kMaxSeeds << " seeds; outcomes: " << seen;
  std::cout << "mutation " << RAFTKV_RAFT_MUTATION << " (" << kMutation.rule << ") caught as "
            << InvariantName(kMutation.expected) << " at seed " << caught_at
            << "; outcomes: " << seen << "\n";
}

}  // namespace
}  // namespace raftkv::sim
