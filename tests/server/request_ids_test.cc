#include "raftkv/server/request_ids.h"

#include <set>

#include "gtest/gtest.h"

namespace raftkv::server {
namespace {

TEST(RequestIdsTest, AfterARestartIdsAreAboveTheEarlierRunsIds) {
  const absl::Time start = absl::FromUnixMillis(1'790'000'000'000);
  RequestIds first_run(0x49200de13dce6f13, start);
  uint64_t highest = 0;
  for (int i = 0; i < 5000; ++i)
    highest = std::max(highest, first_run.Next());
  // 5,000 proposals in the 100 ms before the restart: well under 256 per millisecond.
  RequestIds second_run(0x49200de13dce6f13, start + absl::Milliseconds(100));
  for (int i = 0; i < 5000; ++i)
    EXPECT_GT(second_run.Next(), highest);
}

TEST(RequestIdsTest, MembersNeverShareIds) {
  const absl::Time now = absl::FromUnixMillis(1'790'000'000'000);
  RequestIds a(0x1111, now);
  RequestIds b(0x2222, now);
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(seen.insert(a.Next()).second);
    EXPECT_TRUE(seen.insert(b.Next()).second);
  }
  EXPECT_EQ(a.Next() >> 48, 0x1111u);
}

}  // namespace
}  // namespace raftkv::server
