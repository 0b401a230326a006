#ifndef RAFTKV_SERVER_LEASE_SERVICE_H_
#define RAFTKV_SERVER_LEASE_SERVICE_H_

#include "etcdserverpb/rpc.grpc.pb.h"
#include "raftkv/server/member.h"

namespace raftkv::server {

// etcd's Lease service (v3rpc/lease.go). LeaseKeepAlive is one stream per client: each
// request renews the lease and answers its TTL, TTL 0 when the lease does not exist, with a
// header taken before the renewal (so its revision is never newer than the renewal, as in
// etcd). LeaseTimeToLive of an unknown lease answers TTL -1. `member` must outlive the
// service.
class LeaseService final : public etcdserverpb::Lease::CallbackService {
 public:
  explicit LeaseService(Member* member) : member_(member) {}

  grpc::ServerUnaryReactor* LeaseGrant(grpc::CallbackServerContext* context,
                                       const etcdserverpb::LeaseGrantRequest* request,
                                       etcdserverpb::LeaseGrantResponse* response) override;
  grpc::ServerUnaryReactor* LeaseRevoke(grpc::CallbackServerContext* context,
                                        const etcdserverpb::LeaseRevokeRequest* request,
                                        etcdserverpb::LeaseRevokeResponse* response) override;
  grpc::ServerBidiReactor<etcdserverpb::LeaseKeepAliveRequest,
                          etcdserverpb::LeaseKeepAliveResponse>*
  LeaseKeepAlive(grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* LeaseTimeToLive(
      grpc::CallbackServerContext* context, const etcdserverpb::LeaseTimeToLiveRequest* request,
      etcdserverpb::LeaseTimeToLiveResponse* response) override;
  grpc::ServerUnaryReactor* LeaseLeases(grpc::CallbackServerContext* context,
                                        const etcdserverpb::LeaseLeasesRequest* request,
                                        etcdserverpb::LeaseLeasesResponse* response) override;

 private:
  Member* const member_;
};

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_LEASE_SERVICE_H_
