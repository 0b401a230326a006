// Runtime membership changes while clients write: 3 -> 5 members through learners that are
// promoted once in sync, 5 -> 3 by removal (the leader among the removed: a removed member
// stops by itself), then a member replaced by a new one on new ports. Writes succeed
// throughout, and nothing acknowledged is lost.

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cluster_harness.h"
#include "gtest/gtest.h"
#include "write_load.h"

namespace raftkv::integration {
namespace {

constexpr size_t kProgressPerStep = 30;
const milliseconds kStepTimeout(20000);

class MembershipChangeTest : public ::testing::Test {
 protected:
  // Adds a learner, waits until the leader lets it be promoted, promotes it.
  void GrowByOne() {
    size_t added = 0;
    ASSERT_TRUE(cluster_.AddMember(/*learner=*/true, In(kStepTimeout), &added));
    ASSERT_TRUE(cluster_.PromoteMember(added, In(kStepTimeout)));
    members_.push_back(added);
    ASSERT_TRUE(load_->WaitForProgress(kProgressPerStep, In(kStepTimeout)));
  }

  // Removes member i and checks that its process exits by itself, cleanly.
  void Remove(size_t i) {
    ASSERT_TRUE(cluster_.RemoveMember(i, In(kStepTimeout)));
    std::optional<int> exit_status = cluster_.WaitForExit(i, In(milliseconds(10000)));
    ASSERT_TRUE(exit_status) << "removed member " << cluster_.slot(i).name << " still runs";
    EXPECT_TRUE(WIFEXITED(*exit_status) && WEXITSTATUS(*exit_status) == 0)
        << "wait status " << *exit_status;
    std::erase(members_, i);
    ASSERT_TRUE(load_->WaitForProgress(kProgressPerStep, In(kStepTimeout)));
  }

  ::testing::AssertionResult MemberListIs(const std::vector<size_t>& expected) {
    std::vector<uint64_t> want;
    for (size_t i : expected)
      want.push_back(cluster_.slot(i).id);
    std::sort(want.begin(), want.end());
    for (size_t i : expected) {
      std::vector<uint64_t> ids;
      if (auto listed = cluster_.MemberIds(i, &ids); !listed) return listed;
      if (ids != want) {
        return ::testing::AssertionFailure() << cluster_.slot(i).name << " lists " << ids.size()
                                             << " members, expected " << want.size();
      }
    }
    return ::testing::AssertionSuccess();
  }

  LocalCluster cluster_;
  std::unique_ptr<WriteLoad> load_;
  std::vector<size_t> members_ = {0, 1, 2};
};

TEST_F(MembershipChangeTest, GrowShrinkAndReplaceUnderLoad) {
  ASSERT_TRUE(cluster_.Start(In(milliseconds(10000))));
  load_ = std::make_unique<WriteLoad>(cluster_, "load/", 3);
  ASSERT_TRUE(load_->WaitForProgress(kProgressPerStep, In(kStepTimeout)));

  // 3 -> 5, one learner at a time (a cluster takes one learner at once).
  GrowByOne();
  GrowByOne();
  ASSERT_TRUE(MemberListIs(members_));

  // 5 -> 3: the leader and one of the new members leave.
  std::optional<size_t> leader = cluster_.WaitForLeader(In(kStepTimeout));
  ASSERT_TRUE(leader);
  Remove(*leader);
  Remove(members_.back() == *leader ? members_.front() : members_.back());
  ASSERT_EQ(members_.size(), 3u);
  ASSERT_TRUE(MemberListIs(members_));

  // Replace a member: remove one, add a voting member on new ports.
  Remove(members_.front());
  size_t replacement = 0;
  ASSERT_TRUE(cluster_.AddMember(/*learner=*/false, In(kStepTimeout), &replacement));
  members_.push_back(replacement);
  ASSERT_TRUE(load_->WaitForProgress(kProgressPerStep, In(kStepTimeout)));
  ASSERT_TRUE(MemberListIs(members_));

  load_->Stop();
  const std::vector<std::string> acknowledged = load_->AcknowledgedKeys();
  for (size_t i : members_) {
    EXPECT_TRUE(cluster_.HasAllKeys(i, load_->prefix(), acknowledged, In(kStepTimeout)));
  }
  EXPECT_TRUE(cluster_.WaitForSameHash(members_, In(kStepTimeout)));
  std::printf("%zu writes acknowledged, %zu failed and retried under new keys\n",
              acknowledged.size(), load_->failed());
}

// A member removed while it could not hear the cluster never receives the entry that removed
// it (the others stop replicating to it once they apply it); its peers tell it instead, as
// etcd's do, and it stops by itself rather than campaigning forever.
TEST(RemovedMemberTest, AMemberRemovedWhileCutOffLearnsItFromItsPeersAndStops) {
  ClusterOptions options;
  options.fault_files = true;
  LocalCluster cluster(options);
  ASSERT_TRUE(cluster.Start(In(milliseconds(10000))));
  std::optional<size_t> leader = cluster.WaitForLeader(In(kStepTimeout));
  ASSERT_TRUE(leader);
  const size_t away = (*leader + 1) % 3;
  const std::string cut_off = absl::StrCat("drop to ", absl::Hex(cluster.slot(away).id), "\n");
  for (size_t i = 0; i < 3; ++i) {
    if (i != away) cluster.SetFaultRules(i, cut_off);
  }
  // The rules apply within their poll interval; the removal must not reach `away`.
  std::this_thread::sleep_for(milliseconds(300));
  ASSERT_TRUE(cluster.RemoveMember(away, In(kStepTimeout)));
  std::optional<int> exit_status = cluster.WaitForExit(away, In(milliseconds(10000)));
  ASSERT_TRUE(exit_status) << "removed member " << cluster.slot(away).name << " still runs";
  EXPECT_TRUE(WIFEXITED(*exit_status) && WEXITSTATUS(*exit_status) == 0)
      << "wait status " << *exit_status;
}

}  // namespace
}  // namespace raftkv::integration
