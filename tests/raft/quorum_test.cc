#include "raftkv/raft/quorum.h"

#include <gtest/gtest.h>

#include <limits>
#include <map>

namespace raftkv::raft {
namespace {

AckedIndexer Acks(std::map<uint64_t, uint64_t> acked) {
  return [acked = std::move(acked)](uint64_t id) -> std::optional<uint64_t> {
    auto it = acked.find(id);
    if (it == acked.end()) return std::nullopt;
    return it->second;
  };
}

using Votes = absl::flat_hash_map<uint64_t, bool>;

TEST(MajorityConfigTest, CommittedIndexIsWhatAMajorityAcknowledged) {
  EXPECT_EQ(MajorityConfig({1}).CommittedIndex(Acks({{1, 7}})), 7u);
  EXPECT_EQ(MajorityConfig({1, 2}).CommittedIndex(Acks({{1, 7}, {2, 5}})), 5u);
  EXPECT_EQ(MajorityConfig({1, 2, 3}).CommittedIndex(Acks({{1, 7}, {2, 5}, {3, 9}})), 7u);
  EXPECT_EQ(MajorityConfig({1, 2, 3, 4}).CommittedIndex(Acks({{1, 7}, {2, 5}, {3, 9}, {4, 8}})),
            7u);
  EXPECT_EQ(MajorityConfig({1, 2, 3, 4, 5})
                .CommittedIndex(Acks({{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}})),
            3u);
}

TEST(MajorityConfigTest, MissingVotersCountAsZero) {
  EXPECT_EQ(MajorityConfig({1, 2, 3}).CommittedIndex(Acks({{1, 7}})), 0u);
  EXPECT_EQ(MajorityConfig({1, 2, 3}).CommittedIndex(Acks({{1, 7}, {3, 4}})), 4u);
  // Acks of non-members are irrelevant.
  EXPECT_EQ(MajorityConfig({1, 2, 3}).CommittedIndex(Acks({{1, 7}, {4, 9}, {5, 9}})), 0u);
}

TEST(MajorityConfigTest, LargeConfigs) {
  absl::btree_set<uint64_t> ids;
  std::map<uint64_t, uint64_t> acked;
  for (uint64_t id = 1; id <= 11; ++id) {
    ids.insert(id);
    acked[id] = id * 10;
  }
  // Six of eleven acknowledged at least 60.
  EXPECT_EQ(MajorityConfig(ids).CommittedIndex(Acks(acked)), 60u);
}

TEST(MajorityConfigTest, EmptyConfigCommitsEverything) {
  EXPECT_EQ(MajorityConfig().CommittedIndex(Acks({})), std::numeric_limits<uint64_t>::max());
}

TEST(MajorityConfigTest, Vote) {
  MajorityConfig c({1, 2, 3});
  EXPECT_EQ(c.Vote({}), VoteResult::kPending);
  EXPECT_EQ(c.Vote({{1, true}}), VoteResult::kPending);
  EXPECT_EQ(c.Vote({{1, true}, {2, true}}), VoteResult::kWon);
  EXPECT_EQ(c.Vote({{1, true}, {2, false}}), VoteResult::kPending);
  EXPECT_EQ(c.Vote({{1, false}, {2, false}}), VoteResult::kLost);
  EXPECT_EQ(c.Vote({{1, true}, {2, false}, {3, false}}), VoteResult::kLost);
  // Votes of non-members do not count.
  EXPECT_EQ(c.Vote({{1, true}, {4, true}, {5, true}}), VoteResult::kPending);

  MajorityConfig even({1, 2, 3, 4});
  EXPECT_EQ(even.Vote({{1, true}, {2, true}}), VoteResult::kPending);
  EXPECT_EQ(even.Vote({{1, true}, {2, true}, {3, false}, {4, false}}), VoteResult::kLost);
  EXPECT_EQ(even.Vote({{1, true}, {2, true}, {3, true}}), VoteResult::kWon);

  EXPECT_EQ(MajorityConfig().Vote({}), VoteResult::kWon);
}

TEST(JointConfigTest, CommittedIndexIsTheMinimumOfBothHalves) {
  JointConfig c{MajorityConfig({1, 2, 3}), MajorityConfig({3, 4, 5})};
  auto acked = Acks({{1, 10}, {2, 10}, {3, 5}, {4, 3}, {5, 3}});
  // Incoming committed 10, outgoing only 3.
  EXPECT_EQ(c.CommittedIndex(acked), 3u);
  EXPECT_TRUE(c.joint());
  EXPECT_EQ(c.IDs().size(), 5u);
}

TEST(JointConfigTest, NonJointBehavesLikeItsIncomingHalf) {
  JointConfig c{MajorityConfig({1, 2, 3}), MajorityConfig()};
  EXPECT_FALSE(c.joint());
  EXPECT_EQ(c.CommittedIndex(Acks({{1, 10}, {2, 8}, {3, 2}})), 8u);
  EXPECT_EQ(c.Vote({{1, true}, {2, true}}), VoteResult::kWon);
}

TEST(JointConfigTest, VoteNeedsBothMajorities) {
  JointConfig c{MajorityConfig({1, 2, 3}), MajorityConfig({3, 4, 5})};
  EXPECT_EQ(c.Vote({{1, true}, {2, true}}), VoteResult::kPending);
  EXPECT_EQ(c.Vote({{1, true}, {2, true}, {3, true}}), VoteResult::kPending);
  EXPECT_EQ(c.Vote({{1, true}, {2, true}, {3, true}, {4, true}}), VoteResult::kWon);
  // Either half losing loses.
  EXPECT_EQ(c.Vote({{1, true}, {2, true}, {4, false}, {5, false}}), VoteResult::kLost);
  EXPECT_EQ(c.Vote({{1, false}, {2, false}, {4, true}, {5, true}}), VoteResult::kLost);
}

}  // namespace
}  // namespace raftkv::raft
