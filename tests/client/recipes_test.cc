// The concurrency recipes (Session, Mutex, Election) against a raftkv cluster, and their
// interoperation with etcd's own implementation of the same key layout: `etcdctl lock` and
// `etcdctl elect`.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cluster_harness.h"
#include "gtest/gtest.h"
#include "raftkv/client.h"
#include "raftkv/concurrency/election.h"
#include "raftkv/concurrency/mutex.h"
#include "raftkv/concurrency/session.h"

namespace raftkv {
namespace {

using concurrency::Election;
using concurrency::Mutex;
using concurrency::Session;
using integration::LocalCluster;
using std::chrono::milliseconds;
using std::chrono::seconds;

// An etcdctl process (ETCDCTL_API=3) that dies with the test.
class Etcdctl {
 public:
  Etcdctl(const std::string& endpoints, std::vector<std::string> args) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setenv("ETCDCTL_API", "3", 1);
      std::vector<std::string> argv = {ETCDCTL_BINARY, "--endpoints=" + endpoints};
      argv.insert(argv.end(), args.begin(), args.end());
      std::vector<char*> raw;
      raw.reserve(argv.size() + 1);
      for (auto& a : argv)
        raw.push_back(a.data());
      raw.push_back(nullptr);
      ::execv(raw[0], raw.data());
      ::_exit(127);
    }
  }
  ~Etcdctl() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // True once it exited (with status in *status).
  bool Exited(int* status) {
    if (exited_) return true;
    if (::waitpid(pid_, status, WNOHANG) == pid_) exited_ = true;
    return exited_;
  }
  bool WaitExit(milliseconds timeout) {
    const auto end = Clock::now() + timeout;
    int status = 0;
    while (Clock::now() < end) {
      if (Exited(&status)) return true;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return false;
  }
  void Signal(int signal) { ::kill(pid_, signal); }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
};

class RecipesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cluster_.Start(integration::In(seconds(30))));
    ClientOptions options;
    for (size_t i = 0; i < cluster_.size(); ++i) {
      options.endpoints.push_back(absl::StrCat("127.0.0.1:", cluster_.slot(i).client_port));
      endpoints_ += (i ? "," : "") + options.endpoints.back();
    }
    auto kv = Connect(options);
    ASSERT_TRUE(kv.ok());
    kv_ = std::move(*kv);
  }
  std::unique_ptr<Session> NewSession() {
    auto session = Session::Create(*kv_, {.ttl_seconds = 5});
    EXPECT_TRUE(session.ok()) << session.status();
    return std::move(*session);
  }

  LocalCluster cluster_;
  std::string endpoints_;
  std::unique_ptr<KV> kv_;
};

TEST_F(RecipesTest, MutexIsExclusiveAndFifo) {
  auto s1 = NewSession();
  auto s2 = NewSession();
  Mutex m1(*s1, "/locks/a");
  Mutex m2(*s2, "/locks/a");
  ASSERT_TRUE(m1.Lock().ok());
  EXPECT_EQ(m1.key(), absl::StrFormat("/locks/a/%x", s1->lease()));
  EXPECT_TRUE(absl::IsFailedPrecondition(m2.TryLock()));
  EXPECT_TRUE(absl::IsDeadlineExceeded(m2.Lock(Within(milliseconds(300)))));
  std::atomic<bool> second_holds{false};
  std::thread waiter([&] {
    ASSERT_TRUE(m2.Lock(Within(seconds(10))).ok());
    second_holds = true;
  });
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_FALSE(second_holds.load());
  // Guarded write: only the holder's txn succeeds.
  TxnRequest guarded;
  guarded.compare = {m1.IsOwner()};
  guarded.success = {Op::Put("/protected", "by m1")};
  auto t = kv_->Txn(guarded);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->succeeded);
  ASSERT_TRUE(m1.Unlock().ok());
  waiter.join();
  EXPECT_TRUE(second_holds.load());
  ASSERT_TRUE(m2.Unlock().ok());
}

TEST_F(RecipesTest, MutexExcludesEtcdctlLockAndTheOtherWayRound) {
  auto session = NewSession();
  Mutex mine(*session, "shared-lock");
  ASSERT_TRUE(mine.Lock().ok());
  // etcdctl lock NAME COMMAND runs COMMAND once it holds the lock, then exits.
  Etcdctl theirs(endpoints_, {"lock", "shared-lock", "true"});
  EXPECT_FALSE(theirs.WaitExit(milliseconds(1500))) << "etcdctl took a lock we hold";
  ASSERT_TRUE(mine.Unlock().ok());
  EXPECT_TRUE(theirs.WaitExit(milliseconds(10000))) << "etcdctl never got the lock";

  // etcdctl lock NAME (no command) holds the lock until interrupted.
  Etcdctl holder(endpoints_, {"lock", "shared-lock"});
  const auto end = Clock::now() + seconds(10);
  bool held_by_etcdctl = false;
  while (!held_by_etcdctl && Clock::now() < end) {
    auto keys = kv_->Get("shared-lock/", WithPrefix("shared-lock/"));
    held_by_etcdctl = keys.ok() && !keys->kvs.empty();
    std::this_thread::sleep_for(milliseconds(50));
  }
  ASSERT_TRUE(held_by_etcdctl);
  EXPECT_TRUE(absl::IsDeadlineExceeded(mine.Lock(Within(milliseconds(700)))));
  holder.Signal(SIGINT);  // etcdctl releases the lock (revokes its session) and exits
  EXPECT_TRUE(mine.Lock(Within(seconds(10))).ok());
  ASSERT_TRUE(mine.Unlock().ok());
}

TEST_F(RecipesTest, ElectionInteroperatesWithEtcdctlElect) {
  // etcdctl campaigns first and leads; our candidate waits and sees its proposal.
  Etcdctl theirs(endpoints_, {"elect", "my-election", "etcdctl-proposal"});
  auto session = NewSession();
  Election ours(*session, "my-election");
  absl::StatusOr<KeyValue> leader = absl::NotFoundError("");
  const auto end = Clock::now() + seconds(10);
  while (!leader.ok() && Clock::now() < end) {
    leader = ours.Leader();
    std::this_thread::sleep_for(milliseconds(50));
  }
  ASSERT_TRUE(leader.ok()) << leader.status();
  EXPECT_EQ(leader->value, "etcdctl-proposal");

  std::vector<std::string> observed;
  std::mutex mu;
  auto observer = ours.Observe([&](const KeyValue& kv) {
    std::lock_guard lock(mu);
    observed.push_back(kv.value);
  });
  EXPECT_TRUE(absl::IsDeadlineExceeded(ours.Campaign("ours", Within(milliseconds(700)))));
  std::atomic<bool> won{false};
  std::thread campaign([&] {
    ASSERT_TRUE(ours.Campaign("ours", Within(seconds(15))).ok());
    won = true;
  });
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_FALSE(won.load());
  theirs.Signal(SIGINT);  // etcdctl resigns
  campaign.join();
  ASSERT_TRUE(won.load());
  ASSERT_TRUE(ours.Proclaim("ours-v2").ok());
  const auto seen_by = Clock::now() + seconds(5);
  for (;;) {
    {
      std::lock_guard lock(mu);
      if (!observed.empty() && observed.back() == "ours-v2") break;
    }
    ASSERT_LT(Clock::now(), seen_by) << "observer missed a proclamation";
    std::this_thread::sleep_for(milliseconds(20));
  }
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(observed.front(), "etcdctl-proposal");
  }
  ASSERT_TRUE(ours.Resign().ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(ours.Proclaim("x")));
}

}  // namespace
}  // namespace raftkv
