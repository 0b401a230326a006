#ifndef RAFTKV_SERVER_KV_SERVICE_H_
#define RAFTKV_SERVER_KV_SERVICE_H_

#include <cstdint>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "raftkv/server/member.h"

namespace raftkv::server {

// etcd's KV service: validates each request as etcd 3.4 does (request_checks.h), then hands
// it to the member; the answer carries a filled response header. `member` must outlive the
// service.
class KvService final : public etcdserverpb::KV::CallbackService {
 public:
  KvService(Member* member, uint32_t max_txn_ops, uint64_t max_request_bytes);

  grpc::ServerUnaryReactor* Range(grpc::CallbackServerContext* context,
                                  const etcdserverpb::RangeRequest* request,
                                  etcdserverpb::RangeResponse* response) override;
  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* context,
                                const etcdserverpb::PutRequest* request,
                                etcdserverpb::PutResponse* response) override;
  grpc::ServerUnaryReactor* DeleteRange(grpc::CallbackServerContext* context,
                                        const etcdserverpb::DeleteRangeRequest* request,
                                        etcdserverpb::DeleteRangeResponse* response) override;
  grpc::ServerUnaryReactor* Txn(grpc::CallbackServerContext* context,
                                const etcdserverpb::TxnRequest* request,
                                etcdserverpb::TxnResponse* response) override;
  grpc::ServerUnaryReactor* Compact(grpc::CallbackServerContext* context,
                                    const etcdserverpb::CompactionRequest* request,
                                    etcdserverpb::CompactionResponse* response) override;

 private:
  Member* const member_;
  const uint32_t max_txn_ops_;
  const uint64_t max_request_bytes_;
};

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_KV_SERVICE_H_
