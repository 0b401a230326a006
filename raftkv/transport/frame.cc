#include "raftkv/transport/frame.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace raftkv::transport {
namespace {

constexpr size_t kHandshakeBodyBytes = 4 + 2 + 1 + 1 + 8 + 8 + 8;

void PutU16(uint16_t v, std::string* out) {
  for (int i = 0; i < 2; ++i)
    out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU32(uint32_t v, std::string* out) {
  for (int i = 0; i < 4; ++i)
    out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(uint64_t v, std::string* out) {
  for (int i = 0; i < 8; ++i)
    out->push_back(static_cast<char>(v >> (8 * i)));
}

// Reads little-endian integers from the front of a string_view, consuming them.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  template <typename T>
  bool Get(T* v) {
    if (data_.size() < sizeof(T)) return false;
    T result = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      result |= static_cast<T>(static_cast<uint8_t>(data_[i])) << (8 * i);
    }
    data_.remove_prefix(sizeof(T));
    *v = result;
    return true;
  }
  std::string_view rest() const { return data_; }

 private:
  std::string_view data_;
};

bool IsKnownKind(uint8_t kind) {
  return kind >= static_cast<uint8_t>(FrameKind::kHandshake) &&
         kind <= static_cast<uint8_t>(FrameKind::kRemoved);
}

}  // namespace

const char* FrameKindName(FrameKind kind) {
  switch (kind) {
    case FrameKind::kHandshake:
      return "handshake";
    case FrameKind::kReject:
      return "reject";
    case FrameKind::kRaftMessage:
      return "raft-message";
    case FrameKind::kSnapshotFileBegin:
      return "snapshot-file-begin";
    case FrameKind::kSnapshotFileChunk:
      return "snapshot-file-chunk";
    case FrameKind::kSnapshotFileEnd:
      return "snapshot-file-end";
    case FrameKind::kSnapshotCommit:
      return "snapshot-commit";
    case FrameKind::kSnapshotAck:
      return "snapshot-ack";
    case FrameKind::kRemoved:
      return "removed";
  }
  return "unknown";
}

void AppendFrameHeader(FrameKind kind, size_t body_bytes, std::string* out) {
  PutU32(static_cast<uint32_t>(body_bytes), out);
  out->push_back(static_cast<char>(kind));
}

void AppendFrame(FrameKind kind, std::string_view body, std::string* out) {
  AppendFrameHeader(kind, body.size(), out);
  out->append(body);
}

void AppendMessageFrame(const raftpb::Message& message, std::string* out) {
  const size_t body_bytes = message.ByteSizeLong();
  AppendFrameHeader(FrameKind::kRaftMessage, body_bytes, out);
  const size_t start = out->size();
  out->resize(start + body_bytes);
  message.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out->data() + start));
}

std::string EncodeHandshake(const Handshake& handshake) {
  std::string body;
  body.reserve(kHandshakeBodyBytes);
  PutU32(kHandshakeMagic, &body);
  PutU16(kProtocolVersion, &body);
  body.push_back(static_cast<char>(handshake.stream));
  body.push_back(0);  // reserved
  PutU64(handshake.cluster_id, &body);
  PutU64(handshake.sender_id, &body);
  PutU64(handshake.receiver_id, &body);
  return body;
}

absl::StatusOr<Handshake> DecodeHandshake(std::string_view body) {
  if (body.size() != kHandshakeBodyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("handshake of ", body.size(), " bytes, want ", kHandshakeBodyBytes));
  }
  Reader reader(body);
  uint32_t magic = 0;
  uint16_t version = 0;
  uint8_t stream = 0;
  uint8_t reserved = 0;
  Handshake handshake;
  reader.Get(&magic);
  reader.Get(&version);
  reader.Get(&stream);
  reader.Get(&reserved);
  reader.Get(&handshake.cluster_id);
  reader.Get(&handshake.sender_id);
  reader.Get(&handshake.receiver_id);
  if (magic != kHandshakeMagic) return absl::InvalidArgumentError("bad handshake magic");
  if (version != kProtocolVersion) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported protocol version ", version));
  }
  if (stream != static_cast<uint8_t>(StreamKind::kMessages) &&
      stream != static_cast<uint8_t>(StreamKind::kSnapshot)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown stream kind ", stream));
  }
  handshake.stream = static_cast<StreamKind>(stream);
  return handshake;
}

