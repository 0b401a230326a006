#ifndef RAFTKV_SERVER_CLUSTER_SERVICE_H_
#define RAFTKV_SERVER_CLUSTER_SERVICE_H_

#include "etcdserverpb/rpc.grpc.pb.h"
#include "raftkv/server/member.h"

namespace raftkv::server {

// etcd's Cluster service: membership changes and the member list, answered by the member
// (changes go through raft). `member` must outlive the service.
class ClusterService final : public etcdserverpb::Cluster::CallbackService {
 public:
  explicit ClusterService(Member* member) : member_(member) {}

  grpc::ServerUnaryReactor* MemberAdd(grpc::CallbackServerContext* context,
                                      const etcdserverpb::MemberAddRequest* request,
                                      etcdserverpb::MemberAddResponse* response) override;
  grpc::ServerUnaryReactor* MemberRemove(grpc::CallbackServerContext* context,
                                         const etcdserverpb::MemberRemoveRequest* request,
                                         etcdserverpb::MemberRemoveResponse* response) override;
  grpc::ServerUnaryReactor* MemberUpdate(grpc::CallbackServerContext* context,
                                         const etcdserverpb::MemberUpdateRequest* request,
                                         etcdserverpb::MemberUpdateResponse* response) override;
  grpc::ServerUnaryReactor* MemberList(grpc::CallbackServerContext* context,
                                       const etcdserverpb::MemberListRequest* request,
                                       etcdserverpb::MemberListResponse* response) override;
  grpc::ServerUnaryReactor* MemberPromote(grpc::CallbackServerContext* context,
                                          const etcdserverpb::MemberPromoteRequest* request,
                                          etcdserverpb::MemberPromoteResponse* response) override;

 private:
  Member* const member_;
};

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_CLUSTER_SERVICE_H_
