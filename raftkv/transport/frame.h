#ifndef RAFTKV_TRANSPORT_FRAME_H_
#define RAFTKV_TRANSPORT_FRAME_H_

// The peer wire format, as pure functions over bytes (no sockets), so that it can be unit-tested
// and fuzzed on its own.
//
// A connection is a sequence of frames:  [u32 body length, little-endian][u8 kind][body].
// The first frame a dialer sends is a handshake; what follows depends on the stream kind it
// names:
//   message stream:  dialer -> kRaftMessage*            listener -> kReject | kRemoved (then
//   closes) snapshot stream: dialer -> (kSnapshotFileBegin kSnapshotFileChunk* kSnapshotFileEnd)*
//                              kSnapshotCommit          listener -> kSnapshotAck | kReject

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "raftpb/raft.pb.h"

namespace raftkv::transport {

inline constexpr size_t kFrameHeaderBytes = 5;
inline constexpr uint32_t kHandshakeMagic = 0x54564b52;  // "RKVT" on the wire
inline constexpr uint16_t kProtocolVersion = 1;
// Longest file name (relative path) a snapshot may carry.
inline constexpr size_t kMaxSnapshotFileNameBytes = 1024;

enum class FrameKind : uint8_t {
  kHandshake = 1,
  kReject = 2,  // body: human-readable reason
  kRaftMessage = 3,
  kSnapshotFileBegin = 4,  // body: u64 size, then the file's relative path
  kSnapshotFileChunk = 5,  // body: the next bytes of the current file
  kSnapshotFileEnd = 6,    // body: u32 crc32c of the whole file
  kSnapshotCommit = 7,     // body: the MSG_SNAP raftpb::Message
  kSnapshotAck = 8,        // body: u8 accepted, then an error text when not accepted
  // The dialer was removed from the cluster for good (etcd's "removed member" answer): it
  // may have missed the entry that removed it, and this is how it learns to stop.
  kRemoved = 9,  // body: human-readable reason
};

const char* FrameKindName(FrameKind kind);

enum class StreamKind : uint8_t { kMessages = 1, kSnapshot = 2 };

// Who is talking to whom, sent first on every connection.
struct Handshake {
  StreamKind stream = StreamKind::kMessages;
  uint64_t cluster_id = 0;
  uint64_t sender_id = 0;
  uint64_t receiver_id = 0;
  bool operator==(const Handshake&) const = default;
};

// A frame inside a decoder's buffer; valid until the decoder is next appended to.
struct FrameView {
  FrameKind kind;
  std::string_view body;
};

// Appends one whole frame to *out.
void AppendFrame(FrameKind kind, std::string_view body, std::string* out);
// Appends message as a kRaftMessage frame, serialized in place (no intermediate copy).
void AppendMessageFrame(const raftpb::Message& message, std::string* out);
// Appends only the header of a frame whose body_bytes of body the caller appends next.
void AppendFrameHeader(FrameKind kind, size_t body_bytes, std::string* out);

std::string EncodeHandshake(const Handshake& handshake);
// Fails on a wrong magic, an unknown version or stream kind, or a body of the wrong size.
absl::StatusOr<Handshake> DecodeHandshake(std::string_view body);

absl::StatusOr<raftpb::Message> DecodeMessage(std::string_view body);

struct SnapshotFileBegin {
  uint64_t size = 0;
  std::string name;  // relative path inside the snapshot, '/'-separated
  bool operator==(const SnapshotFileBegin&) const = default;
};
std::string EncodeSnapshotFileBegin(const SnapshotFileBegin& begin);
// Fails on a short body or a name that is not a safe relative path (see IsSafeRelativePath).
absl::StatusOr<SnapshotFileBegin> DecodeSnapshotFileBegin(std::string_view body);

std::string EncodeSnapshotFileEnd(uint32_t crc32c);
absl::StatusOr<uint32_t> DecodeSnapshotFileEnd(std::string_view body);

// The receiver's verdict on a snapshot.
struct SnapshotAck {
  bool accepted = false;
  std::string error;  // why not, when not accepted
};
// An OK status means the receiver accepted the snapshot.
std::string EncodeSnapshotAck(const absl::Status& status);
absl::StatusOr<SnapshotAck> DecodeSnapshotAck(std::string_view body);

// Whether name can be created under a directory without escaping it: non-empty, not absolute,
// no empty, "." or ".." components, no NUL or backslash, at most kMaxSnapshotFileNameBytes.
bool IsSafeRelativePath(std::string_view name);

// Splits a byte stream into frames. Holds at most one partial frame plus what was appended;
// never reserves memory for a frame's declared length, and refuses a declared length above
// max_body_bytes as soon as the header arrives, so a peer cannot make it allocate more than
// it actually sent.
class FrameDecoder {
 public:
  explicit FrameDecoder(size_t max_body_bytes);

  // Adds received bytes. Invalidates FrameViews returned earlier.
  void Append(std::string_view bytes);
  // The next complete frame; std::nullopt when more bytes are needed. An error (oversized
  // length, unknown kind) is sticky: the stream is unusable and must be closed.
  absl::StatusOr<std::optional<FrameView>> Next();

  // Bytes appended but not yet returned as frames.
  size_t buffered_bytes() const { return buffer_.size() - consumed_; }

 private:
  size_t max_body_bytes_;
  std::string buffer_;
  size_t consumed_ = 0;  // prefix of buffer_ already returned as frames
  absl::Status error_;
};

}  // namespace raftkv::transport

#endif  // RAFTKV_TRANSPORT_FRAME_H_
