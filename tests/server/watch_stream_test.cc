// The Watch RPC's state machine against a real store: created responses before events, ids,
// filters, cancel, compaction, progress requests and notifications, fragments.

#include "raftkv/server/watch_stream.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace raftkv::server {
namespace {

using etcdserverpb::WatchRequest;
using etcdserverpb::WatchResponse;

constexpr uint64_t kClusterId = 11;
constexpr uint64_t kMemberId = 22;

class WatchStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(RAFTKV_TEST_TMP_DIR) /
           (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
            std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    mvcc::StoreOptions options;
    options.dir = (dir_ / "db").string();
    auto store = mvcc::Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    stream_ = NewStream({});
  }
  void TearDown() override {
    stream_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<WatchStream> NewStream(WatchStreamOptions options) {
    auto header = [] {
      etcdserverpb::ResponseHeader header;
      header.set_cluster_id(kClusterId);
      header.set_member_id(kMemberId);
      header.set_raft_term(3);
      return header;
    };
    return std::make_unique<WatchStream>(store_.get(), header, options, [this] { ++wakeups_; });
  }

  int64_t Put(const std::string& key, const std::string& value) {
    mvcc::ApplyBatch batch = store_->BeginApply();
    etcdserverpb::PutRequest request;
    request.set_key(key);
    request.set_value(value);
    EXPECT_TRUE(batch.Put(request).ok());
    const int64_t revision = batch.revision();
    EXPECT_TRUE(batch.Commit({++index_, 1}).ok());
    return revision;
  }
  void Delete(const std::string& key) {
    mvcc::ApplyBatch batch = store_->BeginApply();
    etcdserverpb::DeleteRangeRequest request;
    request.set_key(key);
    EXPECT_TRUE(batch.DeleteRange(request).ok());
    EXPECT_TRUE(batch.Commit({++index_, 1}).ok());
  }
  void Compact(int64_t revision) {
    mvcc::ApplyBatch batch = store_->BeginApply();
    etcdserverpb::CompactionRequest request;
    request.set_revision(revision);
    EXPECT_TRUE(batch.Compact(request).ok());
    EXPECT_TRUE(batch.Commit({++index_, 1}).ok());
  }

  static WatchRequest Create(const std::string& key, const std::string& end = "", int64_t start = 0,
                             int64_t id = 0) {
    WatchRequest request;
    auto* create = request.mutable_create_request();
    create->set_key(key);
    create->set_range_end(end);
    create->set_start_revision(start);
    create->set_watch_id(id);
    return request;
  }
  static WatchRequest Cancel(int64_t id) {
    WatchRequest request;
    request.mutable_cancel_request()->set_watch_id(id);
    return request;
  }

  // Polls until `count` responses arrived, for up to 10 s.
  std::vector<WatchResponse> PollFor(size_t count, WatchStream* stream = nullptr) {
    if (!stream) stream = stream_.get();
    std::vector<WatchResponse> got;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (got.size() < count && std::chrono::steady_clock::now() < deadline) {
      for (WatchResponse& response : stream->Poll())
        got.push_back(std::move(response));
      if (got.size() < count) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return got;
  }
  // Whatever arrives within 100 ms.
  std::vector<WatchResponse> PollQuiet() {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return stream_->Poll();
  }

  std::filesystem::path dir_;
  std::unique_ptr<mvcc::Store> store_;
  std::unique_ptr<WatchStream> stream_;
  std::atomic<int> wakeups_{0};
  uint64_t index_ = 0;
};

TEST_F(WatchStreamTest, CreatedThenEvents) {
  Put("a", "0");  // revision 2
  stream_->Handle(Create("a"));
  EXPECT_GT(wakeups_.load(), 0);
  std::vector<WatchResponse> got = PollFor(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].created());
  EXPECT_FALSE(got[0].canceled());
  EXPECT_EQ(got[0].watch_id(), 0);  // auto ids count from 0, as etcd 3.4
  EXPECT_EQ(got[0].header().revision(), 2);
  EXPECT_EQ(got[0].header().cluster_id(), kClusterId);
  EXPECT_EQ(got[0].header().member_id(), kMemberId);
  EXPECT_EQ(got[0].header().raft_term(), 3u);

  Put("a", "1");
  Put("b", "1");
  got = PollFor(1);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].events_size(), 1);
  EXPECT_EQ(got[0].events(0).kv().key(), "a");
  EXPECT_EQ(got[0].events(0).kv().value(), "1");
  // At least the event's revision: the revision the watcher had seen when it was drained.
  EXPECT_GE(got[0].header().revision(), 3);
  EXPECT_EQ(got[0].watch_id(), 0);
}