absl::StatusOr<raftpb::Message> DecodeMessage(std::string_view body) {
  raftpb::Message message;
  if (!message.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InvalidArgumentError("malformed raft message");
  }
  return message;
}

std::string EncodeSnapshotFileBegin(const SnapshotFileBegin& begin) {
  std::string body;
  PutU64(begin.size, &body);
  body.append(begin.name);
  return body;
}

absl::StatusOr<SnapshotFileBegin> DecodeSnapshotFileBegin(std::string_view body) {
  Reader reader(body);
  SnapshotFileBegin begin;
  if (!reader.Get(&begin.size)) return absl::InvalidArgumentError("short snapshot file header");
  begin.name = std::string(reader.rest());
  if (!IsSafeRelativePath(begin.name)) {
    return absl::InvalidArgumentError("unsafe snapshot file name");
  }
  return begin;
}

std::string EncodeSnapshotFileEnd(uint32_t crc32c) {
  std::string body;
  PutU32(crc32c, &body);
  return body;
}

absl::StatusOr<uint32_t> DecodeSnapshotFileEnd(std::string_view body) {
  Reader reader(body);
  uint32_t crc = 0;
  if (body.size() != 4 || !reader.Get(&crc)) {
    return absl::InvalidArgumentError("malformed snapshot file trailer");
  }
  return crc;
}

std::string EncodeSnapshotAck(const absl::Status& status) {
  std::string body;
  body.push_back(status.ok() ? 1 : 0);
  if (!status.ok()) body.append(status.message().data(), status.message().size());
  return body;
}

absl::StatusOr<SnapshotAck> DecodeSnapshotAck(std::string_view body) {
  if (body.empty() || static_cast<uint8_t>(body[0]) > 1) {
    return absl::InvalidArgumentError("malformed snapshot ack");
  }
  return SnapshotAck{.accepted = body[0] == 1, .error = std::string(body.substr(1))};
}

bool IsSafeRelativePath(std::string_view name) {
  if (name.empty() || name.size() > kMaxSnapshotFileNameBytes || name.front() == '/') {
    return false;
  }
  if (name.find('\0') != std::string_view::npos || name.find('\\') != std::string_view::npos) {
    return false;
  }
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    const std::string_view component = name.substr(start, end - start);
    if (component.empty() || component == "." || component == "..") return false;
    start = end + 1;
  }
  return true;
}

FrameDecoder::FrameDecoder(size_t max_body_bytes)
    : max_body_bytes_(std::min<size_t>(max_body_bytes, std::numeric_limits<uint32_t>::max())) {}

void FrameDecoder::Append(std::string_view bytes) {
  // Drop what was already handed out before growing, so the buffer holds at most one partial
  // frame plus the new bytes.
  if (consumed_ > 0) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  buffer_.append(bytes);
}

absl::StatusOr<std::optional<FrameView>> FrameDecoder::Next() {
  if (!error_.ok()) return error_;
  const std::string_view pending = std::string_view(buffer_).substr(consumed_);
  if (pending.size() < kFrameHeaderBytes) return std::nullopt;
  Reader reader(pending);
  uint32_t body_bytes = 0;
  uint8_t kind = 0;
  reader.Get(&body_bytes);
  reader.Get(&kind);
  if (!IsKnownKind(kind)) {
    error_ = absl::DataLossError(absl::StrCat("unknown frame kind ", kind));
    return error_;
  }
  if (body_bytes > max_body_bytes_) {
    error_ = absl::ResourceExhaustedError(
        absl::StrCat("frame of ", body_bytes, " bytes exceeds the limit of ", max_body_bytes_));
    return error_;
  }
  if (pending.size() < kFrameHeaderBytes + body_bytes) return std::nullopt;
  consumed_ += kFrameHeaderBytes + body_bytes;
  return FrameView{static_cast<FrameKind>(kind), pending.substr(kFrameHeaderBytes, body_bytes)};
}

}  // namespace raftkv::transport
