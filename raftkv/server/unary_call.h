#ifndef RAFTKV_SERVER_UNARY_CALL_H_
#define RAFTKV_SERVER_UNARY_CALL_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "etcdserverpb/rpc.pb.h"
#include "grpcpp/support/server_callback.h"
#include "raftkv/server/grpc_status.h"
#include "raftkv/server/member.h"

namespace raftkv::server {

// etcd's header.fill: cluster id, member id and raft term always; the revision only when
// the member left it unset.
inline void FillHeader(const etcdserverpb::ResponseHeader& now,
                       etcdserverpb::ResponseHeader* header) {
  header->set_cluster_id(now.cluster_id());
  header->set_member_id(now.member_id());
  header->set_raft_term(now.raft_term());
  if (header->revision() == 0) header->set_revision(now.revision());
}

// Unary RPCs use gRPC's default reactor (CallbackServerContext::DefaultReactor): gRPC owns
// it, and `response` stays valid until the reactor is finished. A Member call completes
// exactly once, on a member thread, so the completion below finishes the RPC there: no gRPC
// thread ever waits for raft.

// The completion of a Member call that answers a unary RPC: the response as the member made
// it (Member stamps every response's header), or the member's error as etcd's gRPC status.
// `adjust`, when given, edits the response before it is sent.
template <typename Response>
Done<Response> FinishUnary(grpc::ServerUnaryReactor* reactor, Response* response,
                           void (*adjust)(Response&) = nullptr) {
  return [reactor, response, adjust](absl::StatusOr<Response> result) {
    if (!result.ok()) {
      reactor->Finish(ToGrpcStatus(result.status()));
      return;
    }
    *response = *std::move(result);
    if (adjust != nullptr) adjust(*response);
    reactor->Finish(grpc::Status::OK);
  };
}

// Finishes a unary RPC at once with `status` (a request that failed validation).
inline grpc::ServerUnaryReactor* RefuseUnary(grpc::CallbackServerContext* context,
                                             const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_UNARY_CALL_H_
