#include "raftkv/server/grpc_server.h"

#include <climits>
#include <string>

#include "absl/strings/str_cat.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "spdlog/spdlog.h"

namespace raftkv::server {
namespace {

WatchServiceOptions WatchOptionsFor(const ServerOptions& options,
                                    const GrpcServerOptions& grpc_options) {
  WatchServiceOptions watch;
  watch.stream.max_response_bytes = options.max_request_bytes + kGrpcOverheadBytes;
  watch.progress_notify_interval = grpc_options.progress_notify_interval;
  watch.leader_check_interval = options.election_timeout;
  return watch;
}

// Keepalive as etcd's defaults: ping an idle client every 2 h and drop it 20 s after an
// unanswered ping; accept client pings as often as every second (etcd's
// --grpc-keepalive-min-time is 5 s, but etcdctl pings every 2 s and gRPC C++ would answer
// that with GOAWAY "too_many_pings"), with or without calls in flight.
void SetKeepalive(grpc::ServerBuilder& builder) {
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 2 * 60 * 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 1000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);  // never GOAWAY for pings
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
}

}  // namespace

GrpcServer::GrpcServer(Member* member, const ServerOptions& options,
                       const GrpcServerOptions& grpc_options)
    : kv_(member, options.max_txn_ops, options.max_request_bytes),
      watch_(member, WatchOptionsFor(options, grpc_options)),
      lease_(member),
      cluster_(member),
      maintenance_(member),
      auth_(member) {}

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    Member* member, const ServerOptions& options, const GrpcServerOptions& grpc_options) {
  if (options.listen_client_urls.empty()) {
    return absl::InvalidArgumentError("--listen-client-urls: no URL to listen on");
  }
  std::unique_ptr<GrpcServer> server(new GrpcServer(member, options, grpc_options));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  server->ports_.assign(options.listen_client_urls.size(), 0);
  for (size_t i = 0; i < options.listen_client_urls.size(); ++i) {
    builder.AddListeningPort(options.listen_client_urls[i].HostPort(),
                             grpc::InsecureServerCredentials(), &server->ports_[i]);
  }
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(options.max_request_bytes + kGrpcOverheadBytes));
  builder.SetMaxSendMessageSize(INT_MAX);
  SetKeepalive(builder);
  builder.RegisterService(&server->kv_);
  builder.RegisterService(&server->watch_);
  builder.RegisterService(&server->lease_);
  builder.RegisterService(&server->cluster_);
  builder.RegisterService(&server->maintenance_);
  builder.RegisterService(&server->auth_);
  server->server_ = builder.BuildAndStart();
  if (!server->server_) {
    return absl::UnavailableError("gRPC server did not start on --listen-client-urls");
  }
  for (size_t i = 0; i < server->ports_.size(); ++i) {
    if (server->ports_[i] == 0) {
      server->server_->Shutdown();
      return absl::UnavailableError(
          absl::StrCat("listen tcp ", options.listen_client_urls[i].HostPort(), ": bind failed"));
    }
    spdlog::info("serving client traffic insecurely on {}:{}", options.listen_client_urls[i].host,
                 server->ports_[i]);
  }
  return server;
}

GrpcServer::~GrpcServer() {
  Shutdown(std::chrono::seconds(1));
}

void GrpcServer::Shutdown(std::chrono::milliseconds grace) {
  if (shut_down_ || !server_) return;
  shut_down_ = true;
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
}

}  // namespace raftkv::server
