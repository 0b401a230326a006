#include "raftkv/server/kv_service.h"

#include "raftkv/server/request_checks.h"
#include "raftkv/server/unary_call.h"

namespace raftkv::server {

using etcdserverpb::CompactionRequest;
using etcdserverpb::CompactionResponse;
using etcdserverpb::DeleteRangeRequest;
using etcdserverpb::DeleteRangeResponse;
using etcdserverpb::PutRequest;
using etcdserverpb::PutResponse;
using etcdserverpb::RangeRequest;
using etcdserverpb::RangeResponse;
using etcdserverpb::TxnRequest;
using etcdserverpb::TxnResponse;

KvService::KvService(Member* member, uint32_t max_txn_ops, uint64_t max_request_bytes)
    : member_(member), max_txn_ops_(max_txn_ops), max_request_bytes_(max_request_bytes) {}

grpc::ServerUnaryReactor* KvService::Range(grpc::CallbackServerContext* context,
                                           const RangeRequest* request, RangeResponse* response) {
  if (absl::Status status = CheckRangeRequest(*request); !status.ok()) {
    return RefuseUnary(context, status);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  member_->Range(*request, FinishUnary(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* KvService::Put(grpc::CallbackServerContext* context,
                                         const PutRequest* request, PutResponse* response) {
  absl::Status status = CheckPutRequest(*request);
  if (status.ok()) status = CheckRequestSize(*request, max_request_bytes_);
  if (!status.ok()) return RefuseUnary(context, status);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  member_->Put(*request, FinishUnary(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* KvService::DeleteRange(grpc::CallbackServerContext* context,
                                                 const DeleteRangeRequest* request,
                                                 DeleteRangeResponse* response) {
  absl::Status status = CheckDeleteRequest(*request);
  if (status.ok()) status = CheckRequestSize(*request, max_request_bytes_);
  if (!status.ok()) return RefuseUnary(context, status);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  member_->DeleteRange(*request, FinishUnary(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* KvService::Txn(grpc::CallbackServerContext* context,
                                         const TxnRequest* request, TxnResponse* response) {
  absl::Status status = CheckTxnRequest(*request, max_txn_ops_);
  if (status.ok()) status = CheckRequestSize(*request, max_request_bytes_);
  if (!status.ok()) return RefuseUnary(context, status);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  member_->Txn(*request, FinishUnary(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* KvService::Compact(grpc::CallbackServerContext* context,
                                             const CompactionRequest* request,
                                             CompactionResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  member_->Compact(*request, FinishUnary(reactor, response));
  return reactor;
}

}  // namespace raftkv::server
