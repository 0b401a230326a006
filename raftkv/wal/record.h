#ifndef RAFTKV_WAL_RECORD_H_
#define RAFTKV_WAL_RECORD_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message_lite.h"

namespace raftkv::wal {

// The on-disk framing of every WAL record.
//
//   offset  size  field
//   0       4     payload length (little endian)
//   4       1     RecordType
//   5       1     flags (kFlagBatchStart; other bits zero)
//   6       2     reserved, zero
//   8       4     CRC-32C over bytes [0, 8) followed by the payload
//   12      n     payload
//   12+n    0..7  zero padding, so that every record starts at a multiple of 8
//
// Each record carries its own checksum (no chain): a record can be verified alone, which is
// what lets recovery scan past a damaged record to tell a torn tail from corruption. The CRC
// covers the length and type, so a flipped length is caught rather than followed.
//
// A header of twelve zero bytes is never a valid record (type 0 is invalid, and the CRC of
// eight zero bytes is not zero): it marks the end of the data in a preallocated segment.
//
// kFlagBatchStart marks the first record of each write (one Save, one segment header). Only
// the last write of the log can be torn, so a valid batch-start record after a damaged one
// proves the damage is not a torn tail.
enum class RecordType : uint8_t {
  kInvalid = 0,
  // Payload: SegmentHeader (see segment.h). Always the only record of the first write of a
  // segment, at offset 0.
  kSegmentHeader = 1,
  // Payload: raftpb::Entry.
  kEntry = 2,
  // Payload: raftpb::HardState.
  kHardState = 3,
  // Payload: raftpb::SnapshotMetadata. Entries up to its index are covered by a snapshot.
  kSnapshotMarker = 4,
};

inline constexpr uint8_t kFlagBatchStart = 0x01;
inline constexpr size_t kRecordHeaderSize = 12;
inline constexpr size_t kRecordAlignment = 8;
// Larger lengths are treated as damage rather than trusted.
inline constexpr uint32_t kMaxRecordPayload = 1u << 30;

inline constexpr size_t AlignRecordSize(size_t n) {
  return (n + kRecordAlignment - 1) & ~(kRecordAlignment - 1);
}

// Appends one framed record holding payload to out.
void AppendRecord(std::string* out, RecordType type, uint8_t flags, absl::string_view payload);

// Appends one framed record holding message, serialized in place (no intermediate copy).
void AppendMessageRecord(std::string* out, RecordType type, uint8_t flags,
                         const google::protobuf::MessageLite& message);

// A record decoded from a buffer; payload points into that buffer.
struct DecodedRecord {
  RecordType type = RecordType::kInvalid;
  uint8_t flags = 0;
  absl::string_view payload;
  // Bytes the record occupies including header and padding; the next record starts here.
  size_t framed_size = 0;
};

enum class DecodeOutcome {
  kRecord,  // a valid record
  kEnd,     // the end of the data: offset is at the end of the buffer, or the bytes there are
            // zeros up to a full header (or to the end of the buffer)
  kBad,     // incomplete (runs past the end of the buffer) or fails its checks
};

// Decodes the record at offset (a multiple of kRecordAlignment). On kBad, *why says what
// was wrong with it.
DecodeOutcome DecodeRecordAt(absl::string_view data, size_t offset, DecodedRecord* record,
                             std::string* why);

}  // namespace raftkv::wal

#endif  // RAFTKV_WAL_RECORD_H_
