// The gRPC KV handlers' validation (etcd's checkPutRequest, checkRangeRequest,
// checkDeleteRequest, checkTxnRequest) over requests parsed from arbitrary bytes, as a
// client can send them. The first byte picks the request type and the txn operation limit.
// Validation must never crash, and whatever it accepts must satisfy what the member relies on.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "etcdserverpb/rpc.pb.h"
#include "raftkv/server/request_checks.h"

namespace {

using raftkv::server::CheckDeleteRequest;
using raftkv::server::CheckPutRequest;
using raftkv::server::CheckRangeRequest;
using raftkv::server::CheckRequestSize;
using raftkv::server::CheckTxnRequest;

// Every op of an accepted txn names a key, and its branches fit the limit.
void CheckAcceptedTxn(const etcdserverpb::TxnRequest& txn, uint32_t max_txn_ops) {
  if (static_cast<uint32_t>(txn.compare_size()) > max_txn_ops ||
      static_cast<uint32_t>(txn.success_size()) > max_txn_ops ||
      static_cast<uint32_t>(txn.failure_size()) > max_txn_ops) {
    std::abort();
  }
  for (const etcdserverpb::Compare& compare : txn.compare()) {
    if (compare.key().empty()) std::abort();
  }
  for (const auto* branch : {&txn.success(), &txn.failure()}) {
    for (const etcdserverpb::RequestOp& op : *branch) {
      switch (op.request_case()) {
        case etcdserverpb::RequestOp::kRequestRange:
          if (op.request_range().key().empty()) std::abort();
          break;
        case etcdserverpb::RequestOp::kRequestPut:
          if (op.request_put().key().empty()) std::abort();
          break;
        case etcdserverpb::RequestOp::kRequestDeleteRange:
          if (op.request_delete_range().key().empty()) std::abort();
          break;
        case etcdserverpb::RequestOp::kRequestTxn:
          CheckAcceptedTxn(op.request_txn(), max_txn_ops);
          break;
        case etcdserverpb::RequestOp::REQUEST_NOT_SET:
          std::abort();
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t selector = data[0];
  const void* body = data + 1;
  const int body_size = static_cast<int>(size - 1);
  // etcd's default is 128; small limits reach the too-many-operations paths.
  const uint32_t max_txn_ops = (selector >> 2) % 8 == 0 ? 128 : (selector >> 2) % 8;
  switch (selector % 4) {
    case 0: {
      etcdserverpb::PutRequest put;
      if (!put.ParseFromArray(body, body_size)) return 0;
      absl::Status status = CheckPutRequest(put);
      if (status.ok() && (put.key().empty() || (put.ignore_value() && !put.value().empty()) ||
                          (put.ignore_lease() && put.lease() != 0))) {
        std::abort();
      }
      (void)CheckRequestSize(put, 1536);
      break;
    }
    case 1: {
      etcdserverpb::RangeRequest range;
      if (!range.ParseFromArray(body, body_size)) return 0;
      if (CheckRangeRequest(range).ok() && range.key().empty()) std::abort();
      break;
    }
    case 2: {
      etcdserverpb::DeleteRangeRequest del;
      if (!del.ParseFromArray(body, body_size)) return 0;
      if (CheckDeleteRequest(del).ok() && del.key().empty()) std::abort();
      break;
    }
    default: {
      etcdserverpb::TxnRequest txn;
      if (!txn.ParseFromArray(body, body_size)) return 0;
      if (CheckTxnRequest(txn, max_txn_ops).ok()) CheckAcceptedTxn(txn, max_txn_ops);
      (void)CheckRequestSize(txn, 1536);
      break;
    }
  }
  return 0;
}
