// The long robustness run, for before releases: RAFTKV_SOAK_MINUTES=<m> runs m minutes of
// faults of every kind in 3-minute rounds, each on fresh keys and checked at its end.
// Skipped when RAFTKV_SOAK_MINUTES is unset. Run the binary directly (ctest would time it out).

#include <cstdlib>

#include "gtest/gtest.h"
#include "robustness_run.h"

namespace raftkv::robustness {
namespace {

TEST(Robustness, Soak) {
  const char* minutes = std::getenv("RAFTKV_SOAK_MINUTES");
  if (minutes == nullptr) GTEST_SKIP() << "set RAFTKV_SOAK_MINUTES to run the long run";
  RunOptions options;
  options.seed = SeedFromEnvironment();
  options.duration = std::chrono::minutes(std::atoi(minutes));
  options.round = std::chrono::minutes(3);
  options.history_dir = RAFTKV_ROBUSTNESS_HISTORY_DIR;
  RunWithFaults(options);
}

}  // namespace
}  // namespace raftkv::robustness
