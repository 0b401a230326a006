#ifndef RAFTKV_TRANSPORT_MESSAGE_STREAM_H_
#define RAFTKV_TRANSPORT_MESSAGE_STREAM_H_

// Internal to raftkv/transport.

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "asio.hpp"
#include "raftkv/transport/backoff.h"
#include "raftkv/transport/context.h"
#include "raftkv/transport/frame.h"
#include "raftkv/transport/peer_address.h"
#include "raftpb/raft.pb.h"

namespace raftkv::transport {

// This member's outgoing message stream to one peer: dials (and redials with backoff), sends
// the handshake, then writes whatever is queued, all of it per write. It reads only to notice
// a close or a rejection. Everything but Enqueue runs on its strand.
class OutboundMessageStream : public std::enable_shared_from_this<OutboundMessageStream> {
 public:
  OutboundMessageStream(TransportContext& context, asio::io_context& io, uint64_t peer_id,
                        PeerAddress address);

  // Begins dialing.
  void Start();
  // Closes the connection for good and discards the queue. Asynchronous.
  void Stop();
  // Closes the current connection and dials address at once; the queue is kept.
  void UpdateAddress(PeerAddress address);

  enum class EnqueueResult { kQueued, kQueueFull, kTooLarge, kStopped };
  // Thread-safe; never waits for I/O. Anything but kQueued means the message was dropped.
  EnqueueResult Enqueue(raftpb::Message message);

 private:
  using Strand = asio::strand<asio::io_context::executor_type>;

  void Dial();
  void OnResolved(uint64_t generation, const asio::error_code& ec,
                  const asio::ip::tcp::resolver::results_type& endpoints);
  void OnConnected(uint64_t generation, const asio::error_code& ec);
  void OnHandshakeWritten(uint64_t generation, const asio::error_code& ec);
  void OnDialFailed(uint64_t generation, const std::string& reason);
  void ScheduleRedial();

  // Drains the queue into one buffer and writes it, unless a write is already in flight.
  void Flush();
  void OnWritten(uint64_t generation, const asio::error_code& ec, size_t bytes);
  void ReadNext();
  void OnRead(uint64_t generation, const asio::error_code& ec, size_t bytes);
  void ArmWriteDeadline(uint64_t generation);

  // An established connection failed: drop what it carried and what waits, report the peer
  // unreachable, redial.
  void OnBroken(uint64_t generation, const std::string& reason);
  // Closes the socket and invalidates every pending handler of the current connection.
  void CloseConnection();
  // Drops every queued message; returns how many.
  size_t DropQueued();

  TransportContext& context_;
  const uint64_t peer_id_;
  Strand strand_;

  // Shared with Enqueue callers.
  std::mutex queue_mu_;
  std::vector<raftpb::Message> queue_;
  size_t queued_bytes_ = 0;
  bool flush_pending_ = false;  // a Flush is posted or a write is in flight
  bool accepting_ = true;       // false once stopped

  // Owned by the strand.
  PeerAddress address_;
  asio::ip::tcp::resolver resolver_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer dial_timer_;   // connect timeout, then redial delay
  asio::steady_timer write_timer_;  // deadline of the write in flight
  Backoff backoff_;
  uint64_t generation_ = 0;  // bumped per connection attempt; stale handlers compare it
  bool stopped_ = false;
  bool connected_ = false;  // handshake written; messages may flow
  bool writing_ = false;
  std::chrono::steady_clock::time_point connected_at_;
  std::vector<raftpb::Message> in_flight_;
  std::string write_buffer_;
  std::array<char, 4096> read_buffer_;
  FrameDecoder decoder_;
};

}  // namespace raftkv::transport

#endif  // RAFTKV_TRANSPORT_MESSAGE_STREAM_H_
