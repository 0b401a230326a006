#ifndef RAFTKV_SERVER_REQUEST_CHECKS_H_
#define RAFTKV_SERVER_REQUEST_CHECKS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "etcdserverpb/rpc.pb.h"
#include "google/protobuf/message_lite.h"

namespace raftkv::server {

// etcd 3.4's request validation (etcdserver/api/v3rpc/key.go), applied before a request
// reaches the member, with the same errors in the same order, so a client sees exactly the
// error etcd would give it.

// InvalidArgument "etcdserver: value is provided": a Put with ignore_value and a value.
absl::Status ErrValueProvided();
// InvalidArgument "etcdserver: lease is provided": a Put with ignore_lease and a lease.
absl::Status ErrLeaseProvided();

// ErrEmptyKey for an empty key.
absl::Status CheckRangeRequest(const etcdserverpb::RangeRequest& request);
// ErrEmptyKey, ErrValueProvided, ErrLeaseProvided.
absl::Status CheckPutRequest(const etcdserverpb::PutRequest& request);
// ErrEmptyKey.
absl::Status CheckDeleteRequest(const etcdserverpb::DeleteRangeRequest& request);
// ErrTooManyOps when the compares or either branch exceed `max_txn_ops` (nested txns get
// what their parent leaves, as in etcd), ErrEmptyKey for any empty key, ErrKeyNotFound for an
// empty RequestOp, then ErrDuplicateKey when a branch puts one key twice or puts a key that
// one of its deletes covers (etcd's checkIntervals; a nested txn's then/else may put the same
// key, since only one of them runs).
absl::Status CheckTxnRequest(const etcdserverpb::TxnRequest& request, uint32_t max_txn_ops);
// ErrRequestTooLarge when the encoded request is over `max_request_bytes` (etcd refuses such
// proposals before they reach raft).
absl::Status CheckRequestSize(const google::protobuf::MessageLite& request,
                              uint64_t max_request_bytes);

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_REQUEST_CHECKS_H_