TEST_F(WatchStreamTest, EventsNeverPrecedeCreated) {
  for (int i = 0; i < 5; ++i)
    Put("k", std::to_string(i));  // revisions 2..6
  stream_->Handle(Create("k", "", 2));
  std::vector<WatchResponse> got = PollFor(2);
  ASSERT_GE(got.size(), 2u);
  EXPECT_TRUE(got[0].created());
  int events = 0;
  for (size_t i = 1; i < got.size(); ++i)
    events += got[i].events_size();
  while (events < 5) {
    std::vector<WatchResponse> more = PollFor(1);
    ASSERT_FALSE(more.empty());
    for (const auto& response : more)
      events += response.events_size();
  }
  EXPECT_EQ(events, 5);
}

TEST_F(WatchStreamTest, ClientChosenAndAutoIds) {
  stream_->Handle(Create("a", "", 0, 7));
  stream_->Handle(Create("b"));
  stream_->Handle(Create("c"));
  stream_->Handle(Create("d", "", 0, 7));  // duplicate
  std::vector<WatchResponse> got = PollFor(4);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].watch_id(), 7);
  EXPECT_EQ(got[1].watch_id(), 0);
  EXPECT_EQ(got[2].watch_id(), 1);
  EXPECT_EQ(got[3].watch_id(), -1);
  EXPECT_TRUE(got[3].created());
  EXPECT_TRUE(got[3].canceled());
  EXPECT_EQ(got[3].cancel_reason(), "mvcc: duplicate watch ID provided on the WatchStream");
  EXPECT_EQ(stream_->watch_count(), 3u);
}

TEST_F(WatchStreamTest, EmptyRangeIsRefused) {
  stream_->Handle(Create("b", "a"));
  std::vector<WatchResponse> got = PollFor(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].canceled());
  EXPECT_EQ(got[0].watch_id(), -1);
  EXPECT_EQ(got[0].cancel_reason(), "mvcc: watcher range is empty");
}

TEST_F(WatchStreamTest, PrefixFromKeyAndEmptyKey) {
  stream_->Handle(Create("a", "b"));                   // prefix "a"
  stream_->Handle(Create("m", std::string(1, '\0')));  // every key >= "m"
  stream_->Handle(Create("", std::string(1, '\0')));   // every key
  ASSERT_EQ(PollFor(3).size(), 3u);
  Put("ab", "1");
  Put("z", "1");
  std::map<int64_t, std::vector<std::string>> keys;
  size_t events = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (events < 4 && std::chrono::steady_clock::now() < deadline) {
    for (const auto& response : PollFor(1)) {
      for (const auto& event : response.events()) {
        keys[response.watch_id()].push_back(event.kv().key());
        ++events;
      }
    }
  }
  EXPECT_THAT(keys[0], ::testing::ElementsAre("ab"));
  EXPECT_THAT(keys[1], ::testing::ElementsAre("z"));
  EXPECT_THAT(keys[2], ::testing::ElementsAre("ab", "z"));
}

TEST_F(WatchStreamTest, FiltersAndPrevKv) {
  WatchRequest no_put = Create("k");
  no_put.mutable_create_request()->add_filters(etcdserverpb::WatchCreateRequest::NOPUT);
  no_put.mutable_create_request()->set_prev_kv(true);
  stream_->Handle(no_put);
  ASSERT_EQ(PollFor(1).size(), 1u);
  Put("k", "1");
  EXPECT_TRUE(PollQuiet().empty());  // all filtered: nothing is sent
  Delete("k");
  std::vector<WatchResponse> got = PollFor(1);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].events_size(), 1);
  EXPECT_EQ(got[0].events(0).type(), mvccpb::Event::DELETE);
  EXPECT_EQ(got[0].events(0).prev_kv().value(), "1");
}

TEST_F(WatchStreamTest, CancelAnswersOnceAndStopsEvents) {
  stream_->Handle(Create("k"));
  ASSERT_EQ(PollFor(1).size(), 1u);
  stream_->Handle(Cancel(0));
  stream_->Handle(Cancel(0));  // unknown by now: no answer
  std::vector<WatchResponse> got = PollFor(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].canceled());
  EXPECT_FALSE(got[0].created());
  EXPECT_EQ(got[0].watch_id(), 0);
  Put("k", "1");
  EXPECT_TRUE(PollQuiet().empty());
  EXPECT_EQ(stream_->watch_count(), 0u);
}

