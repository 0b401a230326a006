#include "raftkv/transport/message_stream.h"

#include <utility>

namespace raftkv::transport {
namespace {

// A connection that lasted this long worked; the next redial starts from the shortest delay.
constexpr std::chrono::seconds kStableConnection{1};

}  // namespace

OutboundMessageStream::OutboundMessageStream(TransportContext& context, asio::io_context& io,
                                             uint64_t peer_id, PeerAddress address)
    : context_(context),
      peer_id_(peer_id),
      strand_(asio::make_strand(io)),
      address_(std::move(address)),
      resolver_(strand_),
      socket_(strand_),
      dial_timer_(strand_),
      write_timer_(strand_),
      backoff_(context.options.dial_backoff_initial, context.options.dial_backoff_max,
               context.id() ^ (peer_id * 0x9e3779b97f4a7c15ULL)),
      decoder_(context.options.max_frame_bytes) {}

void OutboundMessageStream::Start() {
  asio::post(strand_, [self = shared_from_this()] { self->Dial(); });
}

void OutboundMessageStream::Stop() {
  {
    std::lock_guard lock(queue_mu_);
    accepting_ = false;
  }
  asio::post(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->CloseConnection();
    self->dial_timer_.cancel();
    self->in_flight_.clear();
    self->DropQueued();
  });
}

void OutboundMessageStream::UpdateAddress(PeerAddress address) {
  asio::post(strand_, [self = shared_from_this(), address = std::move(address)]() mutable {
    if (self->stopped_) return;
    self->context_.logger->info("{:x} peer {:x} moved from {} to {}", self->context_.id(),
                                self->peer_id_, ToString(self->address_), ToString(address));
    self->address_ = std::move(address);
    // Messages already handed to the old socket are lost with it; the queue goes to the new one.
    Count(self->context_.metrics.messages_dropped, self->in_flight_.size());
    self->in_flight_.clear();
    self->CloseConnection();
    self->backoff_.Reset();
    self->Dial();
  });
}

OutboundMessageStream::EnqueueResult OutboundMessageStream::Enqueue(raftpb::Message message) {
  const size_t body_bytes = message.ByteSizeLong();
  // The receiver would cut the connection on it; better to lose just this message.
  if (body_bytes > context_.options.max_frame_bytes) return EnqueueResult::kTooLarge;
  const size_t bytes = body_bytes + kFrameHeaderBytes;
  bool post_flush = false;
  {
    std::lock_guard lock(queue_mu_);
    if (!accepting_) return EnqueueResult::kStopped;
    if (queue_.size() >= context_.options.max_queued_messages ||
        queued_bytes_ + bytes > context_.options.max_queued_bytes) {
      return EnqueueResult::kQueueFull;
    }
    queue_.push_back(std::move(message));
    queued_bytes_ += bytes;
    post_flush = !std::exchange(flush_pending_, true);
  }
  if (post_flush) asio::post(strand_, [self = shared_from_this()] { self->Flush(); });
  return EnqueueResult::kQueued;
}

void OutboundMessageStream::Dial() {
  if (stopped_) return;
  const uint64_t generation = ++generation_;
  dial_timer_.expires_after(context_.options.dial_timeout);
  dial_timer_.async_wait([self = shared_from_this(), generation](const asio::error_code& ec) {
    if (ec || generation != self->generation_ || self->connected_) return;
    // Aborts the resolve or connect in progress; its handler reports the failure.
    self->resolver_.cancel();
    asio::error_code ignored;
    self->socket_.close(ignored);
  });
  resolver_.async_resolve(
      address_.host, std::to_string(address_.port),
      [self = shared_from_this(), generation](
          const asio::error_code& ec, const asio::ip::tcp::resolver::results_type& endpoints) {
        self->OnResolved(generation, ec, endpoints);
      });
}

