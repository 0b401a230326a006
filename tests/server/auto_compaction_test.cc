#include "raftkv/server/auto_compaction.h"

#include <gtest/gtest.h>

namespace raftkv::server {
namespace {

using Clock = AutoCompactionPolicy::Clock;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

ServerOptions Periodic(std::chrono::milliseconds period) {
  ServerOptions o;
  o.auto_compaction_mode = AutoCompactionMode::kPeriodic;
  o.auto_compaction_period = period;
  return o;
}

TEST(AutoCompactionTest, OffWhenRetentionIsZero) {
  AutoCompactionPolicy p(Periodic(std::chrono::milliseconds(0)));
  EXPECT_FALSE(p.Next(Clock::now(), 1000).has_value());
}

TEST(AutoCompactionTest, PeriodicKeepsOneRetentionOfHistory) {
  AutoCompactionPolicy p(Periodic(minutes(10)));
  Clock::time_point t0 = Clock::now();
  EXPECT_FALSE(p.Next(t0, 100).has_value());               // sample 100 at t0
  EXPECT_FALSE(p.Next(t0 + minutes(5), 150).has_value());  // too soon to sample
  EXPECT_EQ(p.Next(t0 + minutes(10), 200), 100);           // the revision seen ten minutes before
  // At t0+20m: 200, sampled at t0+10m.
  EXPECT_EQ(p.Next(t0 + minutes(20), 300), 200);
  EXPECT_FALSE(p.Next(t0 + minutes(21), 310).has_value());
}

TEST(AutoCompactionTest, PeriodicSamplesEveryTenthOfLongRetentions) {
  AutoCompactionPolicy p(Periodic(hours(10)));
  Clock::time_point t0 = Clock::now();
  int64_t rev = 0;
  std::optional<int64_t> got;
  for (int i = 0; i <= 10; ++i)
    got = p.Next(t0 + hours(i), rev += 10);
  EXPECT_EQ(got, 10);  // the sample from ten hours before
  EXPECT_EQ(p.Next(t0 + hours(11), rev += 10), 20);
}

TEST(AutoCompactionTest, RevisionModeKeepsTheLastRevisions) {
  ServerOptions o;
  o.auto_compaction_mode = AutoCompactionMode::kRevision;
  o.auto_compaction_revisions = 1000;
  AutoCompactionPolicy p(o);
  Clock::time_point t0 = Clock::now();
  EXPECT_FALSE(p.Next(t0, 500).has_value());
  EXPECT_FALSE(p.Next(t0 + seconds(10), 5000).has_value());  // checked every 5 minutes
  EXPECT_EQ(p.Next(t0 + minutes(5), 5000), 4000);
  EXPECT_FALSE(p.Next(t0 + minutes(10), 5000).has_value());  // nothing new to compact
}

}  // namespace
}  // namespace raftkv::server
