#include "raftkv/transport/inbound.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "raftkv/util/crc32c.h"

namespace raftkv::transport {
namespace {

// etcd's words for the same answer (rafthttp's errMemberRemoved).
std::string RemovedReason(uint64_t member_id) {
  return absl::StrFormat("member %x: the member has been permanently removed from the cluster",
                         member_id);
}

absl::Status ErrnoError(std::string_view what, const std::filesystem::path& path) {
  return absl::InternalError(
      absl::StrCat(std::string(what), " ", path.string(), ": ", std::strerror(errno)));
}

absl::Status FsyncPath(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", path);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return ErrnoError("fsync", path);
  return absl::OkStatus();
}

}  // namespace

InboundConnection::InboundConnection(TransportContext& context, asio::ip::tcp::socket socket,
                                     std::function<PeerStanding(uint64_t)> standing_of)
    : context_(context),
      socket_(std::move(socket)),
      deadline_timer_(socket_.get_executor()),
      standing_of_(std::move(standing_of)),
      decoder_(context.options.max_frame_bytes) {}

InboundConnection::~InboundConnection() {
  if (fd_ >= 0) ::close(fd_);
  if (!handed_over_) RemoveIncomingDir();
}

void InboundConnection::Start() {
  asio::error_code ec;
  const auto endpoint = socket_.remote_endpoint(ec);
  remote_ = ec ? "?" : absl::StrCat(endpoint.address().to_string(), ":", endpoint.port());
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  ArmDeadline(context_.options.handshake_timeout);
  ReadNext();
}

void InboundConnection::Close() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->CloseNow(); });
}

void InboundConnection::Expel(uint64_t member_id) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), member_id] {
    if (self->state_ != State::kMessages || self->peer_id_ != member_id) return;
    self->context_.logger->warn("{:x} closing message stream from removed member {:x} ({})",
                                self->context_.id(), member_id, self->remote_);
    self->CloseAfter(FrameKind::kRemoved, RemovedReason(member_id));
  });
}

void InboundConnection::ArmDeadline(std::chrono::milliseconds timeout) {
  deadline_timer_.expires_after(timeout);
  deadline_timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (ec || self->state_ == State::kClosing) return;
    if (self->state_ == State::kSnapshot) {
      return self->FailSnapshot(absl::DeadlineExceededError("sender stopped making progress"));
    }
    self->context_.logger->warn("{:x} closing connection from {}: no handshake in time",
                                self->context_.id(), self->remote_);
    self->CloseNow();
  });
}

void InboundConnection::ReadNext() {
  socket_.async_read_some(asio::buffer(read_buffer_),
                          [self = shared_from_this()](const asio::error_code& ec, size_t bytes) {
                            self->OnRead(ec, bytes);
                          });
}

void InboundConnection::OnRead(const asio::error_code& ec, size_t bytes) {
  if (state_ == State::kClosing) return;
  if (ec) {
    if (state_ == State::kSnapshot) {
      return FailSnapshot(absl::UnavailableError("sender closed the stream: " + ec.message()));
    }
    if (state_ == State::kMessages) {
      context_.logger->info("{:x} message stream from peer {:x} ({}) closed: {}", context_.id(),
                            peer_id_, remote_, ec.message());
    }
    return CloseNow();
  }
  if (state_ == State::kMessages) Count(context_.metrics.bytes_received, bytes);
  if (state_ == State::kSnapshot) ArmDeadline(context_.options.write_timeout);
  decoder_.Append(std::string_view(read_buffer_.data(), bytes));
  while (state_ != State::kClosing) {
    auto frame = decoder_.Next();
    absl::Status status = frame.status();
    if (status.ok()) {
      if (!frame->has_value()) return ReadNext();
      status = HandleFrame(**frame);
    }
    if (status.ok()) continue;
    if (state_ == State::kSnapshot) return FailSnapshot(status);
    Count(context_.metrics.protocol_errors);
    if (context_.throttle.Allow(peer_id_, LogThrottle::Event::kProtocolError)) {
      context_.logger->error("{:x} closing connection from {} (peer {:x}): {}", context_.id(),
                             remote_, peer_id_, status.ToString());
    }
    return CloseNow();
  }
}

