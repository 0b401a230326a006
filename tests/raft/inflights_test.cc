#include "raftkv/raft/inflights.h"

#include <gtest/gtest.h>

namespace raftkv::raft {
namespace {

TEST(InflightsTest, FullAtCapacity) {
  Inflights in(10, 0);
  for (uint64_t i = 0; i < 10; ++i) {
    EXPECT_FALSE(in.Full());
    in.Add(i, 100);
  }
  EXPECT_TRUE(in.Full());
  EXPECT_EQ(in.Count(), 10u);
}

TEST(InflightsTest, FreeLEFreesEverythingUpToTheIndex) {
  Inflights in(10, 0);
  for (uint64_t i = 0; i < 10; ++i) {
    in.Add(i, 1);
  }
  in.FreeLE(0);
  EXPECT_EQ(in.Count(), 9u);
  in.FreeLE(4);
  EXPECT_EQ(in.Count(), 5u);
  // Stale acknowledgements free nothing.
  in.FreeLE(2);
  EXPECT_EQ(in.Count(), 5u);
  in.FreeLE(8);
  EXPECT_EQ(in.Count(), 1u);
  // The window wraps around its ring buffer.
  for (uint64_t i = 10; i < 19; ++i) {
    in.Add(i, 1);
  }
  EXPECT_TRUE(in.Full());
  in.FreeLE(12);
  EXPECT_EQ(in.Count(), 6u);
  in.FreeLE(14);
  EXPECT_EQ(in.Count(), 4u);
  in.FreeLE(100);
  EXPECT_EQ(in.Count(), 0u);
  EXPECT_FALSE(in.Full());
}

TEST(InflightsTest, FreeFirstOne) {
  Inflights in(10, 0);
  for (uint64_t i = 0; i < 10; ++i) {
    in.Add(i, 1);
  }
  in.FreeFirstOne();
  EXPECT_EQ(in.Count(), 9u);
  EXPECT_FALSE(in.Full());
  in.FreeLE(8);
  EXPECT_EQ(in.Count(), 1u);
  in.FreeFirstOne();
  EXPECT_EQ(in.Count(), 0u);
  in.FreeFirstOne();
  EXPECT_EQ(in.Count(), 0u);
}

TEST(InflightsTest, ByteLimitFillsTheWindowEarly) {
  Inflights in(10, 1000);
  in.Add(1, 400);
  in.Add(2, 400);
  EXPECT_FALSE(in.Full());
  in.Add(3, 400);
  EXPECT_TRUE(in.Full());
  EXPECT_EQ(in.Count(), 3u);
  // Freeing bytes opens the window again.
  in.FreeLE(1);
  EXPECT_FALSE(in.Full());
  in.Add(4, 200);
  EXPECT_TRUE(in.Full());
}

TEST(InflightsTest, ResetEmptiesTheWindow) {
  Inflights in(2, 100);
  in.Add(1, 100);
  EXPECT_TRUE(in.Full());
  in.Reset();
  EXPECT_EQ(in.Count(), 0u);
  EXPECT_FALSE(in.Full());
  in.Add(5, 10);
  in.Add(6, 10);
  EXPECT_TRUE(in.Full());
}

TEST(InflightsDeathTest, AddingToAFullWindowPanics) {
  Inflights in(1, 0);
  in.Add(1, 1);
  EXPECT_DEATH(in.Add(2, 1), "");
}

}  // namespace
}  // namespace raftkv::raft
