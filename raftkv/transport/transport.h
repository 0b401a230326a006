#ifndef RAFTKV_TRANSPORT_TRANSPORT_H_
#define RAFTKV_TRANSPORT_TRANSPORT_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "raftpb/raft.pb.h"

namespace spdlog {
class logger;
}

namespace raftkv::transport {

struct TransportOptions {
  uint64_t member_id = 0;
  uint64_t cluster_id = 0;
  // "host:port" (or "http://host:port") to accept peers on; port 0 picks a free port, see
  // PeerTransport::listen_port().
  std::string listen_address = "127.0.0.1:0";
  int io_threads = 2;
  // Received snapshots are written under this directory (created if missing).
  std::filesystem::path snapshot_dir;

  // Per-peer bound on messages waiting for the socket; beyond it messages are dropped and the
  // peer reported unreachable. 4096 is what etcd buffers per stream.
  size_t max_queued_messages = 4096;
  size_t max_queued_bytes = 64 << 20;
  // Largest frame accepted or sent; a peer announcing more is cut off before anything is
  // allocated for it. Must exceed the largest raft message (max_size_per_msg plus one entry).
  size_t max_frame_bytes = 64 << 20;

  size_t snapshot_chunk_bytes = 1 << 20;
  // Throughput cap of each outgoing snapshot stream, so it cannot starve heartbeats on a
  // shared link; 0 means uncapped.
  uint64_t snapshot_bytes_per_second = 64 << 20;

  std::chrono::milliseconds dial_backoff_initial{50};
  std::chrono::milliseconds dial_backoff_max{2000};
  std::chrono::milliseconds dial_timeout{2000};
  // An accepted connection must identify itself within this time.
  std::chrono::milliseconds handshake_timeout{10000};
  // A message-stream write or a snapshot step (chunk write, final acknowledgement) that takes
  // longer than this means the peer is gone even if TCP has not noticed yet.
  std::chrono::milliseconds write_timeout{10000};
  std::chrono::milliseconds snapshot_ack_timeout{60000};
  // Repeated warnings about one peer (rejections, drops, failed dials) are logged at most once
  // per interval; metrics count every occurrence.
  std::chrono::milliseconds log_interval{5000};

  // Defaults to spdlog's default logger.
  std::shared_ptr<spdlog::logger> logger;