absl::Status InboundConnection::HandleFrame(const FrameView& frame) {
  switch (state_) {
    case State::kAwaitingHandshake:
      if (frame.kind != FrameKind::kHandshake) {
        return absl::DataLossError(
            absl::StrCat("expected a handshake, got a ", FrameKindName(frame.kind), " frame"));
      }
      return HandleHandshake(frame.body);
    case State::kMessages:
      if (frame.kind != FrameKind::kRaftMessage) {
        return absl::DataLossError(
            absl::StrCat("unexpected ", FrameKindName(frame.kind), " frame on a message stream"));
      }
      return HandleMessage(frame.body);
    case State::kSnapshot:
      return HandleSnapshotFrame(frame);
    case State::kClosing:
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status InboundConnection::HandleHandshake(std::string_view body) {
  auto handshake = DecodeHandshake(body);
  if (!handshake.ok()) return handshake.status();
  deadline_timer_.cancel();
  peer_id_ = handshake->sender_id;
  std::string refusal;
  FrameKind refusal_kind = FrameKind::kReject;
  const PeerStanding standing = standing_of_(handshake->sender_id);
  if (handshake->cluster_id != context_.options.cluster_id) {
    refusal = absl::StrFormat("cluster id mismatch: member %x is in cluster %x, not %x",
                              context_.id(), context_.options.cluster_id, handshake->cluster_id);
  } else if (handshake->receiver_id != context_.id()) {
    refusal = absl::StrFormat("wrong receiver: this is member %x, not %x", context_.id(),
                              handshake->receiver_id);
  } else if (standing == PeerStanding::kRemoved) {
    refusal = RemovedReason(handshake->sender_id);
    refusal_kind = FrameKind::kRemoved;
  } else if (standing == PeerStanding::kUnknown) {
    refusal = absl::StrFormat("member %x is not a peer of member %x", handshake->sender_id,
                              context_.id());
  }
  if (!refusal.empty()) {
    Count(context_.metrics.connections_rejected);
    if (context_.throttle.Allow(peer_id_, LogThrottle::Event::kRejectedHandshake)) {
      context_.logger->error("{:x} refused connection from {} claiming member {:x}: {}",
                             context_.id(), remote_, peer_id_, refusal);
    }
    CloseAfter(refusal_kind, std::move(refusal));
    return absl::OkStatus();
  }
  if (handshake->stream == StreamKind::kMessages) {
    state_ = State::kMessages;
    context_.logger->info("{:x} accepted message stream from peer {:x} ({})", context_.id(),
                          peer_id_, remote_);
    return absl::OkStatus();
  }
  state_ = State::kSnapshot;
  ArmDeadline(context_.options.write_timeout);
  return BeginSnapshot();
}

absl::Status InboundConnection::HandleMessage(std::string_view body) {
  auto message = DecodeMessage(body);
  if (!message.ok()) return message.status();
  if (!Admit(*message)) {
    Count(context_.metrics.messages_rejected);
    return absl::OkStatus();
  }
  Count(context_.metrics.messages_received);
  if (!context_.stopping()) context_.handler->OnMessage(*std::move(message));
  return absl::OkStatus();
}

namespace {

// Raft relays these from a follower to its leader unchanged: `from` still names the member
// that asked (the leader answers a read index to it directly), not the one relaying.
bool RelayedByFollowers(raftpb::MessageType type) {
  return type == raftpb::MSG_PROP || type == raftpb::MSG_READ_INDEX ||
         type == raftpb::MSG_TRANSFER_LEADER;
}

}  // namespace

bool InboundConnection::Admit(const raftpb::Message& message) {
  std::string_view problem;
  if (message.cluster_id() != context_.options.cluster_id) {
    problem = "cluster id";
  } else if (message.to() != context_.id()) {
    problem = "receiver";
  } else if (message.from() != peer_id_ && !(RelayedByFollowers(message.type()) &&
                                             standing_of_(message.from()) == PeerStanding::kPeer)) {
    problem = "sender";
  }
  if (problem.empty()) return true;
  if (context_.throttle.Allow(peer_id_, LogThrottle::Event::kRejectedMessage)) {
    context_.logger->error(
        "{:x} rejected {} from peer {:x}: wrong {} (cluster {:x}, from {:x}, to {:x})",
        context_.id(), raftpb::MessageType_Name(message.type()), peer_id_, problem,
        message.cluster_id(), message.from(), message.to());
  }
  return false;
}

absl::Status InboundConnection::HandleSnapshotFrame(const FrameView& frame) {
  switch (frame.kind) {
    case FrameKind::kSnapshotFileBegin:
      return BeginFile(frame.body);
    case FrameKind::kSnapshotFileChunk:
      return WriteChunk(frame.body);
    case FrameKind::kSnapshotFileEnd:
      return EndFile(frame.body);
    case FrameKind::kSnapshotCommit:
      return CommitSnapshot(frame.body);
    default:
      return absl::DataLossError(
          absl::StrCat("unexpected ", FrameKindName(frame.kind), " frame on a snapshot stream"));
  }
}

absl::Status InboundConnection::BeginSnapshot() {
  const std::filesystem::path& root = context_.options.snapshot_dir;
  if (root.empty()) return absl::FailedPreconditionError("this member has no snapshot_dir");
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) return absl::InternalError(absl::StrCat("create ", root.string(), ": ", ec.message()));
  // A name no other connection (or an earlier run's leftover) uses.
  for (;;) {
    const uint64_t sequence = context_.next_incoming_snapshot.fetch_add(1);
    std::filesystem::path dir =
        root / absl::StrFormat("incoming-%x-%d-%d", peer_id_, ::getpid(), sequence);
    if (std::filesystem::create_directory(dir, ec)) {
      incoming_dir_ = std::move(dir);
      break;
    }
    if (ec) return absl::InternalError(absl::StrCat("create ", dir.string(), ": ", ec.message()));
  }
  created_dirs_ = {incoming_dir_};
  context_.logger->info("{:x} receiving snapshot from peer {:x} ({}) into {}", context_.id(),
                        peer_id_, remote_, incoming_dir_.string());
  return absl::OkStatus();
}

absl::Status InboundConnection::BeginFile(std::string_view body) {
  if (fd_ >= 0) return absl::DataLossError("file begun before the previous one ended");
  auto begin = DecodeSnapshotFileBegin(body);
  if (!begin.ok()) return begin.status();
  // Create intermediate directories one by one, remembering them for the final fsync.
  std::filesystem::path path = incoming_dir_;
  const std::filesystem::path relative(begin->name);
  for (auto it = relative.begin(); std::next(it) != relative.end(); ++it) {
    path /= *it;
    std::error_code ec;
    if (std::filesystem::create_directory(path, ec)) created_dirs_.push_back(path);
    if (ec) return absl::InternalError(absl::StrCat("create ", path.string(), ": ", ec.message()));
  }
  path = incoming_dir_ / relative;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) return ErrnoError("create", path);
  file_name_ = begin->name;
  file_size_ = begin->size;
  file_received_ = 0;
  file_crc_ = 0;
  return absl::OkStatus();
}