TEST_F(WatchStreamTest, CompactedStartRevision) {
  for (int i = 0; i < 4; ++i)
    Put("k", std::to_string(i));  // 2..5
  Compact(4);
  stream_->Handle(Create("k", "", 2));
  std::vector<WatchResponse> got = PollFor(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].created());
  EXPECT_TRUE(got[1].canceled());
  EXPECT_EQ(got[1].compact_revision(), 4);
  EXPECT_EQ(stream_->watch_count(), 0u);
}

TEST_F(WatchStreamTest, ProgressRequestAnswersCurrentRevision) {
  stream_->Handle(Create("k"));
  ASSERT_EQ(PollFor(1).size(), 1u);
  Put("k", "1");
  Put("other", "1");  // revision 3
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  WatchRequest progress;
  progress.mutable_progress_request();
  stream_->Handle(progress);
  std::vector<WatchResponse> got = PollFor(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].events_size(), 1);  // buffered events go first
  EXPECT_EQ(got[1].watch_id(), -1);
  EXPECT_EQ(got[1].events_size(), 0);
  EXPECT_EQ(got[1].header().revision(), 3);
}

TEST_F(WatchStreamTest, ProgressNotifyOnlyWhenIdle) {
  WatchRequest create = Create("k");
  create.mutable_create_request()->set_progress_notify(true);
  stream_->Handle(create);
  stream_->Handle(Create("quiet"));  // no progress_notify: never notified
  ASSERT_EQ(PollFor(2).size(), 2u);
  Put("other", "1");  // revision 2
  stream_->ProgressTick();
  std::vector<WatchResponse> got = PollFor(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].watch_id(), 0);
  EXPECT_EQ(got[0].events_size(), 0);
  EXPECT_EQ(got[0].header().revision(), 2);

  Put("k", "1");  // an event since the tick: the next notification is elided
  ASSERT_EQ(PollFor(1).size(), 1u);
  stream_->ProgressTick();
  EXPECT_TRUE(PollQuiet().empty());
  stream_->ProgressTick();
  got = PollFor(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].header().revision(), 3);
}

TEST_F(WatchStreamTest, FragmentsLargeResponses) {
  WatchStreamOptions options;
  options.max_response_bytes = 600;
  auto stream = NewStream(options);
  WatchRequest create = Create("k", "l", 2);
  create.mutable_create_request()->set_fragment(true);
  mvcc::ApplyBatch batch = store_->BeginApply();
  etcdserverpb::TxnRequest txn;
  for (int i = 0; i < 10; ++i) {
    auto* put = txn.add_success()->mutable_request_put();
    put->set_key("k" + std::to_string(i));
    put->set_value(std::string(100, 'v'));
  }
  ASSERT_TRUE(batch.Txn(txn).ok());
  ASSERT_TRUE(batch.Commit({++index_, 1}).ok());
  stream->Handle(create);
  std::vector<WatchResponse> got = PollFor(2, stream.get());
  int events = 0;
  size_t last = 0;
  while (events < 10) {
    for (size_t i = last; i < got.size(); ++i)
      events += got[i].events_size();
    last = got.size();
    if (events < 10) {
      std::vector<WatchResponse> more = PollFor(1, stream.get());
      ASSERT_FALSE(more.empty());
      for (auto& response : more)
        got.push_back(std::move(response));
    }
  }
  ASSERT_GE(got.size(), 3u);  // created + several fragments
  for (size_t i = 1; i + 1 < got.size(); ++i) {
    EXPECT_TRUE(got[i].fragment());
    EXPECT_LT(got[i].ByteSizeLong(), 600u);
  }
  EXPECT_FALSE(got.back().fragment());
}

TEST(SplitIntoFragmentsTest, SmallOrSingleEventStaysWhole) {
  WatchResponse response;
  response.add_events()->mutable_kv()->set_value(std::string(1000, 'x'));
  EXPECT_EQ(SplitIntoFragments(response, 100).size(), 1u);
  response.add_events()->mutable_kv()->set_key("k");
  EXPECT_EQ(SplitIntoFragments(response, 10000).size(), 1u);
  std::vector<WatchResponse> parts = SplitIntoFragments(response, 100);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_TRUE(parts[0].fragment());
  EXPECT_FALSE(parts[1].fragment());
  EXPECT_EQ(parts[1].events(0).kv().key(), "k");
}

}  // namespace
}  // namespace raftkv::server