  // Tests only: rules that drop, delay or lose outgoing messages per peer (fault_injector.h).
  // Empty: no fault injection.
  std::filesystem::path fault_file;
};

// What the transport tells its host. Calls come from io threads (OnUnreachable also from the
// thread calling Send), concurrently for different peers; they must not block for long (they
// hold back that peer's stream) and may call back into PeerTransport. None are made once Stop()
// has begun.
class TransportHandler {
 public:
  virtual ~TransportHandler() = default;
  // A message for this member, already checked: right cluster, addressed to this member,
  // `from` the peer that connected (or, for a proposal, read index or leader transfer a
  // follower relays, another known peer). In order per sending peer.
  virtual void OnMessage(raftpb::Message message) = 0;
  // Messages to peer_id were dropped (queue full, connection broken, peer down): raft should
  // stop streaming to it and probe (RawNode::ReportUnreachable).
  virtual void OnUnreachable(uint64_t peer_id) = 0;
  // A snapshot given to Send or SendSnapshot reached peer_id and was accepted by its host
  // (failed = false), or could not be delivered (failed = true). RawNode::ReportSnapshot.
  virtual void OnSnapshotStatus(uint64_t peer_id, bool failed) = 0;
  // A snapshot arrived: `message` is the MSG_SNAP, `payload_dir` a fresh directory holding the
  // streamed files, each fsynced. On OK the host owns payload_dir (moves or deletes it); on an
  // error the transport deletes it and the sender learns the snapshot failed.
  virtual absl::Status OnSnapshot(raftpb::Message message, std::filesystem::path payload_dir) = 0;
  // peer_id answered that this member was removed from the cluster for good: the removal
  // committed without this member, which will never receive it from raft now, and should stop.
  virtual void OnRemovedFromCluster(uint64_t peer_id) = 0;
};

// Counters since construction, for logs and a later Prometheus export.
struct TransportMetrics {
  uint64_t messages_sent = 0;      // written to a socket
  uint64_t messages_received = 0;  // handed to OnMessage
  uint64_t messages_dropped = 0;   // queue full, connection broken, unknown peer, too large
  uint64_t messages_rejected = 0;  // received for another cluster or member
  uint64_t bytes_sent = 0;         // message streams, framing included
  uint64_t bytes_received = 0;
  uint64_t dial_failures = 0;
  uint64_t connections_broken = 0;    // established outgoing message streams that failed
  uint64_t connections_rejected = 0;  // incoming handshakes refused
  uint64_t protocol_errors = 0;       // malformed or oversized frames
  uint64_t snapshots_sent = 0;
  uint64_t snapshots_send_failed = 0;
  uint64_t snapshots_received = 0;
  uint64_t snapshots_receive_failed = 0;
  uint64_t snapshot_bytes_sent = 0;  // file bytes
  uint64_t snapshot_bytes_received = 0;
};

// Moves raft messages between the members of one cluster over TCP.
//
// Per peer it dials one long-lived message stream (many messages per write, pipelined; the
// listener side only reads) and, per snapshot, a separate snapshot stream (chunked, capped in
// throughput). Each member dials its peers for its own outbound traffic, as in etcd, so two
// members are joined by two message streams, one per direction. Connections that break are
// redialed with jittered exponential backoff. Nothing the host calls blocks on a socket: Send
// only enqueues, bounded per peer. Every connection starts with a handshake naming cluster,
// sender and receiver; every message is checked again on arrival.
//
// Thread-safe. The wire format is in frame.h.
class PeerTransport {
 public:
  // handler must outlive the transport.
  PeerTransport(TransportOptions options, TransportHandler* handler);
  // Stops, if running.
  ~PeerTransport();
  PeerTransport(const PeerTransport&) = delete;
  PeerTransport& operator=(const PeerTransport&) = delete;

  // Binds the listen address and starts the io threads. Fails (Unavailable, naming the address)
  // when the address cannot be bound, e.g. the port is in use. At most once per object.
  absl::Status Start();
  // Closes every socket, drops what is queued, deletes incomplete received snapshots, joins the
  // io threads. Idempotent; no handler call is made once it has begun.
  void Stop();
  // The bound port, once Start() succeeded (the real one when the address said port 0).
  uint16_t listen_port() const;

  // Starts dialing peer id at url ("host:port" or "http://host:port"). Only peers added here
  // may connect to this member. May be called before Start(); dialing then begins at Start().
  absl::Status AddPeer(uint64_t id, std::string_view url);
  // Forgets the peer: closes its streams, drops its queue; its snapshots get no status.
  absl::Status RemovePeer(uint64_t id);
  // Records that member id was removed from the cluster for good: its message streams are
  // ended, and its connections from now on refused, with an answer that tells it so (it stops
  // on it). Idempotent; the id can never be added again.
  void MarkRemoved(uint64_t id);
  // Redials the peer at a new url; queued messages are kept and sent there.
  absl::Status UpdatePeer(uint64_t id, std::string_view url);

  // Queues messages for their `to` peers, stamping this cluster's id on each; never blocks on
  // I/O. A message that does not fit its peer's queue is dropped and the peer reported through
  // OnUnreachable (once per call). MSG_SNAP messages go to the snapshot stream with no files,
  // as if given to SendSnapshot with an empty payload_dir.
  void Send(std::vector<raftpb::Message> messages);
  // Streams the regular files under payload_dir (recursively; empty path: none), then
  // `message` (a MSG_SNAP), to message.to() on a snapshot stream. Snapshots to one peer go one
  // at a time, in order. The outcome comes through OnSnapshotStatus. The files must not change
  // until then.
  void SendSnapshot(raftpb::Message message, std::filesystem::path payload_dir);

  TransportMetrics metrics() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace raftkv::transport

#endif  // RAFTKV_TRANSPORT_TRANSPORT_H_
