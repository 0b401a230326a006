#include "raftkv/lease/lease_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace raftkv::lease {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A clock the test moves by hand.
class ManualClock {
 public:
  std::chrono::steady_clock::time_point Now() const { return now_; }
  void Advance(std::chrono::steady_clock::duration d) { now_ += d; }

 private:
  std::chrono::steady_clock::time_point now_{seconds(1000)};
};

class LeaseTableTest : public ::testing::Test {
 protected:
  LeaseTable::Options Opts() {
    LeaseTable::Options o;
    o.min_ttl_seconds = 5;
    o.revoke_retry_interval = milliseconds(3000);
    o.clock = [this] { return clock_.Now(); };
    return o;
  }
  ManualClock clock_;
  LeaseTable table_{Opts()};
};

TEST_F(LeaseTableTest, GrantRaisesShortTtlToMinimum) {
  auto l = table_.Grant(7, 2);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->id(), 7);
  EXPECT_EQ(l->ttl(), 5);
  EXPECT_EQ(table_.Grant(8, 60)->ttl(), 60);
}

TEST_F(LeaseTableTest, GrantRefusesDuplicatesZeroAndHugeTtls) {
  ASSERT_TRUE(table_.Grant(7, 10).ok());
  EXPECT_EQ(table_.Grant(7, 10).status(), ErrLeaseExists());
  EXPECT_EQ(table_.Grant(0, 10).status(), ErrLeaseNotFound());
  EXPECT_EQ(table_.Grant(9, kMaxLeaseTtl + 1).status(), ErrLeaseTtlTooLarge());
  EXPECT_EQ(ErrLeaseTtlTooLarge().message(), "etcdserver: too large lease TTL");
  EXPECT_EQ(table_.size(), 1u);
}

TEST_F(LeaseTableTest, RevokeForgetsLease) {
  ASSERT_TRUE(table_.Grant(1, 10).ok());
  EXPECT_TRUE(table_.Revoke(1).ok());
  EXPECT_FALSE(table_.Contains(1));
  EXPECT_EQ(table_.Revoke(1), ErrLeaseNotFound());
  EXPECT_EQ(ErrLeaseNotFound().message(), "etcdserver: requested lease not found");
}

TEST_F(LeaseTableTest, FollowerNeitherRenewsNorExpires) {
  ASSERT_TRUE(table_.Grant(1, 10).ok());
  EXPECT_TRUE(IsNotPrimary(table_.Renew(1).status()));
  clock_.Advance(seconds(3600));
  EXPECT_THAT(table_.TakeExpired(10), IsEmpty());
  EXPECT_EQ(table_.TimeToLive(1)->remaining_ttl, 10);
}

TEST_F(LeaseTableTest, PrimaryExpiresLeasesOnlyAfterTtl) {
  ASSERT_TRUE(table_.Grant(1, 10).ok());
  ASSERT_TRUE(table_.Grant(2, 20).ok());
  table_.Promote(milliseconds(0));
  clock_.Advance(seconds(9));
  EXPECT_THAT(table_.TakeExpired(10), IsEmpty());
  EXPECT_EQ(table_.TimeToLive(1)->remaining_ttl, 1);
  clock_.Advance(seconds(2));
  EXPECT_THAT(table_.TakeExpired(10), ElementsAre(1));
}

TEST_F(LeaseTableTest, RenewRestartsTheTtl) {
  ASSERT_TRUE(table_.Grant(1, 10).ok());
  table_.Promote(milliseconds(0));
  clock_.Advance(seconds(8));
  EXPECT_EQ(*table_.Renew(1), 10);
  clock_.Advance(seconds(8));
  EXPECT_THAT(table_.TakeExpired(10), IsEmpty());
  clock_.Advance(seconds(3));
  EXPECT_THAT(table_.TakeExpired(10), ElementsAre(1));
  // An expired lease is being revoked and cannot be renewed.
  EXPECT_EQ(table_.Renew(1).status(), ErrLeaseNotFound());
}

TEST_F(LeaseTableTest, PromoteExtendsEveryLease) {
  ASSERT_TRUE(table_.Grant(1, 10).ok());
  table_.Promote(milliseconds(5000));
  clock_.Advance(seconds(12));
  EXPECT_THAT(table_.TakeExpired(10), IsEmpty());
  clock_.Advance(seconds(4));
  EXPECT_THAT(table_.TakeExpired(10), ElementsAre(1));
}

TEST_F(LeaseTableTest, ExpiredLeaseIsReportedAgainOnlyAfterRetryInterval) {
  ASSERT_TRUE(table_.Grant(1, 10).ok());
  table_.Promote(milliseconds(0));
  clock_.Advance(seconds(11));
  EXPECT_THAT(table_.TakeExpired(10), ElementsAre(1));
  EXPECT_THAT(table_.TakeExpired(10), IsEmpty());
  clock_.Advance(seconds(4));
  EXPECT_THAT(table_.TakeExpired(10), ElementsAre(1));
}

TEST_F(LeaseTableTest, TakeExpiredHonoursLimitOldestFirst) {
  for (int64_t id = 1; id <= 5; ++id)
    ASSERT_TRUE(table_.Grant(id, 10 + id).ok());
  table_.Promote(milliseconds(0));
  clock_.Advance(seconds(100));
  EXPECT_THAT(table_.TakeExpired(2), ElementsAre(1, 2));
  EXPECT_THAT(table_.TakeExpired(10), ElementsAre(3, 4, 5));
}

TEST_F(LeaseTableTest, DemoteStopsExpiry) {
  ASSERT_TRUE(table_.Grant(1, 10).ok());
  table_.Promote(milliseconds(0));
  table_.Demote();
  clock_.Advance(seconds(100));
  EXPECT_THAT(table_.TakeExpired(10), IsEmpty());
  EXPECT_FALSE(table_.is_primary());
}

TEST_F(LeaseTableTest, TimeToLiveOfUnknownLeaseIsEmpty) {
  ASSERT_TRUE(table_.Grant(3, 30).ok());
  EXPECT_EQ(table_.TimeToLive(3)->granted_ttl, 30);
  EXPECT_FALSE(table_.TimeToLive(4).has_value());
}

TEST_F(LeaseTableTest, RestoreReplacesLeases) {
  ASSERT_TRUE(table_.Grant(99, 10).ok());
  leasepb::Lease a, b;
  a.set_id(1);
  a.set_ttl(15);
  b.set_id(2);
  b.set_ttl(25);
  table_.Restore({a, b});
  EXPECT_THAT(table_.Ids(), ElementsAre(1, 2));
  EXPECT_EQ(table_.TimeToLive(1)->granted_ttl, 15);
}

}  // namespace
}  // namespace raftkv::lease
