#include "orchestrator/client/work_queue.h"

#include <gtest/gtest.h>

#include <thread>

#include "absl/time/clock.h"

namespace orch::client {
namespace {

TEST(WorkQueueTest, AKeyIsQueuedOnceHoweverOftenItIsAdded) {
  WorkQueue queue;
  queue.Add("default/a");
  queue.Add("default/b");
  queue.Add("default/a");
  EXPECT_EQ(queue.Length(), 2u);
  EXPECT_EQ(queue.Get(), "default/a");
  EXPECT_EQ(queue.Get(), "default/b");
  EXPECT_EQ(queue.Length(), 0u);
}

TEST(WorkQueueTest, AKeyAddedWhileProcessedComesBackAfterDone) {
  WorkQueue queue;
  queue.Add("k");
  ASSERT_EQ(queue.Get(), "k");
  queue.Add("k");
  // Not handed to a second worker while the first has it.
  EXPECT_EQ(queue.Length(), 0u);
  queue.Done("k");
  EXPECT_EQ(queue.Length(), 1u);
  EXPECT_EQ(queue.Get(), "k");
  queue.Done("k");
  EXPECT_EQ(queue.Length(), 0u);
}

TEST(WorkQueueTest, DoneWithoutAReAddDoesNotRequeue) {
  WorkQueue queue;
  queue.Add("k");
  ASSERT_EQ(queue.Get(), "k");
  queue.Done("k");
  EXPECT_EQ(queue.Length(), 0u);
}

TEST(WorkQueueTest, AddAfterQueuesOnceTheDelayHasPassed) {
  WorkQueue queue;
  const absl::Time start = absl::Now();
  queue.AddAfter("later", absl::Milliseconds(50));
  EXPECT_EQ(queue.Length(), 0u);
  EXPECT_EQ(queue.Get(), "later");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50));
}

TEST(WorkQueueTest, AnEarlierAddAfterOfTheSameKeyWins) {
  WorkQueue queue;
  const absl::Time start = absl::Now();
  queue.AddAfter("k", absl::Seconds(60));
  queue.AddAfter("k", absl::Milliseconds(20));
  EXPECT_EQ(queue.Get(), "k");
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  queue.Done("k");
  EXPECT_EQ(queue.Length(), 0u);
}

TEST(WorkQueueTest, AnImmediateAddOvertakesADelayedOne) {
  WorkQueue queue;
  queue.AddAfter("slow", absl::Seconds(60));
  queue.Add("fast");
  EXPECT_EQ(queue.Get(), "fast");
}

TEST(WorkQueueTest, RateLimitedBackOffDoublesAndForgetResetsIt) {
  WorkQueue queue(absl::Milliseconds(40), absl::Seconds(10));
  // Failures 0, 1, 2 wait 40, 80, 160 ms: at least 280 ms in all.
  const absl::Time start = absl::Now();
  for (int i = 0; i < 3; ++i) {
    queue.AddRateLimited("k");
    ASSERT_EQ(queue.Get(), "k");
    queue.Done("k");
  }
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(280));
  queue.Forget("k");
  const absl::Time after_forget = absl::Now();
  queue.AddRateLimited("k");
  ASSERT_EQ(queue.Get(), "k");
  // Back to the base delay: far below the 320 ms the fourth failure would wait.
  EXPECT_LT(absl::Now() - after_forget, absl::Milliseconds(300));
}

TEST(WorkQueueTest, BackOffIsCappedAtTheMaximum) {
  WorkQueue queue(absl::Milliseconds(1), absl::Milliseconds(8));
  for (int i = 0; i < 40; ++i) {
    queue.AddRateLimited("k");
    ASSERT_EQ(queue.Get(), "k");
    queue.Done("k");
  }
}

TEST(WorkQueueTest, ShutDownWakesABlockedGetAndIgnoresLaterAdds) {
  WorkQueue queue;
  std::optional<std::string> got = "unset";
  std::thread worker([&] { got = queue.Get(); });
  absl::SleepFor(absl::Milliseconds(20));
  queue.ShutDown();
  worker.join();
  EXPECT_EQ(got, std::nullopt);
  queue.Add("k");
  EXPECT_EQ(queue.Length(), 0u);
  EXPECT_EQ(queue.Get(), std::nullopt);
}

TEST(WorkQueueTest, ABlockedGetWakesForAnAdd) {
  WorkQueue queue;
  std::optional<std::string> got;
  std::thread worker([&] { got = queue.Get(); });
  absl::SleepFor(absl::Milliseconds(20));
  queue.Add("k");
  worker.join();
  EXPECT_EQ(got, "k");
}

}  // namespace
}  // namespace orch::client
