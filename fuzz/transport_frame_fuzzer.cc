// The peer wire decoder over an arbitrary byte stream, delivered in arbitrary pieces as TCP
// would: it must never read past what it was given, never buffer more than it was sent, and
// every frame body must decode safely; what decodes must encode back to the same bytes.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "raftkv/transport/frame.h"

namespace {

namespace transport = raftkv::transport;
using transport::FrameKind;

void CheckBody(const transport::FrameView& frame) {
  switch (frame.kind) {
    case FrameKind::kHandshake: {
      absl::StatusOr<transport::Handshake> handshake = transport::DecodeHandshake(frame.body);
      if (handshake.ok() && transport::EncodeHandshake(*handshake) != frame.body) {
        // The reserved byte is ignored on decode; everything else must round-trip.
        std::string again = transport::EncodeHandshake(*handshake);
        if (again.size() != frame.body.size() || again.substr(0, 7) != frame.body.substr(0, 7) ||
            again.substr(8) != frame.body.substr(8)) {
          std::abort();
        }
      }
      break;
    }
    case FrameKind::kRaftMessage:
    case FrameKind::kSnapshotCommit:
      (void)transport::DecodeMessage(frame.body);
      break;
    case FrameKind::kSnapshotFileBegin: {
      absl::StatusOr<transport::SnapshotFileBegin> begin =
          transport::DecodeSnapshotFileBegin(frame.body);
      if (begin.ok()) {
        if (!transport::IsSafeRelativePath(begin->name) ||
            transport::EncodeSnapshotFileBegin(*begin) != frame.body) {
          std::abort();
        }
        // What the receiver relies on: the name cannot leave the snapshot directory.
        if (begin->name == ".." || begin->name.starts_with("../") || begin->name.ends_with("/..") ||
            begin->name.find("/../") != std::string::npos || begin->name.starts_with("/")) {
          std::abort();
        }
      }
      break;
    }
    case FrameKind::kSnapshotFileEnd: {
      absl::StatusOr<uint32_t> crc = transport::DecodeSnapshotFileEnd(frame.body);
      if (crc.ok() && transport::EncodeSnapshotFileEnd(*crc) != frame.body) std::abort();
      break;
    }
    case FrameKind::kSnapshotAck:
      (void)transport::DecodeSnapshotAck(frame.body);
      break;
    case FrameKind::kReject:
    case FrameKind::kRemoved:
    case FrameKind::kSnapshotFileChunk:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  const size_t max_body_bytes = input.ConsumeIntegralInRange<size_t>(0, 4096);
  transport::FrameDecoder decoder(max_body_bytes);
  size_t sent = 0;
  size_t delivered = 0;
  bool failed = false;
  while (input.remaining_bytes() > 0 && !failed) {
    std::string piece = input.ConsumeRandomLengthString(512);
    decoder.Append(piece);
    sent += piece.size();
    while (true) {
      absl::StatusOr<std::optional<transport::FrameView>> frame = decoder.Next();
      if (!frame.ok()) {
        failed = true;
        // Errors are sticky.
        if (decoder.Next().ok()) std::abort();
        break;
      }
      if (!frame->has_value()) break;
      if ((*frame)->body.size() > max_body_bytes) std::abort();
      delivered += transport::kFrameHeaderBytes + (*frame)->body.size();
      CheckBody(**frame);
    }
    if (!failed && delivered + decoder.buffered_bytes() != sent) std::abort();
  }
  return 0;
}
