#include "raftkv/transport/transport.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "asio.hpp"
#include "raftkv/transport/context.h"
#include "raftkv/transport/fault_injector.h"
#include "raftkv/transport/inbound.h"
#include "raftkv/transport/message_stream.h"
#include "raftkv/transport/peer_address.h"
#include "raftkv/transport/snapshot_sender.h"

namespace raftkv::transport {

class PeerTransport::Impl {
 public:
  Impl(TransportOptions options, TransportHandler* handler)
      : context_(std::move(options), handler),
        io_context_(std::max(1, context_.options.io_threads)),
        work_guard_(asio::make_work_guard(io_context_)),
        acceptor_(asio::make_strand(io_context_)) {}

  absl::Status Start();
  void Stop();
  uint16_t listen_port() const { return listen_port_.load(std::memory_order_acquire); }
  absl::Status AddPeer(uint64_t id, std::string_view url);
  absl::Status RemovePeer(uint64_t id);
  void MarkRemoved(uint64_t id);
  absl::Status UpdatePeer(uint64_t id, std::string_view url);
  void Send(std::vector<raftpb::Message> messages);
  void SendSnapshot(raftpb::Message message, std::filesystem::path payload_dir);
  TransportMetrics metrics() const { return context_.metrics.Read(); }

 private:
  struct PeerLinks {
    std::shared_ptr<OutboundMessageStream> messages;
    std::shared_ptr<SnapshotSender> snapshots;
  };

  // Send past the fault injector (the injector itself delivers delayed messages here).
  void SendNow(std::vector<raftpb::Message> messages);

  absl::StatusOr<asio::ip::tcp::endpoint> ResolveListenAddress();
  void AcceptNext();
  void OnAccepted(const asio::error_code& ec, asio::ip::tcp::socket socket);
  PeerStanding StandingOf(uint64_t id) const;
  void LogDrop(uint64_t to, raftpb::MessageType type, LogThrottle::Event event,
               std::string_view why);

  // Declared first so that it outlives every connection, including those the io_context
  // destroys with its pending handlers.
  TransportContext context_;
  asio::io_context io_context_;
  asio::executor_work_guard<asio::io_context::executor_type> work_guard_;
  asio::ip::tcp::acceptor acceptor_;  // used on its own strand
  std::atomic<uint16_t> listen_port_{0};

  std::mutex lifecycle_mu_;
  bool started_ = false;
  bool stopped_ = false;
  std::vector<std::thread> io_threads_;

  mutable std::shared_mutex peers_mu_;
  absl::flat_hash_map<uint64_t, PeerLinks> peers_;
  absl::flat_hash_set<uint64_t> removed_;  // guarded by peers_mu_

  // Accepted connections, so that Stop can close them.
  std::mutex inbound_mu_;
  std::vector<std::weak_ptr<InboundConnection>> inbound_;

