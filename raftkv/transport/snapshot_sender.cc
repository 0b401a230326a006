#include "raftkv/transport/snapshot_sender.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "raftkv/util/crc32c.h"

namespace raftkv::transport {

absl::StatusOr<std::vector<PayloadFile>> ListPayloadFiles(const std::filesystem::path& dir) {
  std::vector<PayloadFile> files;
  if (dir.empty()) return files;
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it(dir, ec);
  if (ec)
    return absl::NotFoundError(absl::StrCat("snapshot payload ", dir.string(), ": ", ec.message()));
  for (const std::filesystem::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file(ec)) continue;
    std::string name = it->path().lexically_relative(dir).generic_string();
    if (!IsSafeRelativePath(name)) {
      return absl::InvalidArgumentError(absl::StrCat("snapshot payload file name ", name));
    }
    files.push_back({it->path(), std::move(name)});
  }
  if (ec) return absl::InternalError(absl::StrCat("listing ", dir.string(), ": ", ec.message()));
  std::sort(files.begin(), files.end(),
            [](const PayloadFile& a, const PayloadFile& b) { return a.name < b.name; });
  return files;
}

size_t EffectiveChunkBytes(size_t configured_chunk_bytes, uint64_t bytes_per_second) {
  constexpr size_t kMinChunkBytes = 4096;
  size_t chunk = std::max(configured_chunk_bytes, kMinChunkBytes);
  if (bytes_per_second > 0) {
    chunk = std::min<uint64_t>(chunk, std::max<uint64_t>(kMinChunkBytes, bytes_per_second / 4));
  }
  return chunk;
}

SnapshotSender::SnapshotSender(TransportContext& context, asio::io_context& io, uint64_t peer_id,
                               PeerAddress address)
    : context_(context),
      peer_id_(peer_id),
      chunk_bytes_(EffectiveChunkBytes(context.options.snapshot_chunk_bytes,
                                       context.options.snapshot_bytes_per_second)),
      strand_(asio::make_strand(io)),
      address_(std::move(address)),
      resolver_(strand_),
      socket_(strand_),
      deadline_timer_(strand_),
      pacing_timer_(strand_),
      decoder_(context.options.max_frame_bytes) {}

SnapshotSender::~SnapshotSender() {
  CloseFile();
}

void SnapshotSender::Enqueue(raftpb::Message message, std::filesystem::path payload_dir) {
  asio::post(strand_, [self = shared_from_this(), message = std::move(message),
                       payload_dir = std::move(payload_dir)]() mutable {
    if (self->stopped_) return;
    self->jobs_.push_back({std::move(message), std::move(payload_dir)});
    self->StartNext();
  });
}

void SnapshotSender::UpdateAddress(PeerAddress address) {
  asio::post(strand_, [self = shared_from_this(), address = std::move(address)]() mutable {
    self->address_ = std::move(address);
  });
}

void SnapshotSender::Stop() {
  asio::post(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->jobs_.clear();
    if (self->current_) self->Finish(absl::CancelledError("transport stopped"));
  });
}

void SnapshotSender::StartNext() {
  if (stopped_ || current_ || jobs_.empty()) return;
  current_ = std::move(jobs_.front());
  jobs_.pop_front();
  ++generation_;
  started_at_ = std::chrono::steady_clock::now();
  next_file_ = 0;
  bytes_sent_ = 0;
  awaiting_ack_ = false;
  decoder_ = FrameDecoder(context_.options.max_frame_bytes);
  auto files = ListPayloadFiles(current_->payload_dir);
  if (!files.ok()) return Finish(files.status());
  files_ = *std::move(files);
  const uint64_t generation = generation_;
  ArmDeadline(context_.options.dial_timeout);
  resolver_.async_resolve(
      address_.host, std::to_string(address_.port),
      [self = shared_from_this(), generation](
          const asio::error_code& ec, const asio::ip::tcp::resolver::results_type& endpoints) {
        self->OnResolved(generation, ec, endpoints);
      });
}

