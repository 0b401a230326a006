#ifndef RAFTKV_TRANSPORT_INBOUND_H_
#define RAFTKV_TRANSPORT_INBOUND_H_

// Internal to raftkv/transport.

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "asio.hpp"
#include "raftkv/transport/context.h"
#include "raftkv/transport/frame.h"
#include "raftpb/raft.pb.h"

namespace raftkv::transport {

// What this member knows of a member id that dials it.
enum class PeerStanding {
  kPeer,     // a member of the cluster this member talks to
  kUnknown,  // not (yet) a peer: perhaps added to the cluster but not applied here yet
  kRemoved,  // removed from the cluster for good; told so, so that it stops
};

// A connection a peer dialed to this member. Reads the handshake (refusing another cluster, a
// different receiver or an unknown sender), then either delivers raft messages to the handler
// or receives one snapshot into a fresh directory under snapshot_dir. Runs on the strand that
// is the socket's executor.
class InboundConnection : public std::enable_shared_from_this<InboundConnection> {
 public:
  // standing_of says whether a member id may connect (it is called on this strand).
  InboundConnection(TransportContext& context, asio::ip::tcp::socket socket,
                    std::function<PeerStanding(uint64_t)> standing_of);
  // Deletes a snapshot directory that was not handed to the host.
  ~InboundConnection();

  void Start();
  // Thread-safe; asynchronous.
  void Close();
  // Thread-safe; asynchronous. Ends a message stream from member_id, telling it that it was
  // removed from the cluster.
  void Expel(uint64_t member_id);

 private:
  enum class State { kAwaitingHandshake, kMessages, kSnapshot, kClosing };

  void ReadNext();
  void OnRead(const asio::error_code& ec, size_t bytes);
  // Handles one frame; a non-OK status is a protocol error that ends the connection.
  absl::Status HandleFrame(const FrameView& frame);
  absl::Status HandleHandshake(std::string_view body);
  absl::Status HandleMessage(std::string_view body);
  // Whether a received message may be delivered; logs (throttled) when not.
  bool Admit(const raftpb::Message& message);

  // Snapshot receiving; a non-OK status fails the snapshot (and is sent to the sender).
  absl::Status HandleSnapshotFrame(const FrameView& frame);
  absl::Status BeginSnapshot();
  absl::Status BeginFile(std::string_view body);
  absl::Status WriteChunk(std::string_view body);
  absl::Status EndFile(std::string_view body);
  absl::Status CommitSnapshot(std::string_view body);
  void FailSnapshot(const absl::Status& status);
  void RemoveIncomingDir();
  void ArmDeadline(std::chrono::milliseconds timeout);

  // Sends a last frame, then closes.
  void CloseAfter(FrameKind kind, std::string body);
  void DiscardUntilClosed();
  void CloseNow();

  TransportContext& context_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer deadline_timer_;  // handshake, then snapshot inactivity
  std::function<PeerStanding(uint64_t)> standing_of_;
  State state_ = State::kAwaitingHandshake;
  uint64_t peer_id_ = 0;  // from the handshake
  std::string remote_;    // address, for logs
  std::array<char, 64 * 1024> read_buffer_;
  FrameDecoder decoder_;
  std::string write_buffer_;

  // The snapshot being received.
  std::filesystem::path incoming_dir_;
  std::vector<std::filesystem::path> created_dirs_;  // to fsync before handing over
  bool handed_over_ = false;
  int fd_ = -1;
  std::string file_name_;
  uint64_t file_size_ = 0;
  uint64_t file_received_ = 0;
  uint32_t file_crc_ = 0;
  size_t files_received_ = 0;
  uint64_t bytes_received_ = 0;
};

}  // namespace raftkv::transport

#endif  // RAFTKV_TRANSPORT_INBOUND_H_