  std::unique_ptr<FaultInjector> faults_;  // only with TransportOptions::fault_file
};

absl::StatusOr<asio::ip::tcp::endpoint> PeerTransport::Impl::ResolveListenAddress() {
  auto address = ParsePeerAddress(context_.options.listen_address);
  if (!address.ok()) return address.status();
  asio::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(address->host, ec);
  if (!ec) return asio::ip::tcp::endpoint(ip, address->port);
  asio::ip::tcp::resolver resolver(io_context_);
  const auto results = resolver.resolve(address->host, std::to_string(address->port), ec);
  if (ec || results.empty()) {
    return absl::UnavailableError(absl::StrCat("listen address ", context_.options.listen_address,
                                               ": ", ec ? ec.message() : "no addresses"));
  }
  return results.begin()->endpoint();
}

absl::Status PeerTransport::Impl::Start() {
  std::lock_guard lock(lifecycle_mu_);
  if (started_ || stopped_) return absl::FailedPreconditionError("transport already started");
  auto endpoint = ResolveListenAddress();
  if (!endpoint.ok()) return endpoint.status();
  asio::error_code ec;
  auto fail = [&](std::string_view step) {
    asio::error_code ignored;
    acceptor_.close(ignored);
    return absl::UnavailableError(absl::StrCat("listen on ", context_.options.listen_address, ": ",
                                               std::string(step), ": ", ec.message()));
  };
  acceptor_.open(endpoint->protocol(), ec);
  if (ec) return fail("open");
  // Lets a restarted member take its port back while old connections linger in TIME_WAIT.
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("option");
  acceptor_.bind(*endpoint, ec);
  if (ec) return fail("bind");
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  const auto local = acceptor_.local_endpoint(ec);
  if (ec) return fail("local endpoint");
  listen_port_.store(local.port(), std::memory_order_release);
  started_ = true;
  if (!context_.options.fault_file.empty()) {
    faults_ = std::make_unique<FaultInjector>(
        context_.options.fault_file, context_.id(),
        [this](std::vector<raftpb::Message> due) { SendNow(std::move(due)); }, context_.logger);
    faults_->Start();
  }
  context_.logger->info("{:x} listening for peers on {}:{} (cluster {:x})", context_.id(),
                        local.address().to_string(), local.port(), context_.options.cluster_id);
  asio::post(acceptor_.get_executor(), [this] { AcceptNext(); });
  const int threads = std::max(1, context_.options.io_threads);
  for (int i = 0; i < threads; ++i)
    io_threads_.emplace_back([this] { io_context_.run(); });
  return absl::OkStatus();
}

void PeerTransport::Impl::Stop() {
  std::lock_guard lifecycle(lifecycle_mu_);
  if (stopped_) return;
  stopped_ = true;
  // First, so that no delayed message is delivered into a stopping transport.
  if (faults_) faults_->Stop();
  context_.stopping_flag.store(true, std::memory_order_release);
  asio::post(acceptor_.get_executor(), [this] {
    asio::error_code ignored;
    acceptor_.close(ignored);
  });
  {
    std::unique_lock lock(peers_mu_);
    for (auto& [id, links] : peers_) {
      links.messages->Stop();
      links.snapshots->Stop();
    }
    peers_.clear();
  }
  {
    // OnAccepted registers under this lock after checking stopping(), so every connection is
    // either closed here or never registered.
    std::lock_guard lock(inbound_mu_);
    for (const auto& weak : inbound_) {
      if (auto connection = weak.lock()) connection->Close();
    }
    inbound_.clear();
  }
  // With every socket closed and timer cancelled, run() returns once the aborted handlers ran.
  work_guard_.reset();
  for (std::thread& thread : io_threads_)
    thread.join();
  io_threads_.clear();
  if (started_) context_.logger->info("{:x} transport stopped", context_.id());
}

void PeerTransport::Impl::AcceptNext() {
  acceptor_.async_accept(asio::make_strand(io_context_),
                         [this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
                           OnAccepted(ec, std::move(socket));
                         });
}

void PeerTransport::Impl::OnAccepted(const asio::error_code& ec, asio::ip::tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Out of descriptors, typically: keep accepting, the condition may pass.
    context_.logger->warn("{:x} accept failed: {}", context_.id(), ec.message());
    return AcceptNext();
  }
  {
    std::lock_guard lock(inbound_mu_);
    if (context_.stopping()) return;  // the socket closes as it goes out of scope
    auto connection = std::make_shared<InboundConnection>(
        context_, std::move(socket), [this](uint64_t id) { return StandingOf(id); });
    std::erase_if(inbound_, [](const auto& weak) { return weak.expired(); });
    inbound_.push_back(connection);
    connection->Start();
  }
  AcceptNext();
}

PeerStanding PeerTransport::Impl::StandingOf(uint64_t id) const {
  std::shared_lock lock(peers_mu_);
  if (removed_.contains(id)) return PeerStanding::kRemoved;
  return peers_.contains(id) ? PeerStanding::kPeer : PeerStanding::kUnknown;
}

void PeerTransport::Impl::MarkRemoved(uint64_t id) {
  {
    std::unique_lock lock(peers_mu_);
    if (!removed_.insert(id).second) return;
  }
  (void)RemovePeer(id);  // NotFound when it had already been removed as a peer
  std::lock_guard lock(inbound_mu_);
  for (const auto& weak : inbound_) {
    if (auto connection = weak.lock()) connection->Expel(id);
  }
}

absl::Status PeerTransport::Impl::AddPeer(uint64_t id, std::string_view url) {
  auto address = ParsePeerAddress(url);
  if (!address.ok()) return address.status();
  if (id == 0 || id == context_.id()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot add member ", absl::Hex(id), " as a peer of itself"));
  }
  std::unique_lock lock(peers_mu_);
  if (context_.stopping()) return absl::FailedPreconditionError("transport stopped");
  if (peers_.contains(id)) {
    return absl::AlreadyExistsError(absl::StrCat("peer ", absl::Hex(id), " already added"));
  }
  if (removed_.contains(id)) {
    return absl::FailedPreconditionError(
        absl::StrCat("member ", absl::Hex(id), " was removed from the cluster"));
  }
  PeerLinks links{std::make_shared<OutboundMessageStream>(context_, io_context_, id, *address),
                  std::make_shared<SnapshotSender>(context_, io_context_, id, *address)};
  links.messages->Start();
  peers_.emplace(id, std::move(links));
  context_.logger->info("{:x} added peer {:x} at {}", context_.id(), id, ToString(*address));
  return absl::OkStatus();
}

absl::Status PeerTransport::Impl::RemovePeer(uint64_t id) {
  std::unique_lock lock(peers_mu_);
  auto it = peers_.find(id);
  if (it == peers_.end()) return absl::NotFoundError(absl::StrCat("no peer ", absl::Hex(id)));
  it->second.messages->Stop();
  it->second.snapshots->Stop();
  peers_.erase(it);
  context_.logger->info("{:x} removed peer {:x}", context_.id(), id);
  return absl::OkStatus();
}

absl::Status PeerTransport::Impl::UpdatePeer(uint64_t id, std::string_view url) {
  auto address = ParsePeerAddress(url);
  if (!address.ok()) return address.status();
  std::shared_lock lock(peers_mu_);
  auto it = peers_.find(id);
  if (it == peers_.end()) return absl::NotFoundError(absl::StrCat("no peer ", absl::Hex(id)));
  it->second.messages->UpdateAddress(*address);
  it->second.snapshots->UpdateAddress(*address);
  return absl::OkStatus();
}