void SnapshotSender::OnResolved(uint64_t generation, const asio::error_code& ec,
                                const asio::ip::tcp::resolver::results_type& endpoints) {
  if (generation != generation_) return;
  if (ec) return Finish(absl::UnavailableError("resolve: " + ec.message()));
  asio::async_connect(socket_, endpoints,
                      [self = shared_from_this(), generation](const asio::error_code& ec,
                                                              const asio::ip::tcp::endpoint&) {
                        self->OnConnected(generation, ec);
                      });
}

void SnapshotSender::OnConnected(uint64_t generation, const asio::error_code& ec) {
  if (generation != generation_) return;
  if (ec) return Finish(absl::UnavailableError("connect: " + ec.message()));
  bucket_.emplace(context_.options.snapshot_bytes_per_second, chunk_bytes_,
                  std::chrono::steady_clock::now());
  ReadNext();
  write_buffer_.clear();
  AppendFrame(FrameKind::kHandshake,
              EncodeHandshake({.stream = StreamKind::kSnapshot,
                               .cluster_id = context_.options.cluster_id,
                               .sender_id = context_.id(),
                               .receiver_id = peer_id_}),
              &write_buffer_);
  Write(&SnapshotSender::SendNextFile);
}

void SnapshotSender::SendNextFile() {
  CloseFile();
  if (next_file_ == files_.size()) return SendCommit();
  const PayloadFile& file = files_[next_file_++];
  fd_ = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat info {};
  if (fd_ < 0 || ::fstat(fd_, &info) != 0) {
    return Finish(
        absl::InternalError(absl::StrCat("open ", file.path.string(), ": ", std::strerror(errno))));
  }
  file_size_ = static_cast<uint64_t>(info.st_size);
  file_sent_ = 0;
  file_crc_ = 0;
  write_buffer_.clear();
  AppendFrame(FrameKind::kSnapshotFileBegin,
              EncodeSnapshotFileBegin({.size = file_size_, .name = file.name}), &write_buffer_);
  Write(&SnapshotSender::SendNextChunk);
}

void SnapshotSender::SendNextChunk() {
  write_buffer_.clear();
  if (file_sent_ == file_size_) {
    AppendFrame(FrameKind::kSnapshotFileEnd, EncodeSnapshotFileEnd(file_crc_), &write_buffer_);
    return Write(&SnapshotSender::SendNextFile);
  }
  const size_t chunk =
      static_cast<size_t>(std::min<uint64_t>(chunk_bytes_, file_size_ - file_sent_));
  AppendFrameHeader(FrameKind::kSnapshotFileChunk, chunk, &write_buffer_);
  write_buffer_.resize(kFrameHeaderBytes + chunk);
  char* data = write_buffer_.data() + kFrameHeaderBytes;
  size_t filled = 0;
  while (filled < chunk) {
    const ssize_t n =
        ::pread(fd_, data + filled, chunk - filled, static_cast<off_t>(file_sent_ + filled));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return Finish(absl::InternalError(
          absl::StrCat("reading ", files_[next_file_ - 1].name, ": ",
                       n == 0 ? "file shrank while being sent" : std::strerror(errno))));
    }
    filled += static_cast<size_t>(n);
  }
  file_crc_ = util::Crc32cExtend(file_crc_, data, chunk);
  file_sent_ += chunk;
  bytes_sent_ += chunk;
  Count(context_.metrics.snapshot_bytes_sent, chunk);
  WritePaced(chunk, &SnapshotSender::SendNextChunk);
}

void SnapshotSender::SendCommit() {
  write_buffer_.clear();
  AppendFrame(FrameKind::kSnapshotCommit, current_->message.SerializeAsString(), &write_buffer_);
  Write(&SnapshotSender::AwaitAck);
}

void SnapshotSender::AwaitAck() {
  awaiting_ack_ = true;
  ArmDeadline(context_.options.snapshot_ack_timeout);
}

void SnapshotSender::WritePaced(size_t file_bytes, void (SnapshotSender::*next)()) {
  const auto delay = bucket_->Reserve(file_bytes, std::chrono::steady_clock::now());
  if (delay.count() <= 0) return Write(next);
  // Waiting for tokens is not the peer being slow: no deadline meanwhile.
  deadline_timer_.cancel();
  const uint64_t generation = generation_;
  pacing_timer_.expires_after(delay);
  pacing_timer_.async_wait(
      [self = shared_from_this(), generation, next](const asio::error_code& ec) {
        if (ec || generation != self->generation_) return;
        self->Write(next);
      });
}

