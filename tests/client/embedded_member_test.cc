// raftkv::EmbeddedMember: members inside the test process, their KV (no gRPC hop), a
// three-member cluster in one process, membership, serving gRPC to a remote client, OpenKV.

#include "raftkv/embedded_member.h"

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cluster_harness.h"
#include "gtest/gtest.h"
#include "raftkv/client.h"
#include "raftkv/errors.h"
#include "raftkv/open.h"

namespace raftkv {
namespace {

using std::chrono::milliseconds;
namespace fs = std::filesystem;
using integration::PickFreePort;

fs::path FreshDir(const std::string& name) {
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::path(RAFTKV_TEST_TMP_DIR) / test->name() / name;
  fs::remove_all(dir);
  fs::create_directories(dir.parent_path());
  return dir;
}

MemberOptions SingleMember(const std::string& name) {
  MemberOptions options;
  options.name = name;
  options.data_dir = FreshDir(name).string();
  options.listen_peer_urls = {absl::StrCat("http://127.0.0.1:", PickFreePort())};
  options.heartbeat_interval = milliseconds(50);
  options.election_timeout = milliseconds(500);
  return options;
}

TEST(EmbeddedMember, ServesTheKvApiInProcess) {
  auto member = EmbeddedMember::Start(SingleMember("solo"));
  ASSERT_TRUE(member.ok()) << member.status();
  KV& kv = (*member)->kv();

  std::vector<WatchResponse> seen;
  std::mutex mu;
  auto watcher = kv.Watch("/p/", WatchOptions{.range_end = PrefixEnd("/p/"), .prev_kv = true},
                          [&](const WatchResponse& r) {
                            std::lock_guard lock(mu);
                            seen.push_back(r);
                          });
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  auto put = kv.Put("/p/a", "1");
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->header.member_id, (*member)->id());
  ASSERT_TRUE(kv.Put("/p/a", "2").ok());
  auto get = kv.Get("/p/a", RangeOptions{.serializable = true});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->kvs.at(0).value, "2");
  EXPECT_EQ(get->kvs.at(0).version, 2);

  TxnRequest txn;
  txn.compare = {Compare::Value("/p/a", Compare::Result::kEqual, "2")};
  txn.success = {Op::Delete("/p/a")};
  auto t = kv.TxnAsync(txn).get();
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->succeeded);
  EXPECT_EQ(t->responses.at(0).del.deleted, 1);

  auto lease = kv.LeaseGrant(5);
  ASSERT_TRUE(lease.ok()) << lease.status();
  auto once = kv.LeaseKeepAliveOnce(lease->id);
  ASSERT_TRUE(once.ok()) << once.status();
  ASSERT_TRUE(kv.LeaseRevoke(lease->id).ok());
  EXPECT_TRUE(IsLeaseNotFound(kv.LeaseKeepAliveOnce(lease->id).status()));

  const Deadline end = Within(milliseconds(5000));
  for (;;) {
    {
      std::lock_guard lock(mu);
      size_t events = 0;
      for (const auto& r : seen)
        events += r.events.size();
      if (events >= 3) break;
    }
    ASSERT_LT(Clock::now(), end) << "watch events missing";
    std::this_thread::sleep_for(milliseconds(10));
  }
  {
    std::lock_guard lock(mu);
    ASSERT_TRUE(seen.front().created);
    std::vector<WatchEvent> events;
    for (const auto& r : seen)
      events.insert(events.end(), r.events.begin(), r.events.end());
    EXPECT_EQ(events[0].kv.value, "1");
    EXPECT_EQ(events[1].prev_kv->value, "1");
    EXPECT_EQ(events[2].type, WatchEvent::Type::kDelete);
  }

  // A watch from a compacted revision ends with compact_revision.
  auto head = kv.Get("x");
  ASSERT_TRUE(kv.Compact(head->header.revision).ok());
  auto old = kv.Watch("/p/", WatchOptions{.range_end = PrefixEnd("/p/"), .start_revision = 1});
  ASSERT_TRUE(old.ok());
  auto created = (*old)->Next(Within(milliseconds(2000)));
  ASSERT_TRUE(created.ok());
  EXPECT_TRUE(created->created);
  auto compacted = (*old)->Next(Within(milliseconds(2000)));
  ASSERT_TRUE(compacted.ok()) << compacted.status();
  EXPECT_TRUE(compacted->canceled);
  EXPECT_EQ(compacted->compact_revision, head->header.revision);

  watcher->reset();
  old->reset();
  (*member)->Stop();
  auto after = kv.Get("/p/a");
  EXPECT_TRUE(absl::IsUnavailable(after.status())) << after.status();
  EXPECT_EQ(after.status().message(), "etcdserver: server stopped");
}