void PeerTransport::Impl::Send(std::vector<raftpb::Message> messages) {
  if (faults_) messages = faults_->Filter(std::move(messages));
  if (!messages.empty()) SendNow(std::move(messages));
}

void PeerTransport::Impl::SendNow(std::vector<raftpb::Message> messages) {
  using Result = OutboundMessageStream::EnqueueResult;
  absl::InlinedVector<uint64_t, 4> unreachable;
  absl::InlinedVector<uint64_t, 1> failed_snapshots;
  {
    std::shared_lock lock(peers_mu_);
    for (raftpb::Message& message : messages) {
      message.set_cluster_id(context_.options.cluster_id);
      auto it = peers_.find(message.to());
      if (it == peers_.end()) {
        Count(context_.metrics.messages_dropped);
        if (!context_.stopping()) {
          LogDrop(message.to(), message.type(), LogThrottle::Event::kUnknownPeer, "unknown peer");
        }
        // Raft waits for the outcome of every snapshot it sends.
        if (message.type() == raftpb::MSG_SNAP) failed_snapshots.push_back(message.to());
        continue;
      }
      if (message.type() == raftpb::MSG_SNAP) {
        it->second.snapshots->Enqueue(std::move(message), {});
        continue;
      }
      const uint64_t to = message.to();
      const raftpb::MessageType type = message.type();
      const Result result = it->second.messages->Enqueue(std::move(message));
      if (result == Result::kQueued) continue;
      Count(context_.metrics.messages_dropped);
      LogDrop(to, type, LogThrottle::Event::kDropped,
              result == Result::kQueueFull  ? "send queue full"
              : result == Result::kTooLarge ? "larger than max_frame_bytes"
                                            : "peer stopped");
      if (std::find(unreachable.begin(), unreachable.end(), to) == unreachable.end()) {
        unreachable.push_back(to);
      }
    }
  }
  if (context_.stopping()) return;
  for (const uint64_t peer_id : unreachable)
    context_.handler->OnUnreachable(peer_id);
  for (const uint64_t peer_id : failed_snapshots) {
    Count(context_.metrics.snapshots_send_failed);
    context_.handler->OnSnapshotStatus(peer_id, /*failed=*/true);
  }
}

void PeerTransport::Impl::LogDrop(uint64_t to, raftpb::MessageType type, LogThrottle::Event event,
                                  std::string_view why) {
  // Later drops to the same peer within the interval are only counted.
  if (!context_.throttle.Allow(to, event)) return;
  context_.logger->warn("{:x} dropped {} to peer {:x}: {}", context_.id(),
                        raftpb::MessageType_Name(type), to, why);
}

void PeerTransport::Impl::SendSnapshot(raftpb::Message message, std::filesystem::path payload_dir) {
  message.set_cluster_id(context_.options.cluster_id);
  const uint64_t to = message.to();
  if (faults_ && faults_->BlocksSnapshotsTo(to)) {
    Count(context_.metrics.snapshots_send_failed);
    if (!context_.stopping()) context_.handler->OnSnapshotStatus(to, /*failed=*/true);
    return;
  }
  {
    std::shared_lock lock(peers_mu_);
    if (auto it = peers_.find(to); it != peers_.end()) {
      it->second.snapshots->Enqueue(std::move(message), std::move(payload_dir));
      return;
    }
  }
  Count(context_.metrics.snapshots_send_failed);
  if (context_.stopping()) return;
  context_.logger->warn("{:x} cannot send snapshot to unknown peer {:x}", context_.id(), to);
  context_.handler->OnSnapshotStatus(to, /*failed=*/true);
}

PeerTransport::PeerTransport(TransportOptions options, TransportHandler* handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

PeerTransport::~PeerTransport() {
  impl_->Stop();
}

absl::Status PeerTransport::Start() {
  return impl_->Start();
}
void PeerTransport::Stop() {
  impl_->Stop();
}
uint16_t PeerTransport::listen_port() const {
  return impl_->listen_port();
}
absl::Status PeerTransport::AddPeer(uint64_t id, std::string_view url) {
  return impl_->AddPeer(id, url);
}
absl::Status PeerTransport::RemovePeer(uint64_t id) {
  return impl_->RemovePeer(id);
}

void PeerTransport::MarkRemoved(uint64_t id) {
  impl_->MarkRemoved(id);
}
absl::Status PeerTransport::UpdatePeer(uint64_t id, std::string_view url) {
  return impl_->UpdatePeer(id, url);
}
void PeerTransport::Send(std::vector<raftpb::Message> messages) {
  impl_->Send(std::move(messages));
}
void PeerTransport::SendSnapshot(raftpb::Message message, std::filesystem::path payload_dir) {
  impl_->SendSnapshot(std::move(message), std::move(payload_dir));
}
TransportMetrics PeerTransport::metrics() const {
  return impl_->metrics();
}

}  // namespace raftkv::transport
