#include "raftkv/wal/record.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "raftkv/util/crc32c.h"

namespace raftkv::wal {
namespace {

void StoreLittleEndian32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

uint32_t LoadLittleEndian32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

bool IsKnownType(uint8_t type) {
  return type >= static_cast<uint8_t>(RecordType::kSegmentHeader) &&
         type <= static_cast<uint8_t>(RecordType::kSnapshotMarker);
}

// Reserves room for a record with a payload of payload_size bytes at the end of out, writes
// the header fields except the CRC, and returns the offset of the header.
size_t BeginRecord(std::string* out, RecordType type, uint8_t flags, size_t payload_size) {
  size_t start = out->size();
  out->resize(start + AlignRecordSize(kRecordHeaderSize + payload_size), '\0');
  char* header = out->data() + start;
  StoreLittleEndian32(header, static_cast<uint32_t>(payload_size));
  header[4] = static_cast<char>(type);
  header[5] = static_cast<char>(flags);
  return start;
}

void FinishRecord(std::string* out, size_t start, size_t payload_size) {
  char* header = out->data() + start;
  uint32_t crc = util::Crc32cExtend(0, header, 8);
  crc = util::Crc32cExtend(crc, header + kRecordHeaderSize, payload_size);
  StoreLittleEndian32(header + 8, crc);
}

}  // namespace

void AppendRecord(std::string* out, RecordType type, uint8_t flags, absl::string_view payload) {
  size_t start = BeginRecord(out, type, flags, payload.size());
  std::memcpy(out->data() + start + kRecordHeaderSize, payload.data(), payload.size());
  FinishRecord(out, start, payload.size());
}

void AppendMessageRecord(std::string* out, RecordType type, uint8_t flags,
                         const google::protobuf::MessageLite& message) {
  size_t payload_size = message.ByteSizeLong();
  size_t start = BeginRecord(out, type, flags, payload_size);
  auto* payload = reinterpret_cast<uint8_t*>(out->data() + start + kRecordHeaderSize);
  message.SerializeWithCachedSizesToArray(payload);
  FinishRecord(out, start, payload_size);
}

DecodeOutcome DecodeRecordAt(absl::string_view data, size_t offset, DecodedRecord* record,
                             std::string* why) {
  if (offset >= data.size()) return DecodeOutcome::kEnd;
  absl::string_view rest = data.substr(offset);
  absl::string_view header = rest.substr(0, kRecordHeaderSize);
  if (std::all_of(header.begin(), header.end(), [](char c) { return c == 0; })) {
    return DecodeOutcome::kEnd;
  }
  if (header.size() < kRecordHeaderSize) {
    *why = absl::StrCat("incomplete record header (", header.size(), " of ", kRecordHeaderSize,
                        " bytes before the end of the file)");
    return DecodeOutcome::kBad;
  }
  uint32_t length = LoadLittleEndian32(header.data());
  auto type = static_cast<uint8_t>(header[4]);
  if (!IsKnownType(type) || (header[5] & ~kFlagBatchStart) != 0 || header[6] != 0 ||
      header[7] != 0) {
    *why = absl::StrCat("invalid record header (type ", type, ")");
    return DecodeOutcome::kBad;
  }
  if (length > kMaxRecordPayload || kRecordHeaderSize + length > rest.size()) {
    *why = absl::StrCat("record of ", length, " bytes runs past the end of the file");
    return DecodeOutcome::kBad;
  }
  uint32_t stored_crc = LoadLittleEndian32(header.data() + 8);
  uint32_t crc = util::Crc32cExtend(0, header.data(), 8);
  crc = util::Crc32cExtend(crc, rest.data() + kRecordHeaderSize, length);
  if (crc != stored_crc) {
    *why = absl::StrCat("checksum mismatch (stored ", absl::Hex(stored_crc, absl::kZeroPad8),
                        ", computed ", absl::Hex(crc, absl::kZeroPad8), ")");
    return DecodeOutcome::kBad;
  }
  record->type = static_cast<RecordType>(type);
  record->flags = static_cast<uint8_t>(header[5]);
  record->payload = rest.substr(kRecordHeaderSize, length);
  record->framed_size = std::min(AlignRecordSize(kRecordHeaderSize + length), rest.size());
  return DecodeOutcome::kRecord;
}

}  // namespace raftkv::wal