absl::Status InboundConnection::WriteChunk(std::string_view body) {
  if (fd_ < 0) return absl::DataLossError("file chunk outside a file");
  if (body.size() > file_size_ - file_received_) {
    return absl::DataLossError(
        absl::StrCat(file_name_, ": more bytes than the declared ", file_size_));
  }
  size_t written = 0;
  while (written < body.size()) {
    const ssize_t n = ::write(fd_, body.data() + written, body.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("write", incoming_dir_ / file_name_);
    written += static_cast<size_t>(n);
  }
  file_crc_ = util::Crc32cExtend(file_crc_, body.data(), body.size());
  file_received_ += body.size();
  bytes_received_ += body.size();
  Count(context_.metrics.snapshot_bytes_received, body.size());
  return absl::OkStatus();
}

absl::Status InboundConnection::EndFile(std::string_view body) {
  if (fd_ < 0) return absl::DataLossError("file end outside a file");
  auto crc = DecodeSnapshotFileEnd(body);
  if (!crc.ok()) return crc.status();
  if (file_received_ != file_size_) {
    return absl::DataLossError(
        absl::StrCat(file_name_, ": ", file_received_, " bytes of ", file_size_));
  }
  if (*crc != file_crc_) {
    return absl::DataLossError(
        absl::StrFormat("%s: crc32c %08x, sender says %08x", file_name_, file_crc_, *crc));
  }
  const int rc = ::fsync(fd_);
  ::close(fd_);
  fd_ = -1;
  if (rc != 0) return ErrnoError("fsync", incoming_dir_ / file_name_);
  ++files_received_;
  return absl::OkStatus();
}

absl::Status InboundConnection::CommitSnapshot(std::string_view body) {
  if (fd_ >= 0) return absl::DataLossError("snapshot committed inside a file");
  auto message = DecodeMessage(body);
  if (!message.ok()) return message.status();
  if (message->type() != raftpb::MSG_SNAP) {
    return absl::DataLossError(
        absl::StrCat("snapshot stream carried a ", raftpb::MessageType_Name(message->type())));
  }
  if (!Admit(*message)) {
    Count(context_.metrics.messages_rejected);
    return absl::PermissionDeniedError("snapshot message for another cluster or member");
  }
  // The directory entries must be durable too before anyone relies on the files.
  for (auto it = created_dirs_.rbegin(); it != created_dirs_.rend(); ++it) {
    if (absl::Status synced = FsyncPath(*it); !synced.ok()) return synced;
  }
  if (absl::Status synced = FsyncPath(context_.options.snapshot_dir); !synced.ok()) return synced;
  if (context_.stopping()) return absl::CancelledError("transport stopping");
  const uint64_t index = message->snapshot().metadata().index();
  const uint64_t term = message->snapshot().metadata().term();
  if (absl::Status accepted = context_.handler->OnSnapshot(*std::move(message), incoming_dir_);
      !accepted.ok()) {
    return accepted;
  }
  handed_over_ = true;
  Count(context_.metrics.snapshots_received);
  context_.logger->info(
      "{:x} received snapshot [index: {}, term: {}] from peer {:x}: {} files, {} bytes",
      context_.id(), index, term, peer_id_, files_received_, bytes_received_);
  CloseAfter(FrameKind::kSnapshotAck, EncodeSnapshotAck(absl::OkStatus()));
  return absl::OkStatus();
}

void InboundConnection::FailSnapshot(const absl::Status& status) {
  Count(context_.metrics.snapshots_receive_failed);
  context_.logger->warn("{:x} failed to receive snapshot from peer {:x} ({}): {}", context_.id(),
                        peer_id_, remote_, status.ToString());
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  RemoveIncomingDir();
  CloseAfter(FrameKind::kSnapshotAck, EncodeSnapshotAck(status));
}

void InboundConnection::RemoveIncomingDir() {
  if (incoming_dir_.empty() || handed_over_) return;
  std::error_code ignored;
  std::filesystem::remove_all(incoming_dir_, ignored);
  incoming_dir_.clear();
}

void InboundConnection::CloseAfter(FrameKind kind, std::string body) {
  state_ = State::kClosing;
  write_buffer_.clear();
  AppendFrame(kind, body, &write_buffer_);
  // A peer that does not read its last frame does not hold the connection open.
  deadline_timer_.expires_after(context_.options.write_timeout);
  deadline_timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (!ec) self->CloseNow();
  });
  asio::async_write(socket_, asio::buffer(write_buffer_),
                    [self = shared_from_this()](const asio::error_code& ec, size_t) {
                      if (ec) return self->CloseNow();
                      // Closing with unread input would reset the connection and could destroy
                      // the frame just sent before the peer reads it: half-close, then discard
                      // what the peer still sends until it closes too.
                      asio::error_code ignored;
                      self->socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
                      self->DiscardUntilClosed();
                    });
}

void InboundConnection::DiscardUntilClosed() {
  socket_.async_read_some(asio::buffer(read_buffer_),
                          [self = shared_from_this()](const asio::error_code& ec, size_t) {
                            if (ec) return self->CloseNow();
                            self->DiscardUntilClosed();
                          });
}

void InboundConnection::CloseNow() {
  state_ = State::kClosing;
  deadline_timer_.cancel();
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  RemoveIncomingDir();
}

}  // namespace raftkv::transport