TEST(EmbeddedMember, IdleWatchesHearProgressAndExpiredCallsAreNotSent) {
  MemberOptions options = SingleMember("progress");
  options.watch_progress_notify_interval = milliseconds(200);
  auto member = EmbeddedMember::Start(options);
  ASSERT_TRUE(member.ok()) << member.status();
  KV& kv = (*member)->kv();
  auto put = kv.Put("idle", "x");
  ASSERT_TRUE(put.ok());
  auto watcher = kv.Watch("idle", WatchOptions{.progress_notify = true});
  ASSERT_TRUE(watcher.ok());
  ASSERT_TRUE((*watcher)->Next(Within(milliseconds(1000)))->created);
  auto progress = (*watcher)->Next(Within(milliseconds(3000)));
  ASSERT_TRUE(progress.ok()) << progress.status();
  EXPECT_TRUE(progress->IsProgressNotify());
  EXPECT_EQ(progress->header.revision, put->header.revision);

  // A deadline already passed: the callback form fails with DeadlineExceeded too, unsent.
  std::promise<absl::StatusOr<GetResponse>> late;
  kv.GetAsync("idle", RangeOptions{.deadline = Clock::now() - milliseconds(1)},
              [&](absl::StatusOr<GetResponse> r) { late.set_value(std::move(r)); });
  auto result = late.get_future().get();
  EXPECT_TRUE(absl::IsDeadlineExceeded(result.status())) << result.status();
}

TEST(EmbeddedMember, ThreeMembersInOneProcessReplicateAndChangeMembership) {
  std::vector<MemberOptions> options;
  std::map<std::string, std::vector<std::string>> initial;
  for (int i = 0; i < 3; ++i) {
    options.push_back(SingleMember(absl::StrCat("m", i)));
    initial[options.back().name] = options.back().listen_peer_urls;
  }
  std::vector<std::unique_ptr<EmbeddedMember>> members(3);
  std::vector<std::thread> starters;
  for (int i = 0; i < 3; ++i) {
    options[i].initial_cluster = initial;
    options[i].initial_cluster_token = "embedded-test";
    starters.emplace_back([&, i] {
      auto m = EmbeddedMember::Start(options[i]);
      ASSERT_TRUE(m.ok()) << m.status();
      members[i] = std::move(*m);
    });
  }
  for (auto& t : starters)
    t.join();
  for (auto& m : members)
    ASSERT_NE(m, nullptr);

  auto put = members[0]->kv().Put("k", "v");
  ASSERT_TRUE(put.ok()) << put.status();
  for (auto& m : members) {
    auto get = m->kv().Get("k");  // linearizable on every member
    ASSERT_TRUE(get.ok()) << get.status();
    EXPECT_EQ(get->kvs.at(0).value, "v");
    EXPECT_EQ(get->header.revision, put->header.revision);
  }
  auto list = members[1]->MemberList();
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->size(), 3u);
  auto status = members[2]->Status();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_NE(status->leader, 0u);

  // The leader removes a follower; the other two go on.
  size_t leader = 0;
  for (size_t i = 0; i < 3; ++i) {
    if (members[i]->id() == status->leader) leader = i;
  }
  const size_t follower = (leader + 1) % 3;
  const size_t asker = leader;
  ASSERT_TRUE(members[asker]->MemberRemove(members[follower]->id()).ok());
  members[follower].reset();
  for (size_t i = 0; i < 3; ++i) {
    if (!members[i]) continue;
    auto w = members[i]->kv().Put("after", "removal",
                                  PutOptions{.deadline = Within(milliseconds(10000))});
    EXPECT_TRUE(w.ok()) << w.status();
  }
  auto remaining = members[asker]->MemberList();
  ASSERT_TRUE(remaining.ok());
  EXPECT_EQ(remaining->size(), 2u);
}

TEST(EmbeddedMember, AlsoServesRemoteClientsOverGrpc) {
  MemberOptions options = SingleMember("served");
  options.listen_client_urls = {"http://127.0.0.1:0"};
  options.advertise_client_urls = {"http://127.0.0.1:2379"};
  auto member = EmbeddedMember::Start(options);
  ASSERT_TRUE(member.ok()) << member.status();
  ASSERT_EQ((*member)->client_ports().size(), 1u);
  auto remote = Connect(
      ClientOptions{.endpoints = {absl::StrCat("127.0.0.1:", (*member)->client_ports()[0])}});
  ASSERT_TRUE(remote.ok());
  ASSERT_TRUE((*remote)->Put("shared", "yes").ok());
  auto local = (*member)->kv().Get("shared");
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->kvs.at(0).value, "yes");
}

TEST(OpenKV, ChoosesEmbeddedOrRemoteFromOneString) {
  const std::string dir = FreshDir("open").string();
  auto embedded = OpenKV(absl::StrCat("embedded://", dir, "?peer=http://127.0.0.1:", PickFreePort(),
                                      "&client=http://127.0.0.1:", PickFreePort()));
  ASSERT_TRUE(embedded.ok()) << embedded.status();
  ASSERT_TRUE((*embedded)->Put("a", "b").ok());
  auto got = (*embedded)->Get("a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->kvs.at(0).value, "b");
  EXPECT_TRUE(absl::IsInvalidArgument(OpenKV("etcd://x").status()));
  auto remote = OpenKV("raftkv://127.0.0.1:1,127.0.0.1:2");
  EXPECT_TRUE(remote.ok()) << remote.status();
}

}  // namespace
}  // namespace raftkv
