// A robustness run: a 3-member LocalCluster, recorded client and watch traffic, and faults
// injected one after another; in rounds, each on fresh keys and fully checked at its end
// (linearizability of the history, every watcher's stream, replicas' HashKV agreement).
// Prints the seed, the fault schedule, the history size and the verdict; a history that is
// not linearizable is written to a file that `robustness-check` replays.

#ifndef RAFTKV_TESTS_ROBUSTNESS_ROBUSTNESS_RUN_H_
#define RAFTKV_TESTS_ROBUSTNESS_ROBUSTNESS_RUN_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "fault_driver.h"
#include "gtest/gtest.h"

namespace raftkv::robustness {

struct RunOptions {
  uint64_t seed = 1;
  std::chrono::milliseconds duration{60000};  // of faults, over all rounds
  std::chrono::milliseconds round{60000};
  std::vector<FaultKind> kinds = AllFaultKinds();
  int clients = 6;
  int watchers = 2;
  // The cluster (fault rule files are turned on whatever this says), and how to take a
  // member's link down for FaultKind::kLinkDown.
  integration::ClusterOptions cluster;
  LinkControl link_control;
  // Where a failing round's history goes.
  std::filesystem::path history_dir;
};

// The seed from RAFTKV_ROBUSTNESS_SEED, or a fresh one.
uint64_t SeedFromEnvironment();

// Reports failures with ADD_FAILURE (with the members' log tails).
void RunWithFaults(const RunOptions& options);

}  // namespace raftkv::robustness

#endif  // RAFTKV_TESTS_ROBUSTNESS_ROBUSTNESS_RUN_H_
