#include "raftkv/server/checkpoint_maker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>

#include "tests/mvcc/test_util.h"

namespace raftkv::server {
namespace {

using mvcc::testing::OpenStore;
using mvcc::testing::PutReq;
using mvcc::testing::RangeReq;
using mvcc::testing::TempDir;

// Puts counter=<index> as the batch of entry `index`.
void ApplyCounter(mvcc::Store& store, uint64_t index) {
  mvcc::ApplyBatch batch = store.BeginApply();
  ASSERT_TRUE(batch.Put(PutReq("counter", std::to_string(index))).ok());
  ASSERT_TRUE(batch.Commit({index, 1}).ok());
}

std::string Counter(mvcc::Store& store) {
  auto response = store.Range(RangeReq("counter"));
  EXPECT_TRUE(response.ok()) << response.status();
  return response.ok() && response->kvs_size() == 1 ? response->kvs(0).value() : "";
}

struct Outcome {
  CheckpointMaker::Job job;
  absl::Status status;
};

TEST(CheckpointMakerTest, MakesACheckpointThatOpensAsTheStoreAtItsIndex) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  for (uint64_t index = 1; index <= 50; ++index)
    ApplyCounter(*store, index);
  std::promise<Outcome> done;
  CheckpointMaker maker(
      store.get(), dir.path(""),
      [&](const CheckpointMaker::Job& job, const absl::Status& s, std::chrono::microseconds) {
        done.set_value({job, s});
      });

  ASSERT_TRUE(maker.TryStart({50, 1, "checkpoint-50"}));
  Outcome outcome = done.get_future().get();
  ASSERT_TRUE(outcome.status.ok()) << outcome.status;
  EXPECT_EQ(outcome.job.index, 50u);
  EXPECT_EQ(outcome.job.name, "checkpoint-50");
  EXPECT_GE(store->durable_applied().index, 50u);

  auto copy = OpenStore(dir.path("checkpoint-50"));
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(copy->applied().index, 50u);
  EXPECT_EQ(Counter(*copy), "50");
}

// The apply thread goes on while the checkpoint is made: the checkpoint holds whole batches,
// at least up to the index it was started at.
TEST(CheckpointMakerTest, WhileBatchesGoOnTheCheckpointHoldsWholeBatchesFromItsIndexOn) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  for (uint64_t index = 1; index <= 1000; ++index)
    ApplyCounter(*store, index);
  std::promise<absl::Status> done;
  CheckpointMaker maker(store.get(), dir.path(""),
                        [&](const CheckpointMaker::Job&, const absl::Status& s,
                            std::chrono::microseconds) { done.set_value(s); });
  std::future<absl::Status> made = done.get_future();

  ASSERT_TRUE(maker.TryStart({1000, 1, "c"}));
  uint64_t index = 1000;
  while (made.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
    ApplyCounter(*store, ++index);
  ASSERT_TRUE(made.get().ok());

  auto copy = OpenStore(dir.path("c"));
  ASSERT_NE(copy, nullptr);
  const uint64_t held = copy->applied().index;
  EXPECT_GE(held, 1000u);
  EXPECT_LE(held, index);
  EXPECT_EQ(Counter(*copy), std::to_string(held)) << "a batch was split";
}

TEST(CheckpointMakerTest, OneJobAtATime) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ApplyCounter(*store, 1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> entered;
  std::atomic<int> made{0};
  CheckpointMaker maker(
      store.get(), dir.path(""),
      [&](const CheckpointMaker::Job&, const absl::Status& s, std::chrono::microseconds) {
        EXPECT_TRUE(s.ok()) << s;
        if (made++ == 0) {
          entered.set_value();
          released.wait();
        }
      });

  ASSERT_TRUE(maker.TryStart({1, 1, "a"}));
  entered.get_future().wait();  // the first job is in hand until released
  EXPECT_FALSE(maker.TryStart({1, 1, "b"}));
  release.set_value();
  maker.WaitIdle();
  EXPECT_EQ(made.load(), 1);
  EXPECT_TRUE(maker.TryStart({1, 1, "b"}));
  maker.WaitIdle();
  EXPECT_EQ(made.load(), 2);
}

TEST(CheckpointMakerTest, DestroyingTheMakerFinishesTheJobInHand) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ApplyCounter(*store, 1);
  std::atomic<bool> made{false};
  {
    CheckpointMaker maker(store.get(), dir.path(""),
                          [&](const CheckpointMaker::Job&, const absl::Status& s,
                              std::chrono::microseconds) { made = s.ok(); });
    ASSERT_TRUE(maker.TryStart({1, 1, "c"}));
  }
  EXPECT_TRUE(made.load());
  EXPECT_TRUE(std::filesystem::exists(dir.path("c")));
}

}  // namespace
}  // namespace raftkv::server
