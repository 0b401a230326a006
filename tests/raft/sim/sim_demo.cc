// raftkv-sim-demo: one seeded simulation of a raft cluster under faults, narrated one line per
// event, with a summary at the end. Flags: --seed N --members N --ticks N.
#include <cstdio>
#include <iostream>
#include <string>

#include "absl/strings/numbers.h"
#include "tests/raft/sim/cluster.h"

namespace {

constexpr double kSecondsPerTick = 0.1;

bool ParseFlags(int argc, char** argv, raftkv::sim::SimOptions& options) {
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    uint64_t value = 0;
    if (i + 1 >= argc || !absl::SimpleAtoi(argv[i + 1], &value)) return false;
    ++i;
    if (flag == "--seed") {
      options.seed = value;
    } else if (flag == "--members") {
      options.members = static_cast<int>(value);
    } else if (flag == "--ticks") {
      options.fault_ticks = value;
    } else {
      return false;
    }
  }
  return true;
}

void PrintEvent(uint64_t tick, const std::string& event) {
  std::printf("[%7.1fs] %s\n", static_cast<double>(tick) * kSecondsPerTick, event.c_str());
}

void PrintSummary(uint64_t seed, const raftkv::sim::SimReport& r) {
  auto n = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf("\nsummary (seed %llu): %d members, pre_vote=%d, check_quorum=%d, %.1fs simulated\n",
              n(seed), r.members, r.pre_vote, r.check_quorum,
              static_cast<double>(r.ticks) * kSecondsPerTick);
  std::printf(
      "  %llu leaders elected, %llu crashes, %llu partitions, %llu membership changes, "
      "%llu leader transfers, %llu snapshots sent\n",
      n(r.leaders_elected), n(r.crashes), n(r.partitions), n(r.membership_changes),
      n(r.leader_transfers), n(r.snapshots_sent));
  std::printf(
      "  %llu entries committed, %llu of %llu client proposals acknowledged; messages: "
      "%llu sent, %llu dropped, %llu duplicated, %llu cut by partitions\n",
      n(r.committed_index), n(r.acknowledged), n(r.proposals), n(r.network.sent),
      n(r.network.dropped), n(r.network.duplicated), n(r.network.blocked));
  std::printf("  after healing: a leader in %llu ticks, converged in %llu ticks\n",
              n(r.ticks_to_leader_after_heal), n(r.ticks_to_converge_after_heal));
  std::printf("  %s\n",
              r.status.ok() ? "all invariants held" : std::string(r.status.message()).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  raftkv::sim::SimOptions options;
  options.seed = 1;
  options.members = 5;
  options.fault_ticks = 600;
  if (!ParseFlags(argc, argv, options)) {
    std::cerr << "usage: raftkv-sim-demo [--seed N] [--members N] [--ticks N]\n";
    return 2;
  }
  options.narrate = PrintEvent;
  raftkv::sim::SimReport r = raftkv::sim::RunSimulation(options);
  PrintSummary(options.seed, r);
  return r.status.ok() ? 0 : 1;
}
