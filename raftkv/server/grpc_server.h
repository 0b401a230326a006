#ifndef RAFTKV_SERVER_GRPC_SERVER_H_
#define RAFTKV_SERVER_GRPC_SERVER_H_

#include <chrono>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"
#include "raftkv/server/auth_service.h"
#include "raftkv/server/cluster_service.h"
#include "raftkv/server/kv_service.h"
#include "raftkv/server/lease_service.h"
#include "raftkv/server/maintenance_service.h"
#include "raftkv/server/member.h"
#include "raftkv/server/server_options.h"
#include "raftkv/server/watch_service.h"

namespace raftkv::server {

struct GrpcServerOptions {
  std::chrono::milliseconds progress_notify_interval{std::chrono::minutes(10)};
};

// The etcd v3 API of one member: KV, Watch, Lease, Cluster, Maintenance and Auth, plus the
// standard gRPC health service reporting SERVING (as etcd registers), on every
// --listen-client-urls address. Settings follow etcd's v3rpc.Server: requests up to
// max-request-bytes + 512 KiB, responses of any size, and a keepalive policy that accepts
// the frequent pings etcd clients send (etcdctl pings every 2 s).
class GrpcServer {
 public:
  // Binds every client URL (port 0 picks a free port) or fails naming the one that did not
  // bind. `member` must outlive the server.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(Member* member,
                                                           const ServerOptions& options,
                                                           const GrpcServerOptions& grpc_options);
  // Shuts down with a one-second grace period if Shutdown was not called.
  ~GrpcServer();
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // Stops accepting calls, lets calls in progress finish for up to `grace`, then cancels the
  // rest (watch and keepalive streams end) and waits for every call to be done.
  void Shutdown(std::chrono::milliseconds grace);

  // The bound ports, in the order of --listen-client-urls.
  const std::vector<int>& ports() const { return ports_; }

 private:
  GrpcServer(Member* member, const ServerOptions& options, const GrpcServerOptions& grpc_options);

  KvService kv_;
  WatchService watch_;
  LeaseService lease_;
  ClusterService cluster_;
  MaintenanceService maintenance_;
  AuthService auth_;
  std::unique_ptr<grpc::Server> server_;  // destroyed before the services it calls
  std::vector<int> ports_;
  bool shut_down_ = false;
};

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_GRPC_SERVER_H_
