// ApplyBatch::Txn: etcd 3.4's applierV3backend.Txn (etcdserver/apply.go).

#include "raftkv/mvcc/errors.h"
#include "raftkv/mvcc/read.h"
#include "raftkv/mvcc/store.h"

namespace raftkv::mvcc {
namespace {

using etcdserverpb::Compare;
using etcdserverpb::RequestOp;
using etcdserverpb::TxnRequest;

const google::protobuf::RepeatedPtrField<RequestOp>& Branch(const TxnRequest& request,
                                                            bool succeeded) {
  return succeeded ? request.success() : request.failure();
}

int CompareInt(int64_t a, int64_t b) {
  return a < b ? -1 : (a > b ? 1 : 0);
}

// etcd's compareKV: the target field of `kv` against the compare's operand (a missing operand
// counts as zero / empty).
bool CompareKv(const Compare& compare, const mvccpb::KeyValue& kv) {
  int result = 0;
  switch (compare.target()) {
    case Compare::VALUE:
      result = kv.value().compare(compare.value());
      result = result < 0 ? -1 : (result > 0 ? 1 : 0);
      break;
    case Compare::CREATE:
      result = CompareInt(kv.create_revision(), compare.create_revision());
      break;
    case Compare::MOD:
      result = CompareInt(kv.mod_revision(), compare.mod_revision());
      break;
    case Compare::VERSION:
      result = CompareInt(kv.version(), compare.version());
      break;
    case Compare::LEASE:
      result = CompareInt(kv.lease(), compare.lease());
      break;
    default:
      break;
  }
  switch (compare.result()) {
    case Compare::EQUAL:
      return result == 0;
    case Compare::NOT_EQUAL:
      return result != 0;
    case Compare::GREATER:
      return result > 0;
    case Compare::LESS:
      return result < 0;
    default:
      return true;
  }
}

}  // namespace

absl::StatusOr<etcdserverpb::TxnResponse> ApplyBatch::Txn(const TxnRequest& request) {
  return RunAtomically([&] { return DoTxn(request); });
}

absl::StatusOr<etcdserverpb::TxnResponse> ApplyBatch::DoTxn(const TxnRequest& request) {
  std::vector<bool> path;
  if (auto status = ComputeTxnPath(request, &path); !status.ok()) return status;
  size_t position = 0;
  if (auto status = CheckTxnBranch(request, path, &position); !status.ok()) return status;
  etcdserverpb::TxnResponse response;
  position = 0;
  if (auto status = ExecuteTxnBranch(request, path, &position, &response); !status.ok()) {
    return status;
  }
  response.mutable_header()->set_revision(ReadRevision());
  return response;
}

absl::StatusOr<bool> ApplyBatch::EvaluateCompare(const Compare& compare) const {
  auto kvs = LiveKeys(KeyRange{compare.key(), compare.range_end()});
  if (!kvs.ok()) return kvs.status();
  if (kvs->empty()) {
    // etcd: comparing the value of a missing key always fails (no way to tell "" from
    // missing); other targets compare against zero.
    if (compare.target() == Compare::VALUE) return false;
    return CompareKv(compare, mvccpb::KeyValue());
  }
  for (const mvccpb::KeyValue& kv : *kvs) {
    if (!CompareKv(compare, kv)) return false;
  }
  return true;
}

absl::Status ApplyBatch::ComputeTxnPath(const TxnRequest& request, std::vector<bool>* path) const {
  bool succeeded = true;
  for (const Compare& compare : request.compare()) {
    auto result = EvaluateCompare(compare);
    if (!result.ok()) return result.status();
    if (!*result) {
      succeeded = false;
      break;
    }
  }
  path->push_back(succeeded);
  for (const RequestOp& op : Branch(request, succeeded)) {
    if (!op.has_request_txn()) continue;
    if (auto status = ComputeTxnPath(op.request_txn(), path); !status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status ApplyBatch::CheckTxnBranch(const TxnRequest& request, const std::vector<bool>& path,
                                        size_t* position) const {
  const bool succeeded = path[(*position)++];
  for (const RequestOp& op : Branch(request, succeeded)) {
    if (op.has_request_txn()) {
      if (auto status = CheckTxnBranch(op.request_txn(), path, position); !status.ok()) {
        return status;
      }
    } else if (op.has_request_range()) {
      const int64_t revision = op.request_range().revision();
      if (revision > ReadRevision()) return ErrFutureRev();
      if (revision != 0 && revision < compact_revision_) return ErrCompacted();
    } else if (op.has_request_put()) {
      const auto& put = op.request_put();
      if (put.lease() != 0 && lease_check_) {
        if (auto status = lease_check_(put.lease()); !status.ok()) return status;
      }
      if (!put.ignore_value() && !put.ignore_lease()) continue;
      auto existing = GetLatest(put.key(), /*with_value=*/false);
      if (!existing.ok()) return existing.status();
      if (!existing->has_value()) return ErrKeyNotFound();
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyBatch::ExecuteTxnBranch(const TxnRequest& request, const std::vector<bool>& path,
                                          size_t* position, etcdserverpb::TxnResponse* response) {
  const bool succeeded = path[(*position)++];
  response->set_succeeded(succeeded);
  for (const RequestOp& op : Branch(request, succeeded)) {
    etcdserverpb::ResponseOp* out = response->add_responses();
    absl::Status status;
    if (op.has_request_range()) {
      auto result = DoRange(op.request_range());
      if (result.ok()) *out->mutable_response_range() = std::move(*result);
      status = result.status();
    } else if (op.has_request_put()) {
      auto result = DoPut(op.request_put());
      if (result.ok()) *out->mutable_response_put() = std::move(*result);
      status = result.status();
    } else if (op.has_request_delete_range()) {
      auto result = DoDeleteRange(op.request_delete_range());
      if (result.ok()) *out->mutable_response_delete_range() = std::move(*result);
      status = result.status();
    } else if (op.has_request_txn()) {
      // As etcd, a nested txn's own header carries no revision.
      etcdserverpb::TxnResponse* nested = out->mutable_response_txn();
      nested->mutable_header();
      status = ExecuteTxnBranch(op.request_txn(), path, position, nested);
    }
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace raftkv::mvcc