void OutboundMessageStream::OnResolved(uint64_t generation, const asio::error_code& ec,
                                       const asio::ip::tcp::resolver::results_type& endpoints) {
  if (generation != generation_) return;
  if (ec) return OnDialFailed(generation, "resolve: " + ec.message());
  asio::async_connect(socket_, endpoints,
                      [self = shared_from_this(), generation](const asio::error_code& ec,
                                                              const asio::ip::tcp::endpoint&) {
                        self->OnConnected(generation, ec);
                      });
}

void OutboundMessageStream::OnConnected(uint64_t generation, const asio::error_code& ec) {
  if (generation != generation_) return;
  if (ec) return OnDialFailed(generation, "connect: " + ec.message());
  asio::error_code ignored;
  // Heartbeats must not wait for Nagle; batching is done here, per write.
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  socket_.set_option(asio::socket_base::keep_alive(true), ignored);
  write_buffer_.clear();
  AppendFrame(FrameKind::kHandshake,
              EncodeHandshake({.stream = StreamKind::kMessages,
                               .cluster_id = context_.options.cluster_id,
                               .sender_id = context_.id(),
                               .receiver_id = peer_id_}),
              &write_buffer_);
  writing_ = true;
  asio::async_write(socket_, asio::buffer(write_buffer_),
                    [self = shared_from_this(), generation](const asio::error_code& ec, size_t) {
                      self->OnHandshakeWritten(generation, ec);
                    });
}

void OutboundMessageStream::OnHandshakeWritten(uint64_t generation, const asio::error_code& ec) {
  if (generation != generation_) return;
  writing_ = false;
  if (ec) return OnDialFailed(generation, "handshake: " + ec.message());
  dial_timer_.cancel();
  connected_ = true;
  connected_at_ = std::chrono::steady_clock::now();
  decoder_ = FrameDecoder(context_.options.max_frame_bytes);
  context_.logger->info("{:x} message stream to peer {:x} at {} established", context_.id(),
                        peer_id_, ToString(address_));
  ReadNext();
  Flush();
}

void OutboundMessageStream::OnDialFailed(uint64_t generation, const std::string& reason) {
  if (generation != generation_) return;
  CloseConnection();
  Count(context_.metrics.dial_failures);
  if (context_.throttle.Allow(peer_id_, LogThrottle::Event::kDialFailed)) {
    context_.logger->warn("{:x} cannot reach peer {:x} at {}: {}", context_.id(), peer_id_,
                          ToString(address_), reason);
  }
  // Messages queued for a peer that cannot be reached are stale by the next attempt; raft
  // learns it should probe instead of streaming.
  const size_t dropped = DropQueued();
  if (dropped > 0) {
    Count(context_.metrics.messages_dropped, dropped);
    if (!context_.stopping()) context_.handler->OnUnreachable(peer_id_);
  }
  ScheduleRedial();
}

void OutboundMessageStream::ScheduleRedial() {
  if (stopped_) return;
  const uint64_t generation = generation_;
  dial_timer_.expires_after(backoff_.Next());
  dial_timer_.async_wait([self = shared_from_this(), generation](const asio::error_code& ec) {
    if (ec || generation != self->generation_) return;
    self->Dial();
  });
}

void OutboundMessageStream::Flush() {
  if (!connected_) {
    // Nothing to write to yet: the next established connection flushes.
    std::lock_guard lock(queue_mu_);
    flush_pending_ = false;
    return;
  }
  if (writing_) return;  // OnWritten flushes again
  {
    std::lock_guard lock(queue_mu_);
    if (queue_.empty()) {
      flush_pending_ = false;
      return;
    }
    in_flight_.swap(queue_);
    queued_bytes_ = 0;
    flush_pending_ = true;
  }
  write_buffer_.clear();
  for (const raftpb::Message& message : in_flight_)
    AppendMessageFrame(message, &write_buffer_);
  writing_ = true;
  const uint64_t generation = generation_;
  ArmWriteDeadline(generation);
  asio::async_write(
      socket_, asio::buffer(write_buffer_),
      [self = shared_from_this(), generation](const asio::error_code& ec, size_t bytes) {
        self->OnWritten(generation, ec, bytes);
      });
}

