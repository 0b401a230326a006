#include "raftkv/server/cluster_service.h"

#include "raftkv/server/unary_call.h"

namespace raftkv::server {
namespace {

// FinishUnary, but as etcd's Cluster service the header carries no revision: membership is
// not in the MVCC store.
template <typename Response>
Done<Response> FinishCluster(grpc::ServerUnaryReactor* reactor, Response* response,
                             const Member* member) {
  return [reactor, response, member](absl::StatusOr<Response> result) {
    if (!result.ok()) {
      reactor->Finish(ToGrpcStatus(result.status()));
      return;
    }
    *response = *std::move(result);
    FillHeader(member->Header(), response->mutable_header());
    response->mutable_header()->clear_revision();
    reactor->Finish(grpc::Status::OK);
  };
}

}  // namespace

grpc::ServerUnaryReactor* ClusterService::MemberAdd(grpc::CallbackServerContext* context,
                                                    const etcdserverpb::MemberAddRequest* request,
                                                    etcdserverpb::MemberAddResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  member_->MemberAdd(*request, FinishCluster(reactor, response, member_));
  return reactor;
}

grpc::ServerUnaryReactor* ClusterService::MemberRemove(
    grpc::CallbackServerContext* context, const etcdserverpb::MemberRemoveRequest* request,
    etcdserverpb::MemberRemoveResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  member_->MemberRemove(*request, FinishCluster(reactor, response, member_));
  return reactor;
}

grpc::ServerUnaryReactor* ClusterService::MemberUpdate(
    grpc::CallbackServerContext* context, const etcdserverpb::MemberUpdateRequest* request,
    etcdserverpb::MemberUpdateResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  member_->MemberUpdate(*request, FinishCluster(reactor, response, member_));
  return reactor;
}

grpc::ServerUnaryReactor* ClusterService::MemberList(grpc::CallbackServerContext* context,
                                                     const etcdserverpb::MemberListRequest* request,
                                                     etcdserverpb::MemberListResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  member_->MemberList(*request, FinishCluster(reactor, response, member_));
  return reactor;
}

grpc::ServerUnaryReactor* ClusterService::MemberPromote(
    grpc::CallbackServerContext* context, const etcdserverpb::MemberPromoteRequest* request,
    etcdserverpb::MemberPromoteResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  member_->MemberPromote(*request, FinishCluster(reactor, response, member_));
  return reactor;
}

}  // namespace raftkv::server
