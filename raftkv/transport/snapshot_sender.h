#ifndef RAFTKV_TRANSPORT_SNAPSHOT_SENDER_H_
#define RAFTKV_TRANSPORT_SNAPSHOT_SENDER_H_

// Internal to raftkv/transport.

#include <array>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "asio.hpp"
#include "raftkv/transport/context.h"
#include "raftkv/transport/frame.h"
#include "raftkv/transport/peer_address.h"
#include "raftkv/transport/token_bucket.h"
#include "raftpb/raft.pb.h"

namespace raftkv::transport {

// A file of a snapshot payload.
struct PayloadFile {
  std::filesystem::path path;  // to open
  std::string name;            // relative to the payload directory, '/'-separated
};

// The regular files under dir, recursively, sorted by name; an empty dir means no files.
absl::StatusOr<std::vector<PayloadFile>> ListPayloadFiles(const std::filesystem::path& dir);

// The chunk size to send with: the configured one, made smaller under a low throughput cap so
// that no chunk takes more than a quarter second, keeping the stream steady (and well within
// the receiver's inactivity deadline).
size_t EffectiveChunkBytes(size_t configured_chunk_bytes, uint64_t bytes_per_second);

// Sends snapshots to one peer, one at a time, each on its own connection: handshake, each file
// as begin / chunks / crc, the raft message, then waits for the receiver's acknowledgement.
// Chunks are paced by a token bucket so the stream stays under its throughput cap; the next
// chunk is read only once the previous one is written, so TCP's flow control bounds memory.
// Runs on its own strand, apart from the message stream, so heartbeats never wait behind it.
class SnapshotSender : public std::enable_shared_from_this<SnapshotSender> {
 public:
  SnapshotSender(TransportContext& context, asio::io_context& io, uint64_t peer_id,
                 PeerAddress address);
  ~SnapshotSender();

  // Thread-safe. Queues a snapshot; its outcome goes to OnSnapshotStatus.
  void Enqueue(raftpb::Message message, std::filesystem::path payload_dir);
  // Used by snapshots started from now on.
  void UpdateAddress(PeerAddress address);
  // Abandons the current and queued snapshots without reporting them. Asynchronous.
  void Stop();

 private:
  using Strand = asio::strand<asio::io_context::executor_type>;
  struct Job {
    raftpb::Message message;
    std::filesystem::path payload_dir;
  };

  void StartNext();
  void OnResolved(uint64_t generation, const asio::error_code& ec,
                  const asio::ip::tcp::resolver::results_type& endpoints);
  void OnConnected(uint64_t generation, const asio::error_code& ec);
  void SendNextFile();
  void SendNextChunk();
  void SendCommit();
  void AwaitAck();
  // Writes write_buffer_ (after the token bucket allows), then continues with `next`.
  void WritePaced(size_t file_bytes, void (SnapshotSender::*next)());
  void Write(void (SnapshotSender::*next)());
  void ReadNext();
  void OnRead(uint64_t generation, const asio::error_code& ec, size_t bytes);
  void ArmDeadline(std::chrono::milliseconds timeout);
  // Ends the current snapshot: closes everything, reports, starts the next one.
  void Finish(const absl::Status& status);
  void CloseFile();

  TransportContext& context_;
  const uint64_t peer_id_;
  const size_t chunk_bytes_;
  Strand strand_;
  // Everything below is owned by the strand.
  PeerAddress address_;
  std::deque<Job> jobs_;
  bool stopped_ = false;
  // The snapshot in progress, if any.
  std::optional<Job> current_;
  uint64_t generation_ = 0;  // bumped per snapshot; stale handlers compare it
  asio::ip::tcp::resolver resolver_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer deadline_timer_;
  asio::steady_timer pacing_timer_;
  std::optional<TokenBucket> bucket_;
  std::vector<PayloadFile> files_;
  size_t next_file_ = 0;
  int fd_ = -1;
  uint64_t file_size_ = 0;
  uint64_t file_sent_ = 0;
  uint32_t file_crc_ = 0;
  uint64_t bytes_sent_ = 0;
  bool awaiting_ack_ = false;
  std::chrono::steady_clock::time_point started_at_;
  std::string write_buffer_;
  std::array<char, 1024> read_buffer_;
  FrameDecoder decoder_;
};

}  // namespace raftkv::transport

#endif  // RAFTKV_TRANSPORT_SNAPSHOT_SENDER_H_
