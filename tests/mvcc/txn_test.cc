// Txn shapes against etcd 3.4's applier (etcdserver/apply.go: applyCompare, compareKV,
// compareToPath, checkRequests, applyTxn).

#include "fixture.h"
#include "gmock/gmock.h"
#include "raftkv/mvcc/errors.h"

namespace raftkv::mvcc::testing {
namespace {

using etcdserverpb::Compare;
using etcdserverpb::RequestOp;
using etcdserverpb::TxnRequest;

Compare Cmp(const std::string& key, Compare::CompareTarget target, Compare::CompareResult result,
            int64_t number, const std::string& value = "") {
  Compare compare;
  compare.set_key(key);
  compare.set_target(target);
  compare.set_result(result);
  switch (target) {
    case Compare::VERSION:
      compare.set_version(number);
      break;
    case Compare::CREATE:
      compare.set_create_revision(number);
      break;
    case Compare::MOD:
      compare.set_mod_revision(number);
      break;
    case Compare::LEASE:
      compare.set_lease(number);
      break;
    case Compare::VALUE:
      compare.set_value(value);
      break;
    default:
      break;
  }
  return compare;
}

RequestOp PutOp(const std::string& key, const std::string& value) {
  RequestOp op;
  *op.mutable_request_put() = PutReq(key, value);
  return op;
}
RequestOp RangeOp(const std::string& key, int64_t revision = 0) {
  RequestOp op;
  *op.mutable_request_range() = RangeReq(key, "", revision);
  return op;
}
RequestOp DeleteOp(const std::string& key, const std::string& end = "") {
  RequestOp op;
  *op.mutable_request_delete_range() = DeleteReq(key, end);
  return op;
}

class TxnTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    Put("k", "v", 42);  // rev 2: create 2, mod 2, version 1, lease 42
  }
  bool Succeeds(const Compare& compare) {
    TxnRequest request;
    *request.add_compare() = compare;
    auto response = Txn(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() && response->succeeded();
  }
};

TEST_F(TxnTest, CompareEveryTargetOnAnExistingKey) {
  EXPECT_TRUE(Succeeds(Cmp("k", Compare::VALUE, Compare::EQUAL, 0, "v")));
  EXPECT_TRUE(Succeeds(Cmp("k", Compare::VALUE, Compare::GREATER, 0, "a")));
  EXPECT_TRUE(Succeeds(Cmp("k", Compare::VALUE, Compare::LESS, 0, "w")));
  EXPECT_FALSE(Succeeds(Cmp("k", Compare::VALUE, Compare::NOT_EQUAL, 0, "v")));
  EXPECT_TRUE(Succeeds(Cmp("k", Compare::VERSION, Compare::EQUAL, 1)));
  EXPECT_TRUE(Succeeds(Cmp("k", Compare::CREATE, Compare::EQUAL, 2)));
  EXPECT_TRUE(Succeeds(Cmp("k", Compare::MOD, Compare::LESS, 3)));
  EXPECT_TRUE(Succeeds(Cmp("k", Compare::MOD, Compare::GREATER, 1)));
  EXPECT_TRUE(Succeeds(Cmp("k", Compare::LEASE, Compare::EQUAL, 42)));
  EXPECT_FALSE(Succeeds(Cmp("k", Compare::LEASE, Compare::EQUAL, 0)));
}

TEST_F(TxnTest, CompareOnAMissingKey) {
  // VALUE always fails; the numeric targets compare against zero.
  EXPECT_FALSE(Succeeds(Cmp("missing", Compare::VALUE, Compare::EQUAL, 0, "")));
  EXPECT_FALSE(Succeeds(Cmp("missing", Compare::VALUE, Compare::NOT_EQUAL, 0, "x")));
  EXPECT_TRUE(Succeeds(Cmp("missing", Compare::VERSION, Compare::EQUAL, 0)));
  EXPECT_TRUE(Succeeds(Cmp("missing", Compare::CREATE, Compare::EQUAL, 0)));
  EXPECT_TRUE(Succeeds(Cmp("missing", Compare::MOD, Compare::LESS, 1)));
  EXPECT_TRUE(Succeeds(Cmp("missing", Compare::LEASE, Compare::EQUAL, 0)));
}

TEST_F(TxnTest, CompareOverARangeNeedsEveryKey) {
  Put("k2", "v");
  Compare all_v = Cmp("k", Compare::VALUE, Compare::EQUAL, 0, "v");
  all_v.set_range_end("l");
  EXPECT_TRUE(Succeeds(all_v));
  Put("k3", "other");
  EXPECT_FALSE(Succeeds(all_v));
}

TEST_F(TxnTest, WritesShareOneRevisionWithIncreasingSubRevisions) {
  TxnRequest request;
  *request.add_compare() = Cmp("k", Compare::VERSION, Compare::EQUAL, 1);
  *request.add_success() = PutOp("a", "1");
  *request.add_success() = PutOp("b", "2");
  *request.add_success() = RangeOp("a");
  *request.add_success() = DeleteOp("k");
  auto response = Txn(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_TRUE(response->succeeded());
  EXPECT_EQ(response->header().revision(), 3);
  ASSERT_EQ(response->responses_size(), 4);
  EXPECT_EQ(response->responses(0).response_put().header().revision(), 3);
  // A range inside the txn sees the txn's earlier writes.
  ASSERT_EQ(response->responses(2).response_range().kvs_size(), 1);
  EXPECT_EQ(response->responses(2).response_range().kvs(0).mod_revision(), 3);
  EXPECT_EQ(response->responses(3).response_delete_range().deleted(), 1);
  EXPECT_EQ(store_->CurrentRevision(), 3);
  EXPECT_EQ(Get(RangeReq("b")).kvs(0).mod_revision(), 3);
  EXPECT_EQ(Get(RangeReq("k")).kvs_size(), 0);
}

TEST_F(TxnTest, FailureBranchRuns) {
  TxnRequest request;
  *request.add_compare() = Cmp("k", Compare::VALUE, Compare::EQUAL, 0, "nope");
  *request.add_success() = PutOp("s", "1");
  *request.add_failure() = PutOp("f", "1");
  auto response = Txn(request);
  ASSERT_TRUE(response.ok());
  EXPECT_FALSE(response->succeeded());
  EXPECT_EQ(Get(RangeReq("s")).kvs_size(), 0);
  EXPECT_EQ(Get(RangeReq("f")).kvs_size(), 1);
}

TEST_F(TxnTest, ReadOnlyTxnKeepsTheRevision) {
  TxnRequest request;
  *request.add_success() = RangeOp("k");
  auto response = Txn(request);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->header().revision(), 2);
  EXPECT_EQ(response->responses(0).response_range().kvs(0).value(), "v");
  EXPECT_EQ(store_->CurrentRevision(), 2);
}

TEST_F(TxnTest, EmptyTxnSucceeds) {
  auto response = Txn(TxnRequest());
  ASSERT_TRUE(response.ok());
  EXPECT_TRUE(response->succeeded());
  EXPECT_EQ(response->header().revision(), 2);
}

TEST_F(TxnTest, NestedTxnComparesSeeTheStateBeforeTheOuterTxn) {
  TxnRequest inner;
  // Evaluated before the outer put of "k": version is still 1.
  *inner.add_compare() = Cmp("k", Compare::VERSION, Compare::EQUAL, 1);
  *inner.add_success() = PutOp("inner", "yes");
  *inner.add_failure() = PutOp("inner", "no");
  TxnRequest outer;
  *outer.add_success() = PutOp("k", "v2");
  RequestOp nested;
  *nested.mutable_request_txn() = inner;
  *outer.add_success() = nested;
  auto response = Txn(outer);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->responses_size(), 2);
  EXPECT_TRUE(response->responses(1).response_txn().succeeded());
  EXPECT_EQ(response->responses(1).response_txn().header().revision(), 0);
  EXPECT_EQ(Get(RangeReq("inner")).kvs(0).value(), "yes");
  EXPECT_EQ(Get(RangeReq("inner")).kvs(0).mod_revision(), 3);
  EXPECT_EQ(Get(RangeReq("k")).kvs(0).mod_revision(), 3);
  EXPECT_EQ(response->header().revision(), 3);
}

