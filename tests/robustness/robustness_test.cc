// The short robustness run of CI: about 70 s of faults of every kind (kill, pause, partition,
// delay, loss, membership change) under recorded client and watch traffic, then the checks.
// RAFTKV_ROBUSTNESS_SEED=<n> repeats a run's fault schedule and request mix.

#include "gtest/gtest.h"
#include "robustness_run.h"

namespace raftkv::robustness {
namespace {

TEST(Robustness, ShortRunWithEveryFaultKind) {
  RunOptions options;
  options.seed = SeedFromEnvironment();
  options.duration = std::chrono::seconds(70);
  options.round = options.duration;
  options.history_dir = RAFTKV_ROBUSTNESS_HISTORY_DIR;
  RunWithFaults(options);
}

}  // namespace
}  // namespace raftkv::robustness
