#include <gtest/gtest.h>

#include "orchestrator/kubelet/restart_backoff.h"

namespace orch::kubelet {
namespace {

TEST(RestartBackOff, DoublesFromTheBaseUpToTheMaximum) {
  RestartBackOff backoff(absl::Seconds(10), absl::Minutes(5));
  std::vector<int64_t> seconds;
  for (int restart = 0; restart < 7; ++restart) {
    seconds.push_back(absl::ToInt64Seconds(backoff.Next(absl::Seconds(1))));
  }
  EXPECT_EQ(seconds, (std::vector<int64_t>{10, 20, 40, 80, 160, 300, 300}));
}

TEST(RestartBackOff, StartsOverAfterALongRun) {
  RestartBackOff backoff(absl::Seconds(10), absl::Minutes(5));
  backoff.Next(absl::Seconds(1));
  backoff.Next(absl::Seconds(1));
  EXPECT_EQ(backoff.current(), absl::Seconds(20));
  EXPECT_EQ(backoff.Next(absl::Minutes(11)), absl::Seconds(10));
}

}  // namespace
}  // namespace orch::kubelet
