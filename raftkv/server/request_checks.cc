#include "raftkv/server/request_checks.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "raftkv/mvcc/errors.h"
#include "raftkv/server/errors.h"

namespace raftkv::server {
namespace {

using etcdserverpb::RequestOp;
using google::protobuf::RepeatedPtrField;

absl::Status CheckRequestOp(const RequestOp& op, int64_t max_txn_ops);

absl::Status CheckTxn(const etcdserverpb::TxnRequest& request, int64_t max_txn_ops) {
  const int64_t ops =
      std::max({request.compare_size(), request.success_size(), request.failure_size()});
  if (ops > max_txn_ops) return ErrTooManyOps();
  for (const etcdserverpb::Compare& compare : request.compare()) {
    if (compare.key().empty()) return ErrEmptyKey();
  }
  for (const RequestOp& op : request.success()) {
    if (absl::Status status = CheckRequestOp(op, max_txn_ops - ops); !status.ok()) return status;
  }
  for (const RequestOp& op : request.failure()) {
    if (absl::Status status = CheckRequestOp(op, max_txn_ops - ops); !status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status CheckRequestOp(const RequestOp& op, int64_t max_txn_ops) {
  switch (op.request_case()) {
    case RequestOp::kRequestRange:
      return CheckRangeRequest(op.request_range());
    case RequestOp::kRequestPut:
      return CheckPutRequest(op.request_put());
    case RequestOp::kRequestDeleteRange:
      return CheckDeleteRequest(op.request_delete_range());
    case RequestOp::kRequestTxn:
      return CheckTxn(op.request_txn(), max_txn_ops);
    case RequestOp::REQUEST_NOT_SET:
      break;
  }
  return mvcc::ErrKeyNotFound();  // etcd's answer to an empty op
}

// A delete's key span, compared bytewise like etcd's StringAffineInterval. A single-key
// delete is the point [key, key+"\0"). Note range_end "\0" makes an empty span here, exactly
// as in etcd 3.4, so a from-key delete never conflicts with a put in the same txn.
struct DeleteSpan {
  std::string begin;
  std::string end;
  bool Covers(const std::string& key) const { return begin <= key && key < end; }
};

struct BranchWrites {
  absl::flat_hash_set<std::string> puts;
  std::vector<DeleteSpan> deletes;
  bool DeletesCover(const std::string& key) const {
    return std::any_of(deletes.begin(), deletes.end(),
                       [&](const DeleteSpan& span) { return span.Covers(key); });
  }
};

// etcd's checkIntervals: the puts and deletes of one branch (including nested txns), or
// ErrDuplicateKey.
absl::Status CollectWrites(const RepeatedPtrField<RequestOp>& ops, BranchWrites* writes) {
  for (const RequestOp& op : ops) {
    if (!op.has_request_delete_range()) continue;
    const etcdserverpb::DeleteRangeRequest& del = op.request_delete_range();
    writes->deletes.push_back(
        {del.key(), del.range_end().empty() ? del.key() + std::string(1, '\0') : del.range_end()});
  }
  for (const RequestOp& op : ops) {
    if (!op.has_request_txn()) continue;
    BranchWrites then_writes, else_writes;
    if (absl::Status s = CollectWrites(op.request_txn().success(), &then_writes); !s.ok()) return s;
    if (absl::Status s = CollectWrites(op.request_txn().failure(), &else_writes); !s.ok()) return s;
    for (const std::string& key : then_writes.puts) {
      if (writes->puts.contains(key) || writes->DeletesCover(key)) return ErrDuplicateKey();
      writes->puts.insert(key);
    }
    for (const std::string& key : else_writes.puts) {
      // A key from the then branch may repeat: then and else never both run.
      if (writes->puts.contains(key) && !then_writes.puts.contains(key)) return ErrDuplicateKey();
      if (writes->DeletesCover(key)) return ErrDuplicateKey();
      writes->puts.insert(key);
    }
    for (auto* nested : {&then_writes, &else_writes}) {
      writes->deletes.insert(writes->deletes.end(), nested->deletes.begin(), nested->deletes.end());
    }
  }
  for (const RequestOp& op : ops) {
    if (!op.has_request_put()) continue;
    const std::string& key = op.request_put().key();
    if (writes->puts.contains(key) || writes->DeletesCover(key)) return ErrDuplicateKey();
    writes->puts.insert(key);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ErrValueProvided() {
  return absl::InvalidArgumentError("etcdserver: value is provided");
}

absl::Status ErrLeaseProvided() {
  return absl::InvalidArgumentError("etcdserver: lease is provided");
}

absl::Status CheckRangeRequest(const etcdserverpb::RangeRequest& request) {
  if (request.key().empty()) return ErrEmptyKey();
  return absl::OkStatus();
}

absl::Status CheckPutRequest(const etcdserverpb::PutRequest& request) {
  if (request.key().empty()) return ErrEmptyKey();
  if (request.ignore_value() && !request.value().empty()) return ErrValueProvided();
  if (request.ignore_lease() && request.lease() != 0) return ErrLeaseProvided();
  return absl::OkStatus();
}

absl::Status CheckDeleteRequest(const etcdserverpb::DeleteRangeRequest& request) {
  if (request.key().empty()) return ErrEmptyKey();
  return absl::OkStatus();
}

absl::Status CheckTxnRequest(const etcdserverpb::TxnRequest& request, uint32_t max_txn_ops) {
  if (absl::Status status = CheckTxn(request, max_txn_ops); !status.ok()) return status;
  // After the cheap checks, so a huge txn fails on its size before the quadratic part.
  BranchWrites success, failure;
  if (absl::Status status = CollectWrites(request.success(), &success); !status.ok()) {
    return status;
  }
  return CollectWrites(request.failure(), &failure);
}

absl::Status CheckRequestSize(const google::protobuf::MessageLite& request,
                              uint64_t max_request_bytes) {
  if (request.ByteSizeLong() > max_request_bytes) return ErrRequestTooLarge();
  return absl::OkStatus();
}

}  // namespace raftkv::server
