// The seed sweep: RAFTKV_SIM_SEEDS seeded simulations (default 2000) from RAFTKV_SIM_SEED_BASE
// (default 1). A failing seed is reported with the one command that replays it. Optional:
// RAFTKV_SIM_MEMBERS fixes the cluster size, RAFTKV_SIM_FAULT_INTENSITY multiplies fault rates.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/raft/sim/cluster.h"

namespace raftkv::sim {
namespace {

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  uint64_t n = 0;
  return v != nullptr && absl::SimpleAtoi(v, &n) ? n : fallback;
}

std::string SelfPath() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "raft_sim_test";
}

std::string ReplayCommand(uint64_t seed) {
  return absl::StrCat("RAFTKV_SIM_SEED_BASE=", seed, " RAFTKV_SIM_SEEDS=1 ", SelfPath(),
                      " --gtest_filter=RaftSim.SeedSweep");
}

// The consensus core aborts on a broken internal invariant; the abort handler still names the
// seed, so that the panic can be replayed like any other failure.
char g_abort_message[8192];

void OnAbort(int) {
  ssize_t ignored = write(STDERR_FILENO, g_abort_message, std::strlen(g_abort_message));
  (void)ignored;
  std::signal(SIGABRT, SIG_DFL);
  std::raise(SIGABRT);
}

void ArmAbortMessage(uint64_t seed) {
  std::string m = absl::StrCat("\nseed ", seed,
                               " failed: raft core panic; replay: ", ReplayCommand(seed), "\n");
  std::strncpy(g_abort_message, m.c_str(), sizeof(g_abort_message) - 1);
}

TEST(RaftSim, SeedSweep) {
  uint64_t base = EnvOr("RAFTKV_SIM_SEED_BASE", 1);
  uint64_t seeds = EnvOr("RAFTKV_SIM_SEEDS", 2000);
  std::signal(SIGABRT, OnAbort);
  auto start = std::chrono::steady_clock::now();
  uint64_t max_leader_ticks = 0, max_converge_ticks = 0, committed = 0, acknowledged = 0;
  uint64_t crashes = 0, partitions = 0, changes = 0, snapshots = 0;
  for (uint64_t seed = base; seed < base + seeds; ++seed) {
    ArmAbortMessage(seed);
    SimOptions options;
    options.seed = seed;
    options.members = static_cast<int>(EnvOr("RAFTKV_SIM_MEMBERS", 0));
    options.fault_intensity = static_cast<double>(EnvOr("RAFTKV_SIM_FAULT_INTENSITY", 1));
    SimReport r = RunSimulation(options);
    ASSERT_TRUE(r.status.ok()) << "seed " << seed << " failed: " << r.status.message()
                               << "; replay: " << ReplayCommand(seed);
    max_leader_ticks = std::max(max_leader_ticks, r.ticks_to_leader_after_heal);
    max_converge_ticks = std::max(max_converge_ticks, r.ticks_to_converge_after_heal);
    committed += r.committed_index;
    acknowledged += r.acknowledged;
    crashes += r.crashes;
    partitions += r.partitions;
    changes += r.membership_changes;
    snapshots += r.snapshots_sent;
  }
  std::signal(SIGABRT, SIG_DFL);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << seeds << " seeds from " << base << " in " << seconds << " s: " << committed
            << " entries committed, " << acknowledged << " proposals acknowledged, " << crashes
            << " crashes, " << partitions << " partitions, " << changes
            << " membership changes applied, " << snapshots << " snapshots sent; after healing, "
            << "max " << max_leader_ticks << " ticks to a leader (bound " << kLeaderBoundTicks
            << "), max " << max_converge_ticks << " to converge (bound " << kConvergeBoundTicks
            << ")\n";
}

}  // namespace
}  // namespace raftkv::sim
