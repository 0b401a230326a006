// The plain-C++ API's conversions to etcd's messages and its small helpers.

#include "gtest/gtest.h"
#include "raftkv/client/convert.h"
#include "raftkv/errors.h"
#include "raftkv/options.h"
#include "raftkv/txn.h"

namespace raftkv {
namespace {

TEST(PrefixEnd, IncrementsTheLastByteBelow0xff) {
  EXPECT_EQ(PrefixEnd("abc"), "abd");
  EXPECT_EQ(PrefixEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixEnd(""), std::string(1, '\0'));
  EXPECT_EQ(PrefixEnd(std::string("\xff\xff", 2)), std::string(1, '\0'));
}

TEST(Convert, RangeOptionsMapFieldForField) {
  RangeOptions options = WithPrefix("/registry/");
  options.limit = 7;
  options.revision = 42;
  options.serializable = true;
  options.sort_order = SortOrder::kDescend;
  options.sort_target = SortTarget::kCreateRevision;
  options.max_create_revision = 9;
  etcdserverpb::RangeRequest r = internal::ToProto("/registry/", options);
  EXPECT_EQ(r.key(), "/registry/");
  EXPECT_EQ(r.range_end(), "/registry0");
  EXPECT_EQ(r.limit(), 7);
  EXPECT_EQ(r.revision(), 42);
  EXPECT_TRUE(r.serializable());
  EXPECT_EQ(r.sort_order(), etcdserverpb::RangeRequest::DESCEND);
  EXPECT_EQ(r.sort_target(), etcdserverpb::RangeRequest::CREATE);
  EXPECT_EQ(r.max_create_revision(), 9);
}

TEST(Convert, TxnComparesAndOps) {
  TxnRequest txn;
  txn.compare = {Compare::ModRevision("k", Compare::Result::kEqual, 5),
                 Compare::Value("v", Compare::Result::kNotEqual, "x"),
                 Compare::Lease("l", Compare::Result::kGreater, 3)};
  PutOptions put;
  put.lease = 77;
  RangeOptions serializable_get;
  serializable_get.serializable = true;
  txn.success = {Op::Put("k", "new", put), Op::Get("k", serializable_get)};
  txn.failure = {Op::Delete("k", DeleteOptions{.prev_kv = true})};
  etcdserverpb::TxnRequest r = internal::ToProto(txn);
  ASSERT_EQ(r.compare_size(), 3);
  EXPECT_EQ(r.compare(0).target(), etcdserverpb::Compare::MOD);
  EXPECT_EQ(r.compare(0).mod_revision(), 5);
  EXPECT_EQ(r.compare(1).target(), etcdserverpb::Compare::VALUE);
  EXPECT_EQ(r.compare(1).result(), etcdserverpb::Compare::NOT_EQUAL);
  EXPECT_EQ(r.compare(1).value(), "x");
  EXPECT_EQ(r.compare(2).lease(), 3);
  ASSERT_EQ(r.success_size(), 2);
  EXPECT_EQ(r.success(0).request_put().lease(), 77);
  EXPECT_FALSE(r.success(1).request_range().serializable()) << "txn reads are linearizable";
  EXPECT_TRUE(r.failure(0).request_delete_range().prev_kv());
}

TEST(Convert, WatchResponseKeepsCompactionAndEvents) {
  etcdserverpb::WatchResponse proto;
  proto.mutable_header()->set_revision(12);
  proto.set_canceled(true);
  proto.set_compact_revision(10);
  auto* event = proto.add_events();
  event->set_type(mvccpb::Event::DELETE);
  event->mutable_kv()->set_key("a");
  event->mutable_kv()->set_mod_revision(11);
  event->mutable_prev_kv()->set_value("old");
  WatchResponse r = internal::FromProto(proto);
  EXPECT_EQ(r.header.revision, 12);
  EXPECT_TRUE(r.canceled);
  EXPECT_EQ(r.compact_revision, 10);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(r.events[0].kv.mod_revision, 11);
  ASSERT_TRUE(r.events[0].prev_kv.has_value());
  EXPECT_EQ(r.events[0].prev_kv->value, "old");
  EXPECT_FALSE(r.IsProgressNotify());
}

TEST(Errors, RecogniseEtcdMessages) {
  EXPECT_TRUE(IsCompacted(absl::OutOfRangeError(kCompactedMessage)));
  EXPECT_FALSE(IsCompacted(absl::OutOfRangeError(kFutureRevisionMessage)));
  EXPECT_TRUE(IsFutureRevision(absl::OutOfRangeError(kFutureRevisionMessage)));
  EXPECT_TRUE(IsLeaseNotFound(absl::NotFoundError(kLeaseNotFoundMessage)));
  EXPECT_TRUE(IsNoSpace(absl::ResourceExhaustedError(kNoSpaceMessage)));
  EXPECT_FALSE(IsLeaseNotFound(absl::NotFoundError("etcdserver: member not found")));
}

}  // namespace
}  // namespace raftkv