TEST_F(TxnTest, BadRangeInTheChosenBranchFailsTheWholeTxn) {
  TxnRequest request;
  *request.add_success() = PutOp("a", "1");
  *request.add_success() = RangeOp("k", 100);
  auto response = Txn(request);
  EXPECT_TRUE(IsFutureRev(response.status()));
  EXPECT_EQ(Get(RangeReq("a")).kvs_size(), 0);
  EXPECT_EQ(store_->CurrentRevision(), 2);
  // A bad range in the branch not taken does not matter.
  TxnRequest other;
  *other.add_compare() = Cmp("k", Compare::VERSION, Compare::EQUAL, 1);
  *other.add_success() = PutOp("a", "1");
  *other.add_failure() = RangeOp("k", 100);
  EXPECT_TRUE(Txn(other).ok());
}

TEST_F(TxnTest, CompactedRangeInTxnFails) {
  Put("k", "v2");  // 3
  Put("k", "v3");  // 4
  ASSERT_TRUE(Compact(4).ok());
  TxnRequest request;
  *request.add_success() = RangeOp("k", 3);
  EXPECT_TRUE(IsCompacted(Txn(request).status()));
}

TEST_F(TxnTest, IgnoreValueOnMissingKeyFailsBeforeAnyWrite) {
  TxnRequest request;
  *request.add_success() = PutOp("a", "1");
  RequestOp put = PutOp("missing", "");
  put.mutable_request_put()->set_ignore_value(true);
  *request.add_success() = put;
  EXPECT_TRUE(IsKeyNotFound(Txn(request).status()));
  EXPECT_EQ(Get(RangeReq("a")).kvs_size(), 0);
}

TEST_F(TxnTest, AFailedOpLeavesTheBatchAsBefore) {
  ApplyBatch batch = store_->BeginApply();
  ASSERT_TRUE(batch.Put(PutReq("x", "1")).ok());
  TxnRequest request;
  *request.add_success() = PutOp("y", "1");
  *request.add_success() = DeleteOp("k");
  RequestOp put = PutOp("k", "");
  put.mutable_request_put()->set_ignore_value(true);  // k was deleted just before: fails
  *request.add_success() = put;
  EXPECT_FALSE(batch.Txn(request).ok());
  EXPECT_EQ(batch.revision(), 3);
  ASSERT_TRUE(batch.Put(PutReq("z", "1")).ok());
  ASSERT_TRUE(batch.Commit({++index_, 1}).ok());
  EXPECT_EQ(Get(RangeReq("y")).kvs_size(), 0);
  EXPECT_EQ(Get(RangeReq("k")).kvs(0).value(), "v");
  EXPECT_EQ(Get(RangeReq("z")).kvs(0).mod_revision(), 4);
}

}  // namespace
}  // namespace raftkv::mvcc::testing
