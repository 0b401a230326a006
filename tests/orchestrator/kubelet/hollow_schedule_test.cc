#include "orchestrator/kubelet/hollow_schedule.h"

#include <gtest/gtest.h>

#include <set>

namespace orch::kubelet {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'000'000);

TEST(HeartbeatPhaseTest, SpreadsNodesEvenlyOverOneInterval) {
  EXPECT_EQ(HeartbeatPhase(kStart, absl::Seconds(10), 0, 1000), kStart);
  EXPECT_EQ(HeartbeatPhase(kStart, absl::Seconds(10), 1, 1000), kStart + absl::Milliseconds(10));
  EXPECT_EQ(HeartbeatPhase(kStart, absl::Seconds(10), 999, 1000),
            kStart + absl::Milliseconds(9990));
  EXPECT_EQ(HeartbeatPhase(kStart, absl::Seconds(10), 2, 4), kStart + absl::Seconds(5));
}

TEST(HeartbeatPhaseTest, EveryNodeGetsItsOwnSlotEvenForManyNodes) {
  std::set<absl::Time> phases;
  for (int index = 0; index < 5000; ++index) {
    const absl::Time phase = HeartbeatPhase(kStart, absl::Seconds(10), index, 5000);
    EXPECT_GE(phase, kStart);
    EXPECT_LT(phase, kStart + absl::Seconds(10));
    phases.insert(phase);
  }
  EXPECT_EQ(phases.size(), 5000u);
}

TEST(NextHeartbeatAfterTest, IsTheNextGridPointStrictlyAfterNow) {
  const absl::Time phase = kStart + absl::Seconds(3);
  const absl::Duration interval = absl::Seconds(10);
  EXPECT_EQ(NextHeartbeatAfter(phase, interval, kStart), phase);
  EXPECT_EQ(NextHeartbeatAfter(phase, interval, phase), phase + interval);
  EXPECT_EQ(NextHeartbeatAfter(phase, interval, phase + absl::Seconds(4)), phase + interval);
  EXPECT_EQ(NextHeartbeatAfter(phase, interval, phase - absl::Seconds(25)),
            phase - absl::Seconds(20));
}

TEST(NextHeartbeatAfterTest, ALateHeartbeatSkipsTheSlotsItMissed) {
  const absl::Duration interval = absl::Seconds(10);
  EXPECT_EQ(NextHeartbeatAfter(kStart, interval, kStart + absl::Seconds(35)),
            kStart + absl::Seconds(40));
  EXPECT_EQ(NextHeartbeatAfter(kStart, interval, kStart + absl::Milliseconds(39'999)),
            kStart + absl::Seconds(40));
}

}  // namespace
}  // namespace orch::kubelet
