#include "raftkv/server/cluster_service.h"

#include "raftkv/server/unary_call.h"

namespace raftkv::server {
namespace {

// etcd's Cluster responses carry no revision in their header: membership is not in the MVCC
// store.
template <typename Response>
void ClearRevision(Response& response) {
  response.mutable_header()->clear_revision();
}

template <typename Response>
Done<Response> FinishCluster(grpc::ServerUnaryReactor* reactor, Response* response) {
  return FinishUnary(reactor, response, &ClearRevision<Response>);
}

}  // namespace

grpc::ServerUnaryReactor* ClusterService::MemberAdd(grpc::CallbackServerContext* context,
                                                    const etcdserverpb::MemberAddRequest* request,
                                                    etcdserverpb::MemberAddResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  member_->MemberAdd(*request, FinishCluster(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* ClusterService::MemberRemove(
    grpc::CallbackServerContext* context, const etcdserverpb::MemberRemoveRequest* request,
    etcdserverpb::MemberRemoveResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  member_->MemberRemove(*request, FinishCluster(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* ClusterService::MemberUpdate(
    grpc::CallbackServerContext* context, const etcdserverpb::MemberUpdateRequest* request,
    etcdserverpb::MemberUpdateResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  member_->MemberUpdate(*request, FinishCluster(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* ClusterService::MemberList(grpc::CallbackServerContext* context,
                                                     const etcdserverpb::MemberListRequest* request,
                                                     etcdserverpb::MemberListResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  member_->MemberList(*request, FinishCluster(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* ClusterService::MemberPromote(
    grpc::CallbackServerContext* context, const etcdserverpb::MemberPromoteRequest* request,
    etcdserverpb::MemberPromoteResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  member_->MemberPromote(*request, FinishCluster(reactor, response));
  return reactor;
}

}  // namespace raftkv::server
