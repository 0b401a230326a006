#ifndef RAFTKV_SERVER_GRPC_STATUS_H_
#define RAFTKV_SERVER_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace raftkv::server {

// The gRPC status a client sees for `status`: absl and gRPC codes share their numbers, and
// the message is kept as it is, because etcd clients recognise errors by message text
// (rpctypes.ErrorDesc). Codes outside gRPC's range become UNKNOWN.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_GRPC_STATUS_H_
