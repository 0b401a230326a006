#include "raftkv/embed/member_core.h"

#include "absl/strings/str_cat.h"
#include "raftkv/server/errors.h"
#include "raftkv/server/url.h"
#include "spdlog/spdlog.h"

namespace raftkv::internal {
namespace {

absl::StatusOr<std::vector<server::Url>> ParseUrls(const std::vector<std::string>& texts) {
  std::vector<server::Url> urls;
  for (const std::string& text : texts) {
    absl::StatusOr<server::Url> url = server::ParseUrl(text);
    if (!url.ok()) return url.status();
    urls.push_back(*url);
  }
  return urls;
}

absl::StatusOr<server::ServerOptions> ToServerOptions(const MemberOptions& options) {
  if (options.data_dir.empty()) return absl::InvalidArgumentError("data_dir is required");
  server::ServerOptions out;
  out.name = options.name;
  out.data_dir = options.data_dir;
  auto peer =
      ParseUrls(options.listen_peer_urls.empty() ? std::vector<std::string>{"http://127.0.0.1:2380"}
                                                 : options.listen_peer_urls);
  if (!peer.ok()) return peer.status();
  out.listen_peer_urls = *peer;
  out.initial_advertise_peer_urls = *peer;
  if (!options.initial_advertise_peer_urls.empty()) {
    auto advertised = ParseUrls(options.initial_advertise_peer_urls);
    if (!advertised.ok()) return advertised.status();
    out.initial_advertise_peer_urls = *advertised;
  }
  if (options.initial_cluster.empty()) {
    out.initial_cluster[options.name] = out.initial_advertise_peer_urls;
  }
  for (const auto& [name, urls] : options.initial_cluster) {
    auto parsed = ParseUrls(urls);
    if (!parsed.ok()) return parsed.status();
    out.initial_cluster[name] = *parsed;
  }
  auto client = ParseUrls(options.listen_client_urls);
  if (!client.ok()) return client.status();
  out.listen_client_urls = *client;
  out.advertise_client_urls = *client;
  if (!options.advertise_client_urls.empty()) {
    auto advertised = ParseUrls(options.advertise_client_urls);
    if (!advertised.ok()) return advertised.status();
    out.advertise_client_urls = *advertised;
  }
  out.initial_cluster_state =
      options.join_existing ? server::ClusterState::kExisting : server::ClusterState::kNew;
  out.initial_cluster_token = options.initial_cluster_token;
  out.heartbeat_interval = options.heartbeat_interval;
  out.election_timeout = options.election_timeout;
  out.snapshot_count = options.snapshot_count;
  out.quota_backend_bytes = options.quota_backend_bytes;
  if (options.watch_progress_notify_interval <= std::chrono::milliseconds(0)) {
    return absl::InvalidArgumentError("watch_progress_notify_interval must be positive");
  }
  if (out.ElectionTicks() < 1) {
    return absl::InvalidArgumentError("election_timeout must exceed heartbeat_interval");
  }
  return out;
}

}  // namespace

absl::StatusOr<std::shared_ptr<MemberCore>> MemberCore::Start(const MemberOptions& options) {
  absl::StatusOr<server::ServerOptions> server_options = ToServerOptions(options);
  if (!server_options.ok()) return server_options.status();
  std::shared_ptr<MemberCore> core(new MemberCore());  // private constructor
  absl::StatusOr<std::unique_ptr<server::Member>> member = server::Member::Start(*server_options);
  if (!member.ok()) return member.status();
  if (!(*member)->WaitUntilPublished()) {
    spdlog::warn("embedded member {:x}: no leader within two election timeouts; serving anyway",
                 (*member)->id());
  }
  core->progress_notify_interval_ = options.watch_progress_notify_interval;
  if (!server_options->listen_client_urls.empty()) {
    server::GrpcServerOptions grpc_options;
    grpc_options.progress_notify_interval = options.watch_progress_notify_interval;
    absl::StatusOr<std::unique_ptr<server::GrpcServer>> grpc =
        server::GrpcServer::Start(member->get(), *server_options, grpc_options);
    if (!grpc.ok()) return grpc.status();
    core->client_ports_ = (*grpc)->ports();
    core->grpc_ = std::move(*grpc);
  }
  spdlog::info("embedded member {:x} of cluster {:x} serving", (*member)->id(),
               (*member)->cluster_id());
  core->member_ = std::move(*member);
  return core;
}

MemberCore::~MemberCore() {
  Stop();
}

std::pair<server::Member*, std::shared_lock<std::shared_mutex>> MemberCore::Acquire() {
  std::shared_lock lock(mu_);
  server::Member* member = member_.get();
  return {member, std::move(lock)};
}

void MemberCore::Register(MemberUser* user) {
  std::lock_guard lock(users_mu_);
  users_.insert(user);
}

void MemberCore::Unregister(MemberUser* user) {
  std::lock_guard lock(users_mu_);
  users_.erase(user);
}

std::vector<int> MemberCore::client_ports() const {
  std::shared_lock lock(mu_);
  return client_ports_;
}

void MemberCore::Stop() {
  {
    std::shared_lock lock(mu_);
    if (!member_) return;
  }
  std::unique_ptr<server::GrpcServer> grpc;
  {
    std::unique_lock lock(mu_);
    grpc = std::move(grpc_);
  }
  if (grpc) grpc->Shutdown(std::chrono::seconds(1));
  grpc.reset();
  {
    std::lock_guard lock(users_mu_);
    for (MemberUser* user : users_)
      user->OnMemberStopping();
    users_.clear();
  }
  std::unique_ptr<server::Member> member;
  {
    std::unique_lock lock(mu_);
    member = std::move(member_);
  }
  if (member) {
    const uint64_t id = member->id();
    member.reset();  // pending calls complete with "server stopped"
    spdlog::info("embedded member {:x} stopped", id);
  }
}

}  // namespace raftkv::internal
