#include "orchestrator/scheduler/scheduling_queue.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/orchestrator/scheduler/test_objects.h"

namespace orch::scheduler {
namespace {

using testing::MakePod;
using testing::PodParams;

PodInfo Pod(const std::string& name, const PodParams& params = {}) {
  absl::StatusOr<PodInfo> pod = PodInfo::FromPod(MakePod(name, params));
  EXPECT_TRUE(pod.ok()) << pod.status();
  return *pod;
}

QueueOptions FastOptions() {
  return {.initial_backoff = absl::Milliseconds(20),
          .max_backoff = absl::Milliseconds(80),
          .unschedulable_timeout = absl::Seconds(60)};
}

std::string PopName(SchedulingQueue& queue) {
  std::optional<QueuedPod> pod = queue.Pop();
  return pod.has_value() ? pod->pod.name : "<closed>";
}

TEST(SchedulingQueueTest, PriorityThenCreation) {
  SchedulingQueue queue(FastOptions());
  queue.AddOrUpdate(Pod("late", {.created = "2024-01-01T00:00:09Z"}));
  queue.AddOrUpdate(Pod("early", {.created = "2024-01-01T00:00:01Z"}));
  queue.AddOrUpdate(Pod("important", {.priority = 1000, .created = "2024-01-01T00:00:05Z"}));
  EXPECT_EQ(PopName(queue), "important");
  EXPECT_EQ(PopName(queue), "early");
  EXPECT_EQ(PopName(queue), "late");
}

TEST(SchedulingQueueTest, AddingTwiceQueuesOnce) {
  SchedulingQueue queue(FastOptions());
  queue.AddOrUpdate(Pod("a"));
  queue.AddOrUpdate(Pod("a"));
  EXPECT_EQ(queue.Counts().active, 1u);
}

TEST(SchedulingQueueTest, UnschedulableWaitsForAClusterChange) {
  SchedulingQueue queue(FastOptions());
  queue.AddOrUpdate(Pod("a"));
  std::optional<QueuedPod> popped = queue.Pop();
  ASSERT_TRUE(popped.has_value());
  EXPECT_EQ(popped->attempts, 1);
  queue.Requeue(*std::move(popped), /*unschedulable=*/true);
  EXPECT_EQ(queue.Counts().unschedulable, 1u);
  absl::SleepFor(absl::Milliseconds(100));  // longer than any back-off: still waiting
  EXPECT_EQ(queue.Counts().unschedulable, 1u);
  queue.MoveAllToActive();
  std::optional<QueuedPod> again = queue.Pop();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->attempts, 2);
}

TEST(SchedulingQueueTest, MoveDuringAnAttemptBacksOffInsteadOfWaiting) {
  SchedulingQueue queue(FastOptions());
  queue.AddOrUpdate(Pod("a"));
  std::optional<QueuedPod> popped = queue.Pop();
  queue.MoveAllToActive();  // a node appeared while "a" was being scheduled
  queue.Requeue(*std::move(popped), /*unschedulable=*/true);
  EXPECT_EQ(queue.Counts().unschedulable, 0u);
  EXPECT_EQ(queue.Counts().backoff, 1u);
  const absl::Time start = absl::Now();
  EXPECT_EQ(PopName(queue), "a");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(15));
}

TEST(SchedulingQueueTest, ErrorsBackOffExponentially) {
  SchedulingQueue queue(FastOptions());
  queue.AddOrUpdate(Pod("a"));
  std::optional<QueuedPod> popped = queue.Pop();
  queue.Requeue(*std::move(popped), /*unschedulable=*/false);
  popped = queue.Pop();  // after 20 ms
  ASSERT_TRUE(popped.has_value());
  const absl::Time start = absl::Now();
  queue.Requeue(*std::move(popped), /*unschedulable=*/false);
  EXPECT_EQ(PopName(queue), "a");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(35));  // second failure: 40 ms
}

TEST(SchedulingQueueTest, UnschedulablePodsAreRetriedAfterTheTimeout) {
  SchedulingQueue queue({.initial_backoff = absl::Milliseconds(10),
                         .max_backoff = absl::Milliseconds(10),
                         .unschedulable_timeout = absl::Milliseconds(300)});
  queue.AddOrUpdate(Pod("a"));
  queue.Requeue(*queue.Pop(), /*unschedulable=*/true);
  const absl::Time start = absl::Now();
  EXPECT_EQ(PopName(queue), "a");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(290));
  EXPECT_LE(absl::Now() - start, absl::Seconds(3));
}

TEST(SchedulingQueueTest, UpdateOfAWaitingPodRetriesIt) {
  SchedulingQueue queue(FastOptions());
  queue.AddOrUpdate(Pod("a"));
  queue.Requeue(*queue.Pop(), /*unschedulable=*/true);
  queue.AddOrUpdate(Pod("a", {.cpu = "1"}));
  std::optional<QueuedPod> again = queue.Pop();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->pod.requests.milli_cpu, 1000);
}

TEST(SchedulingQueueTest, ChangesDuringAnAttemptAreKept) {
  SchedulingQueue queue(FastOptions());
  queue.AddOrUpdate(Pod("a"));
  queue.AddOrUpdate(Pod("b"));
  std::optional<QueuedPod> a = queue.Pop();
  std::optional<QueuedPod> b = queue.Pop();
  queue.AddOrUpdate(Pod("a", {.cpu = "2"}));
  queue.Delete("default/b");
  EXPECT_EQ(queue.Counts().active, 0u);  // not queued twice while in flight
  queue.Requeue(*std::move(a), /*unschedulable=*/true);
  queue.Requeue(*std::move(b), /*unschedulable=*/true);
  std::optional<QueuedPod> again = queue.Pop();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->pod.requests.milli_cpu, 2000);
  queue.Done("default/a");
  EXPECT_EQ(queue.Counts().unschedulable + queue.Counts().backoff + queue.Counts().active, 0u);
}

TEST(SchedulingQueueTest, DeleteRemovesFromEveryState) {
  SchedulingQueue queue(FastOptions());
  queue.AddOrUpdate(Pod("a"));
  queue.AddOrUpdate(Pod("b"));
  queue.Requeue(*queue.Pop(), /*unschedulable=*/true);
  queue.Delete("default/a");
  queue.Delete("default/b");
  QueueCounts counts = queue.Counts();
  EXPECT_EQ(counts.active + counts.backoff + counts.unschedulable, 0u);
}

TEST(SchedulingQueueTest, CloseWakesPop) {
  SchedulingQueue queue(FastOptions());
  std::thread closer([&] {
    absl::SleepFor(absl::Milliseconds(20));
    queue.Close();
  });
  EXPECT_EQ(PopName(queue), "<closed>");
  closer.join();
}

}  // namespace
}  // namespace orch::scheduler