void OutboundMessageStream::ArmWriteDeadline(uint64_t generation) {
  write_timer_.expires_after(context_.options.write_timeout);
  write_timer_.async_wait([self = shared_from_this(), generation](const asio::error_code& ec) {
    if (ec || generation != self->generation_ || !self->writing_) return;
    self->OnBroken(generation, "write timed out");
  });
}

void OutboundMessageStream::OnWritten(uint64_t generation, const asio::error_code& ec,
                                      size_t bytes) {
  if (generation != generation_) return;
  write_timer_.cancel();
  writing_ = false;
  if (ec) return OnBroken(generation, "write: " + ec.message());
  Count(context_.metrics.messages_sent, in_flight_.size());
  Count(context_.metrics.bytes_sent, bytes);
  in_flight_.clear();
  Flush();
}

void OutboundMessageStream::ReadNext() {
  const uint64_t generation = generation_;
  socket_.async_read_some(
      asio::buffer(read_buffer_),
      [self = shared_from_this(), generation](const asio::error_code& ec, size_t bytes) {
        self->OnRead(generation, ec, bytes);
      });
}

void OutboundMessageStream::OnRead(uint64_t generation, const asio::error_code& ec, size_t bytes) {
  if (generation != generation_) return;
  if (ec) {
    return OnBroken(generation, ec == asio::error::eof ? "closed by peer" : ec.message());
  }
  decoder_.Append(std::string_view(read_buffer_.data(), bytes));
  auto frame = decoder_.Next();
  if (!frame.ok()) {
    Count(context_.metrics.protocol_errors);
    return OnBroken(generation, std::string(frame.status().message()));
  }
  if (!frame->has_value()) return ReadNext();
  if ((*frame)->kind == FrameKind::kReject) {
    if (context_.throttle.Allow(peer_id_, LogThrottle::Event::kRejectedByPeer)) {
      context_.logger->error("{:x} peer {:x} at {} refused our message stream: {}", context_.id(),
                             peer_id_, ToString(address_), (*frame)->body);
    }
    return OnBroken(generation, "rejected by peer");
  }
  if ((*frame)->kind == FrameKind::kRemoved) {
    if (context_.throttle.Allow(peer_id_, LogThrottle::Event::kRejectedByPeer)) {
      context_.logger->error("{:x} peer {:x} at {} says: {}", context_.id(), peer_id_,
                             ToString(address_), (*frame)->body);
    }
    if (!context_.stopping()) context_.handler->OnRemovedFromCluster(peer_id_);
    return OnBroken(generation, "this member was removed from the cluster");
  }
  Count(context_.metrics.protocol_errors);
  OnBroken(generation,
           std::string("unexpected frame from listener: ") + FrameKindName((*frame)->kind));
}

void OutboundMessageStream::OnBroken(uint64_t generation, const std::string& reason) {
  if (generation != generation_) return;
  const bool was_stable =
      connected_ && std::chrono::steady_clock::now() - connected_at_ >= kStableConnection;
  CloseConnection();
  Count(context_.metrics.connections_broken);
  if (context_.throttle.Allow(peer_id_, LogThrottle::Event::kBroken)) {
    context_.logger->warn("{:x} message stream to peer {:x} at {} broke: {}", context_.id(),
                          peer_id_, ToString(address_), reason);
  }
  const size_t dropped = in_flight_.size() + DropQueued();
  in_flight_.clear();
  Count(context_.metrics.messages_dropped, dropped);
  if (!context_.stopping()) context_.handler->OnUnreachable(peer_id_);
  if (was_stable) backoff_.Reset();
  ScheduleRedial();
}

void OutboundMessageStream::CloseConnection() {
  ++generation_;
  connected_ = false;
  writing_ = false;
  resolver_.cancel();
  write_timer_.cancel();
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

size_t OutboundMessageStream::DropQueued() {
  std::lock_guard lock(queue_mu_);
  const size_t dropped = queue_.size();
  queue_.clear();
  queued_bytes_ = 0;
  return dropped;
}

}  // namespace raftkv::transport
