// The watch hub: live events, history from disk, compaction, prev_kv, and slow watchers that
// overflow their buffer and catch up from disk without blocking the apply loop.

#include <chrono>
#include <thread>

#include "fixture.h"
#include "gmock/gmock.h"

namespace raftkv::mvcc::testing {
namespace {

struct Collected {
  std::vector<mvccpb::Event> events;
  int64_t compact_revision = 0;
};

// Drains `watcher` until `count` events arrived (or it was compacted), up to 10 s.
Collected Drain(Watcher& watcher, size_t count) {
  Collected collected;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (collected.events.size() < count && collected.compact_revision == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    WatchBatch batch = watcher.Take();
    for (auto& event : batch.events)
      collected.events.push_back(std::move(event));
    collected.compact_revision = batch.compact_revision;
    if (batch.events.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return collected;
}

WatchOptions On(const std::string& key, const std::string& end = "", int64_t start = 0,
                bool prev_kv = false) {
  WatchOptions options;
  options.range = KeyRange{key, end};
  options.start_revision = start;
  options.prev_kv = prev_kv;
  return options;
}

class WatchTest : public StoreTest {};

TEST_F(WatchTest, LiveEventsOnAKey) {
  std::atomic<int> ready{0};
  auto watcher = store_->Watch(On("a", "", 0, true), [&] { ready++; });
  Put("a", "1");  // 2
  Put("b", "1");  // 3
  Put("a", "2");  // 4
  Delete("a");    // 5
  Collected got = Drain(*watcher, 3);
  ASSERT_EQ(got.events.size(), 3u);
  EXPECT_GT(ready.load(), 0);
  EXPECT_EQ(got.events[0].type(), mvccpb::Event::PUT);
  EXPECT_EQ(got.events[0].kv().mod_revision(), 2);
  EXPECT_FALSE(got.events[0].has_prev_kv());
  EXPECT_EQ(got.events[1].kv().version(), 2);
  EXPECT_EQ(got.events[1].prev_kv().value(), "1");
  EXPECT_EQ(got.events[2].type(), mvccpb::Event::DELETE);
  EXPECT_EQ(got.events[2].kv().key(), "a");
  EXPECT_EQ(got.events[2].kv().mod_revision(), 5);
  EXPECT_EQ(got.events[2].prev_kv().value(), "2");
}

TEST_F(WatchTest, PrevKvOnlyWhenAsked) {
  auto watcher = store_->Watch(On("a"), nullptr);
  Put("a", "1");
  Put("a", "2");
  Collected got = Drain(*watcher, 2);
  ASSERT_EQ(got.events.size(), 2u);
  EXPECT_FALSE(got.events[1].has_prev_kv());
}

TEST_F(WatchTest, HistoryFromDiskThenLiveInRevisionOrder) {
  Put("p/1", "a");  // 2
  Put("q", "x");    // 3
  Put("p/2", "b");  // 4
  Delete("p/1");    // 5
  auto watcher = store_->Watch(On("p/", "p0", 3, true), nullptr);
  Put("p/3", "c");  // 6
  Collected got = Drain(*watcher, 3);
  ASSERT_EQ(got.events.size(), 3u);
  EXPECT_EQ(got.events[0].kv().key(), "p/2");
  EXPECT_EQ(got.events[0].kv().mod_revision(), 4);
  EXPECT_EQ(got.events[1].type(), mvccpb::Event::DELETE);
  EXPECT_EQ(got.events[1].prev_kv().value(), "a");
  EXPECT_EQ(got.events[2].kv().key(), "p/3");
  EXPECT_EQ(got.events[2].kv().mod_revision(), 6);
}

TEST_F(WatchTest, TxnEventsShareARevision) {
  auto watcher = store_->Watch(On("a", "z"), nullptr);
  etcdserverpb::TxnRequest txn;
  *txn.add_success()->mutable_request_put() = PutReq("a", "1");
  *txn.add_success()->mutable_request_put() = PutReq("b", "1");
  ASSERT_TRUE(Txn(txn).ok());
  Collected got = Drain(*watcher, 2);
  ASSERT_EQ(got.events.size(), 2u);
  EXPECT_EQ(got.events[0].kv().mod_revision(), 2);
  EXPECT_EQ(got.events[1].kv().mod_revision(), 2);
}

TEST_F(WatchTest, StartBelowTheCompactRevisionReportsIt) {
  for (int i = 0; i < 5; ++i)
    Put("k", std::to_string(i));  // 2..6
  ASSERT_TRUE(Compact(5).ok());
  auto watcher = store_->Watch(On("k", "", 3), nullptr);
  Collected got = Drain(*watcher, 1);
  EXPECT_EQ(got.compact_revision, 5);
  EXPECT_TRUE(got.events.empty());
  EXPECT_TRUE(watcher->canceled());
  // From the compact revision on is fine.
  auto ok = store_->Watch(On("k", "", 5), nullptr);
  Collected history = Drain(*ok, 2);
  ASSERT_EQ(history.events.size(), 2u);
  EXPECT_EQ(history.events[0].kv().mod_revision(), 5);
}

TEST_F(WatchTest, PrevKvWatcherJoiningMidBatchGetsPreviousValuesFromHistory) {
  Put("a", "old");
  ApplyBatch batch = store_->BeginApply();
  ASSERT_TRUE(batch.Put(PutReq("a", "new")).ok());  // no prev_kv watcher yet: value not read
  auto watcher = store_->Watch(On("a", "", 0, true), nullptr);
  ASSERT_TRUE(batch.Commit({++index_, 1}).ok());
  Collected got = Drain(*watcher, 1);
  ASSERT_EQ(got.events.size(), 1u);
  EXPECT_EQ(got.events[0].kv().value(), "new");
  EXPECT_EQ(got.events[0].prev_kv().value(), "old");
}

TEST_F(WatchTest, CanceledWatcherGetsNothing) {
  auto watcher = store_->Watch(On("a"), nullptr);
  store_->CancelWatch(watcher->id());
  Put("a", "1");
  EXPECT_TRUE(watcher->Take().events.empty());
  EXPECT_TRUE(watcher->canceled());
}

// A member behind the cluster (restarted, replaying its log) takes a watch from a client that
// has already seen revisions the member has not applied yet; the member then installs a
// snapshot that is still behind that start and applies the entries after it. The watcher must
// not receive those entries' events below its start (the 30-minute soak, seed 77134).
TEST_F(WatchTest, StartAheadOfARestoredSnapshotStaysTheFloor) {
  TempDir leader_dir;
  auto leader = OpenStore(leader_dir.path());
  for (int i = 0; i < 4; ++i) {  // 2..5
    ApplyBatch batch = leader->BeginApply();
    ASSERT_TRUE(batch.Put(PutReq("k", std::to_string(i))).ok());
    ASSERT_TRUE(batch.Commit({static_cast<uint64_t>(i + 1), 1}).ok());
  }
  ASSERT_TRUE(leader->CreateCheckpoint(leader_dir.path("checkpoint")).ok());
  index_ = 4;

  auto watcher = store_->Watch(On("k", "", 10), nullptr);  // this store is at revision 1
  ASSERT_TRUE(store_->RestoreFromCheckpoint(leader_dir.path("checkpoint")).ok());
  ASSERT_EQ(store_->CurrentRevision(), 5);
  // Let the sync thread handle the resync before the next entries are applied.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (store_->watch_hub().unsynced_count() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_EQ(store_->watch_hub().unsynced_count(), 0u);
  for (int i = 6; i <= 10; ++i)
    Put("k", std::to_string(i));  // revisions 6..10
  Collected got = Drain(*watcher, 1);
  ASSERT_FALSE(got.events.empty());
  EXPECT_EQ(got.events.front().kv().mod_revision(), 10);
  EXPECT_EQ(got.events.size(), 1u);
}

TEST(WatchSlowConsumerTest, OverflowGoesUnsyncedAndCatchesUpFromDisk) {
  TempDir dir;
  WatchHubOptions small;
  small.watcher_buffer_bytes = 4096;
  small.sync_interval = absl::Milliseconds(5);
  auto store = OpenStore(dir.path(), small);
  auto watcher = store->Watch(On("k", "l", 0, true), nullptr);
  const int kPuts = 2000;
  const std::string value(100, 'v');
  for (int i = 0; i < kPuts; ++i) {
    ApplyBatch batch = store->BeginApply();
    ASSERT_TRUE(batch.Put(PutReq("k" + std::to_string(i % 10), value)).ok());
    ASSERT_TRUE(batch.Commit({static_cast<uint64_t>(i + 1), 1}).ok());
  }
  // Nobody drained: memory stays within the buffer (plus at most one revision).
  EXPECT_LE(store->watch_hub().buffered_bytes(), 4096u + 512u);
  EXPECT_EQ(store->watch_hub().unsynced_count(), 1u);
  Collected got = Drain(*watcher, kPuts);
  ASSERT_EQ(got.events.size(), static_cast<size_t>(kPuts));
  for (int i = 0; i < kPuts; ++i) {
    ASSERT_EQ(got.events[i].kv().mod_revision(), i + 2) << i;
    if (i >= 10) {
      ASSERT_EQ(got.events[i].prev_kv().mod_revision(), i + 2 - 10) << i;
    }
  }
  // Caught up: back to live delivery.
  ApplyBatch batch = store->BeginApply();
  ASSERT_TRUE(batch.Put(PutReq("k1", "live")).ok());
  ASSERT_TRUE(batch.Commit({kPuts + 1, 1}).ok());
  Collected live = Drain(*watcher, 1);
  ASSERT_EQ(live.events.size(), 1u);
  EXPECT_EQ(live.events[0].kv().value(), "live");
  EXPECT_EQ(store->watch_hub().unsynced_count(), 0u);
}

}  // namespace
}  // namespace raftkv::mvcc::testing