void SnapshotSender::Write(void (SnapshotSender::*next)()) {
  const uint64_t generation = generation_;
  ArmDeadline(context_.options.write_timeout);
  asio::async_write(
      socket_, asio::buffer(write_buffer_),
      [self = shared_from_this(), generation, next](const asio::error_code& ec, size_t) {
        if (generation != self->generation_) return;
        if (ec) return self->Finish(absl::UnavailableError("write: " + ec.message()));
        (self.get()->*next)();
      });
}

void SnapshotSender::ArmDeadline(std::chrono::milliseconds timeout) {
  const uint64_t generation = generation_;
  deadline_timer_.expires_after(timeout);
  deadline_timer_.async_wait([self = shared_from_this(), generation](const asio::error_code& ec) {
    if (ec || generation != self->generation_) return;
    self->Finish(absl::DeadlineExceededError(self->awaiting_ack_ ? "no acknowledgement"
                                                                 : "peer stopped making progress"));
  });
}

void SnapshotSender::ReadNext() {
  const uint64_t generation = generation_;
  socket_.async_read_some(
      asio::buffer(read_buffer_),
      [self = shared_from_this(), generation](const asio::error_code& ec, size_t bytes) {
        self->OnRead(generation, ec, bytes);
      });
}

void SnapshotSender::OnRead(uint64_t generation, const asio::error_code& ec, size_t bytes) {
  if (generation != generation_) return;
  if (ec) {
    return Finish(absl::UnavailableError(ec == asio::error::eof ? "closed by receiver"
                                                                : "read: " + ec.message()));
  }
  decoder_.Append(std::string_view(read_buffer_.data(), bytes));
  auto frame = decoder_.Next();
  if (!frame.ok()) {
    Count(context_.metrics.protocol_errors);
    return Finish(frame.status());
  }
  if (!frame->has_value()) return ReadNext();
  if ((*frame)->kind == FrameKind::kReject || (*frame)->kind == FrameKind::kRemoved) {
    return Finish(absl::PermissionDeniedError(
        absl::StrCat("receiver refused: ", std::string((*frame)->body))));
  }
  if ((*frame)->kind != FrameKind::kSnapshotAck) {
    Count(context_.metrics.protocol_errors);
    return Finish(absl::DataLossError(
        absl::StrCat("unexpected frame from receiver: ", FrameKindName((*frame)->kind))));
  }
  auto ack = DecodeSnapshotAck((*frame)->body);
  if (!ack.ok()) return Finish(ack.status());
  if (!ack->accepted) {
    // Possibly early: a receiver failing mid-stream says so at once.
    return Finish(absl::AbortedError(absl::StrCat("receiver refused: ", ack->error)));
  }
  if (!awaiting_ack_) {
    return Finish(absl::DataLossError("acknowledged before the snapshot was complete"));
  }
  Finish(absl::OkStatus());
}

void SnapshotSender::Finish(const absl::Status& status) {
  ++generation_;
  CloseFile();
  resolver_.cancel();
  deadline_timer_.cancel();
  pacing_timer_.cancel();
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started_at_);
  const raftpb::Snapshot& snapshot = current_->message.snapshot();
  if (status.ok()) {
    Count(context_.metrics.snapshots_sent);
    context_.logger->info(
        "{:x} sent snapshot [index: {}, term: {}] to peer {:x}: {} files, {} bytes in {} ms",
        context_.id(), snapshot.metadata().index(), snapshot.metadata().term(), peer_id_,
        files_.size(), bytes_sent_, elapsed.count());
  } else {
    Count(context_.metrics.snapshots_send_failed);
    context_.logger->warn("{:x} failed to send snapshot [index: {}, term: {}] to peer {:x}: {}",
                          context_.id(), snapshot.metadata().index(), snapshot.metadata().term(),
                          peer_id_, status.ToString());
  }
  current_.reset();
  files_.clear();
  awaiting_ack_ = false;
  if (!stopped_ && !context_.stopping()) {
    context_.handler->OnSnapshotStatus(peer_id_, /*failed=*/!status.ok());
  }
  StartNext();
}

void SnapshotSender::CloseFile() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace raftkv::transport
