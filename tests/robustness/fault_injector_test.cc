#include "raftkv/transport/fault_injector.h"

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "gtest/gtest.h"

namespace raftkv::transport {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

TEST(FaultRules, Parse) {
  auto rules = ParseFaultRules(
      "# partition\ndrop to 8e9e05c52164694d\n\ndelay to * 50ms\n"
      "loss to a 20%  # lossy\n");
  ASSERT_TRUE(rules.ok()) << rules.status();
  ASSERT_EQ(rules->size(), 3u);
  EXPECT_EQ((*rules)[0].kind, FaultRule::Kind::kDrop);
  EXPECT_EQ((*rules)[0].peer, 0x8e9e05c52164694dULL);
  EXPECT_EQ((*rules)[1].kind, FaultRule::Kind::kDelay);
  EXPECT_EQ((*rules)[1].peer, 0u);
  EXPECT_EQ((*rules)[1].delay, milliseconds(50));
  EXPECT_EQ((*rules)[2].kind, FaultRule::Kind::kLoss);
  EXPECT_DOUBLE_EQ((*rules)[2].loss, 0.2);
  EXPECT_TRUE(ParseFaultRules("").ok());
  EXPECT_FALSE(ParseFaultRules("drop from 5").ok());
  EXPECT_FALSE(ParseFaultRules("delay to 5 50").ok());
  EXPECT_FALSE(ParseFaultRules("loss to 5 120%").ok());
  EXPECT_FALSE(ParseFaultRules("drop to xyz").ok());
}

class FaultInjectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ =
        fs::path(::testing::TempDir()) /
        (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".faults");
    fs::remove(path_);
  }

  void WriteRules(const std::string& rules) { std::ofstream(path_, std::ios::trunc) << rules; }

  static std::vector<raftpb::Message> To(uint64_t peer, int count) {
    std::vector<raftpb::Message> out(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
      out[static_cast<size_t>(i)].set_to(peer);
      out[static_cast<size_t>(i)].set_index(static_cast<uint64_t>(i));
    }
    return out;
  }

  FaultInjector::Deliver Collect() {
    return [this](std::vector<raftpb::Message> due) {
      std::lock_guard lock(mu_);
      for (auto& m : due)
        delivered_.push_back(std::move(m));
      arrived_.notify_all();
    };
  }

  fs::path path_;
  std::mutex mu_;
  std::condition_variable arrived_;
  std::vector<raftpb::Message> delivered_;
};

TEST_F(FaultInjectorTest, NoFileNoFaults) {
  FaultInjector injector(path_, 1, Collect(), nullptr);
  injector.Start();
  EXPECT_EQ(injector.Filter(To(2, 5)).size(), 5u);
  EXPECT_FALSE(injector.BlocksSnapshotsTo(2));
}

TEST_F(FaultInjectorTest, DropsOnlyToTheNamedPeer) {
  WriteRules("drop to 2\n");
  FaultInjector injector(path_, 1, Collect(), nullptr);
  injector.Start();
  EXPECT_TRUE(injector.Filter(To(2, 5)).empty());
  EXPECT_EQ(injector.Filter(To(3, 5)).size(), 5u);
  EXPECT_TRUE(injector.BlocksSnapshotsTo(2));
  EXPECT_FALSE(injector.BlocksSnapshotsTo(3));
}

TEST_F(FaultInjectorTest, FollowsTheFileAsItChanges) {
  FaultInjector injector(path_, 1, Collect(), nullptr);
  injector.Start();
  WriteRules("drop to *\n");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!injector.Filter(To(2, 1)).empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(10));
  EXPECT_TRUE(injector.Filter(To(2, 1)).empty());
  WriteRules("");
  while (injector.Filter(To(2, 1)).empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(10));
  EXPECT_EQ(injector.Filter(To(2, 1)).size(), 1u);
}

TEST_F(FaultInjectorTest, DelaysInOrder) {
  WriteRules("delay to 2 30ms\n");
  FaultInjector injector(path_, 1, Collect(), nullptr);
  injector.Start();
  EXPECT_TRUE(injector.Filter(To(2, 10)).empty());
  std::unique_lock lock(mu_);
  ASSERT_TRUE(
      arrived_.wait_for(lock, std::chrono::seconds(10), [&] { return delivered_.size() == 10; }));
  for (size_t i = 0; i < delivered_.size(); ++i)
    EXPECT_EQ(delivered_[i].index(), i);
}

TEST_F(FaultInjectorTest, LosesAboutTheGivenShare) {
  WriteRules("loss to * 50%\n");
  FaultInjector injector(path_, 1, Collect(), nullptr);
  injector.Start();
  const size_t passed = injector.Filter(To(2, 2000)).size();
  EXPECT_GT(passed, 800u);
  EXPECT_LT(passed, 1200u);
}

TEST_F(FaultInjectorTest, SnapshotMessagesPass) {
  WriteRules("drop to *\n");
  FaultInjector injector(path_, 1, Collect(), nullptr);
  injector.Start();
  auto messages = To(2, 1);
  messages[0].set_type(raftpb::MSG_SNAP);
  EXPECT_EQ(injector.Filter(messages).size(), 1u);
}

}  // namespace
}  // namespace raftkv::transport
