// etcd 3.4's v3rpc request validation (key.go): empty keys, ignore_value/ignore_lease, txn
// operation limits and duplicate keys across a txn's branches.

#include "raftkv/server/request_checks.h"

#include <string>

#include "gtest/gtest.h"
#include "raftkv/mvcc/errors.h"
#include "raftkv/server/errors.h"

namespace raftkv::server {
namespace {

using etcdserverpb::RequestOp;
using etcdserverpb::TxnRequest;

RequestOp PutOp(const std::string& key) {
  RequestOp op;
  op.mutable_request_put()->set_key(key);
  return op;
}

RequestOp DeleteOp(const std::string& key, const std::string& end = "") {
  RequestOp op;
  op.mutable_request_delete_range()->set_key(key);
  op.mutable_request_delete_range()->set_range_end(end);
  return op;
}

RequestOp RangeOp(const std::string& key) {
  RequestOp op;
  op.mutable_request_range()->set_key(key);
  return op;
}

RequestOp TxnOp(TxnRequest txn) {
  RequestOp op;
  *op.mutable_request_txn() = std::move(txn);
  return op;
}

TEST(RequestChecksTest, EmptyKeys) {
  EXPECT_EQ(CheckRangeRequest({}), ErrEmptyKey());
  EXPECT_EQ(CheckPutRequest({}), ErrEmptyKey());
  EXPECT_EQ(CheckDeleteRequest({}), ErrEmptyKey());
  EXPECT_TRUE(CheckRangeRequest(RangeOp("a").request_range()).ok());
  EXPECT_TRUE(CheckDeleteRequest(DeleteOp("a").request_delete_range()).ok());
}

TEST(RequestChecksTest, PutIgnoreValueAndLease) {
  etcdserverpb::PutRequest put;
  put.set_key("k");
  put.set_ignore_value(true);
  EXPECT_TRUE(CheckPutRequest(put).ok());
  put.set_value("v");
  EXPECT_EQ(CheckPutRequest(put), ErrValueProvided());
  put.clear_value();
  put.set_ignore_lease(true);
  put.set_lease(7);
  EXPECT_EQ(CheckPutRequest(put), ErrLeaseProvided());
  EXPECT_EQ(ErrValueProvided().message(), "etcdserver: value is provided");
  EXPECT_EQ(ErrLeaseProvided().message(), "etcdserver: lease is provided");
}

TEST(RequestChecksTest, TooManyOps) {
  TxnRequest txn;
  for (int i = 0; i < 3; ++i)
    *txn.add_success() = PutOp("k" + std::to_string(i));
  EXPECT_TRUE(CheckTxnRequest(txn, 3).ok());
  EXPECT_EQ(CheckTxnRequest(txn, 2), ErrTooManyOps());
  for (int i = 0; i < 3; ++i) {
    auto* compare = txn.add_compare();
    compare->set_key("c");
  }
  *txn.add_compare() = txn.compare(0);
  EXPECT_EQ(CheckTxnRequest(txn, 3), ErrTooManyOps());  // compares count too
}

TEST(RequestChecksTest, NestedTxnGetsWhatItsParentLeaves) {
  TxnRequest inner;
  *inner.add_success() = PutOp("x");
  *inner.add_success() = PutOp("y");
  TxnRequest outer;
  *outer.add_success() = TxnOp(inner);
  // outer uses 1 of 3, the nested txn may use 2.
  EXPECT_TRUE(CheckTxnRequest(outer, 3).ok());
  EXPECT_EQ(CheckTxnRequest(outer, 2), ErrTooManyOps());
}

TEST(RequestChecksTest, EmptyKeysInsideTxn) {
  TxnRequest txn;
  txn.add_compare();
  EXPECT_EQ(CheckTxnRequest(txn, 128), ErrEmptyKey());
  txn.Clear();
  *txn.add_failure() = PutOp("");
  EXPECT_EQ(CheckTxnRequest(txn, 128), ErrEmptyKey());
}

TEST(RequestChecksTest, EmptyOpIsKeyNotFound) {
  TxnRequest txn;
  txn.add_success();
  EXPECT_EQ(CheckTxnRequest(txn, 128), mvcc::ErrKeyNotFound());
}

TEST(RequestChecksTest, DuplicatePutsInABranch) {
  TxnRequest txn;
  *txn.add_success() = PutOp("a");
  *txn.add_success() = PutOp("a");
  EXPECT_EQ(CheckTxnRequest(txn, 128), ErrDuplicateKey());
  EXPECT_EQ(ErrDuplicateKey().message(), "etcdserver: duplicate key given in txn request");
}

TEST(RequestChecksTest, SameKeyInSuccessAndFailureIsFine) {
  TxnRequest txn;
  *txn.add_success() = PutOp("a");
  *txn.add_failure() = PutOp("a");
  EXPECT_TRUE(CheckTxnRequest(txn, 128).ok());
}

TEST(RequestChecksTest, PutCoveredByDeleteRange) {
  TxnRequest txn;
  *txn.add_success() = DeleteOp("a", "c");
  *txn.add_success() = PutOp("b");
  EXPECT_EQ(CheckTxnRequest(txn, 128), ErrDuplicateKey());

  txn.Clear();
  *txn.add_success() = DeleteOp("a", "c");
  *txn.add_success() = PutOp("c");  // range_end is exclusive
  EXPECT_TRUE(CheckTxnRequest(txn, 128).ok());

  txn.Clear();
  *txn.add_success() = DeleteOp("a");
  *txn.add_success() = PutOp("a");
  EXPECT_EQ(CheckTxnRequest(txn, 128), ErrDuplicateKey());
}

TEST(RequestChecksTest, FromKeyDeleteDoesNotConflictAsInEtcd34) {
  TxnRequest txn;
  *txn.add_success() = DeleteOp("a", std::string(1, '\0'));
  *txn.add_success() = PutOp("b");
  EXPECT_TRUE(CheckTxnRequest(txn, 128).ok());
}

TEST(RequestChecksTest, ReadsNeverConflict) {
  TxnRequest txn;
  *txn.add_success() = RangeOp("a");
  *txn.add_success() = PutOp("a");
  *txn.add_success() = RangeOp("a");
  EXPECT_TRUE(CheckTxnRequest(txn, 128).ok());
}

TEST(RequestChecksTest, NestedTxnPuts) {
  TxnRequest inner;
  *inner.add_success() = PutOp("a");
  *inner.add_failure() = PutOp("a");
  TxnRequest txn;
  *txn.add_success() = TxnOp(inner);
  EXPECT_TRUE(CheckTxnRequest(txn, 128).ok());  // then/else of the nested txn exclude

  *txn.add_success() = PutOp("a");  // but the outer branch puts it as well
  EXPECT_EQ(CheckTxnRequest(txn, 128), ErrDuplicateKey());

  TxnRequest other;
  *other.add_failure() = PutOp("b");
  TxnRequest two;
  *two.add_success() = TxnOp(inner);
  *two.add_success() = TxnOp(other);
  EXPECT_TRUE(CheckTxnRequest(two, 128).ok());
  TxnRequest again;
  *again.add_failure() = PutOp("a");
  *two.add_success() = TxnOp(again);
  EXPECT_EQ(CheckTxnRequest(two, 128), ErrDuplicateKey());
}

TEST(RequestChecksTest, NestedPutCoveredByOuterDelete) {
  TxnRequest inner;
  *inner.add_success() = PutOp("b");
  TxnRequest txn;
  *txn.add_success() = DeleteOp("a", "z");
  *txn.add_success() = TxnOp(inner);
  EXPECT_EQ(CheckTxnRequest(txn, 128), ErrDuplicateKey());
}

TEST(RequestChecksTest, OuterPutCoveredByNestedDelete) {
  TxnRequest inner;
  *inner.add_failure() = DeleteOp("k");
  TxnRequest txn;
  *txn.add_success() = TxnOp(inner);
  *txn.add_success() = PutOp("k");
  EXPECT_EQ(CheckTxnRequest(txn, 128), ErrDuplicateKey());
}

TEST(RequestChecksTest, RequestSize) {
  etcdserverpb::PutRequest put;
  put.set_key("k");
  put.set_value(std::string(100, 'v'));
  EXPECT_TRUE(CheckRequestSize(put, 200).ok());
  EXPECT_EQ(CheckRequestSize(put, 50), ErrRequestTooLarge());
}

}  // namespace
}  // namespace raftkv::server
