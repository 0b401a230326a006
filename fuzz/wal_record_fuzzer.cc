// The WAL record decoder over arbitrary bytes: decoding must never read outside the buffer,
// must always make progress, and every record it accepts must decode its payload safely.
// Inputs starting with 'R' are framed first (valid checksums), so the payload parsers past
// the CRC check get fuzzed too, and the frame must round-trip.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "raftkv/wal/record.h"
#include "raftkv/wal/segment.h"
#include "raftpb/raft.pb.h"

namespace {

using raftkv::wal::DecodedRecord;
using raftkv::wal::DecodeOutcome;
using raftkv::wal::RecordType;

void ParsePayload(const DecodedRecord& record) {
  const auto size = static_cast<int>(record.payload.size());
  switch (record.type) {
    case RecordType::kSegmentHeader:
      (void)raftkv::wal::DecodeSegmentHeader(record.payload);
      break;
    case RecordType::kEntry: {
      raftpb::Entry entry;
      (void)entry.ParseFromArray(record.payload.data(), size);
      break;
    }
    case RecordType::kHardState: {
      raftpb::HardState hard_state;
      (void)hard_state.ParseFromArray(record.payload.data(), size);
      break;
    }
    case RecordType::kSnapshotMarker: {
      raftpb::SnapshotMetadata marker;
      (void)marker.ParseFromArray(record.payload.data(), size);
      break;
    }
    case RecordType::kInvalid:
      std::abort();  // the decoder must never return an invalid type as a record
  }
}

// Decodes every record from offset 0 as recovery does.
void DecodeAll(absl::string_view data) {
  size_t offset = 0;
  while (true) {
    DecodedRecord record;
    std::string why;
    DecodeOutcome outcome = raftkv::wal::DecodeRecordAt(data, offset, &record, &why);
    if (outcome == DecodeOutcome::kBad && why.empty()) std::abort();  // damage must be explained
    if (outcome != DecodeOutcome::kRecord) return;
    if (record.framed_size == 0 || record.payload.data() < data.data() ||
        record.payload.data() + record.payload.size() > data.data() + data.size()) {
      std::abort();
    }
    ParsePayload(record);
    offset += record.framed_size;
  }
}

// Frames payload with the type and flags the input names, then decodes it back.
void RoundTrip(absl::string_view input) {
  if (input.size() < 2) return;
  auto type = static_cast<RecordType>(1 + static_cast<uint8_t>(input[0]) % 4);
  auto flags = static_cast<uint8_t>(input[1] & raftkv::wal::kFlagBatchStart);
  absl::string_view payload = input.substr(2);
  std::string framed;
  raftkv::wal::AppendRecord(&framed, type, flags, payload);
  if (framed.size() % raftkv::wal::kRecordAlignment != 0) std::abort();
  DecodedRecord record;
  std::string why;
  if (raftkv::wal::DecodeRecordAt(framed, 0, &record, &why) != DecodeOutcome::kRecord ||
      record.type != type || record.flags != flags || record.payload != payload ||
      record.framed_size != framed.size()) {
    std::abort();
  }
  ParsePayload(record);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  if (!input.empty() && input[0] == 'R') {
    RoundTrip(input.substr(1));
  } else {
    DecodeAll(input);
  }
  return 0;
}
