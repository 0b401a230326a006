#include "raftkv/server/linearizable_reads.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>

namespace raftkv::server {
namespace {

using Clock = LinearizableReads::Clock;
using std::chrono::milliseconds;

constexpr milliseconds kRetry{500};

// Adds a read and returns a flag that is set (with its status) when it is released.
struct Tracked {
  bool released = false;
  absl::Status status;
};
void AddRead(LinearizableReads& reads, Tracked& t) {
  reads.Add(Clock::now() + std::chrono::seconds(10), [&t](absl::Status s) {
    t.released = true;
    t.status = std::move(s);
  });
}

// A leader matches acknowledgements to ReadIndex requests by context alone, so contexts
// must not repeat across members or across restarts of one member.
TEST(LinearizableReadsTest, RoundContextsAreUniqueAcrossMembersAndRestarts) {
  std::set<std::string> seen;
  for (uint64_t member : {1, 2, 1, 2}) {  // each member twice: before and after a restart
    LinearizableReads reads(member, kRetry);
    for (int round = 0; round < 3; ++round) {
      Tracked t;
      AddRead(reads, t);
      std::optional<std::string> ctx = reads.TakeRound(Clock::now());
      ASSERT_TRUE(ctx.has_value());
      EXPECT_TRUE(seen.insert(*ctx).second) << *ctx << " was used before";
      reads.OnReadState({0, *ctx}, 0);
      EXPECT_TRUE(t.released);
    }
  }
}

TEST(LinearizableReadsTest, AReadArrivingDuringARoundWaitsForTheNextRound) {
  LinearizableReads reads(7, kRetry);
  Tracked first, second;
  AddRead(reads, first);
  std::optional<std::string> round1 = reads.TakeRound(Clock::now());
  ASSERT_TRUE(round1.has_value());
  AddRead(reads, second);
  EXPECT_FALSE(reads.TakeRound(Clock::now()).has_value()) << "one round in flight at a time";

  reads.OnReadState({5, *round1}, 5);
  EXPECT_TRUE(first.released);
  EXPECT_FALSE(second.released) << "confirmed by a round sent before it arrived";

  std::optional<std::string> round2 = reads.TakeRound(Clock::now());
  ASSERT_TRUE(round2.has_value());
  EXPECT_NE(*round2, *round1);
  reads.OnReadState({9, *round2}, 5);
  EXPECT_FALSE(second.released) << "index 9 is not applied yet";
  reads.OnApplied(9);
  EXPECT_TRUE(second.released);
  EXPECT_TRUE(second.status.ok());
}

TEST(LinearizableReadsTest, AnAnswerForAnotherMembersRoundIsIgnored) {
  LinearizableReads mine(1, kRetry);
  LinearizableReads theirs(2, kRetry);
  Tracked t, u;
  AddRead(mine, t);
  AddRead(theirs, u);
  std::optional<std::string> my_round = mine.TakeRound(Clock::now());
  std::optional<std::string> their_round = theirs.TakeRound(Clock::now());
  ASSERT_TRUE(my_round && their_round);
  mine.OnReadState({3, *their_round}, 3);
  EXPECT_FALSE(t.released);
  mine.OnReadState({3, *my_round}, 3);
  EXPECT_TRUE(t.released);
}

}  // namespace
}  // namespace raftkv::server
