// WAL recovery over segment files built from the input: valid segment headers and framed
// records (so the fuzzer gets past the checksums), then damage (a flipped byte, a cut tail,
// stray bytes). Recovery must either refuse with DataLoss naming a file, or return a log
// whose entries are contiguous and ascending.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "fuzz_temp_dir.h"
#include "raftkv/wal/record.h"
#include "raftkv/wal/recovery.h"
#include "raftkv/wal/segment.h"
#include "spdlog/sinks/null_sink.h"
#include "spdlog/spdlog.h"

namespace {

using raftkv::wal::RecordType;

raftpb::Entry MakeEntry(FuzzedDataProvider& input, uint64_t* next_index) {
  raftpb::Entry entry;
  // Mostly the next index, sometimes a rewrite of an earlier suffix or a gap.
  switch (input.ConsumeIntegralInRange<int>(0, 7)) {
    case 0:
      *next_index = input.ConsumeIntegralInRange<uint64_t>(0, *next_index + 4);
      break;
    default:
      break;
  }
  entry.set_index((*next_index)++);
  entry.set_term(input.ConsumeIntegralInRange<uint64_t>(0, 5));
  entry.set_data(input.ConsumeRandomLengthString(64));
  return entry;
}

raftpb::SnapshotMetadata MakeMarker(FuzzedDataProvider& input, uint64_t next_index) {
  raftpb::SnapshotMetadata marker;
  marker.set_index(input.ConsumeIntegralInRange<uint64_t>(0, next_index + 4));
  marker.set_term(input.ConsumeIntegralInRange<uint64_t>(0, 5));
  return marker;
}

// One record, usually well-formed, sometimes raw bytes of the chosen type.
void AppendRecord(FuzzedDataProvider& input, uint64_t* next_index, std::string* segment) {
  const uint8_t flags = input.ConsumeBool() ? raftkv::wal::kFlagBatchStart : 0;
  switch (input.ConsumeIntegralInRange<int>(0, 4)) {
    case 0:
    case 1:
      raftkv::wal::AppendMessageRecord(segment, RecordType::kEntry, flags,
                                       MakeEntry(input, next_index));
      break;
    case 2: {
      raftpb::HardState hard_state;
      hard_state.set_term(input.ConsumeIntegralInRange<uint64_t>(0, 5));
      hard_state.set_commit(input.ConsumeIntegralInRange<uint64_t>(0, *next_index));
      raftkv::wal::AppendMessageRecord(segment, RecordType::kHardState, flags, hard_state);
      break;
    }
    case 3:
      raftkv::wal::AppendMessageRecord(segment, RecordType::kSnapshotMarker, flags,
                                       MakeMarker(input, *next_index));
      break;
    default: {
      auto type = static_cast<RecordType>(input.ConsumeIntegralInRange<uint8_t>(1, 4));
      raftkv::wal::AppendRecord(segment, type, flags, input.ConsumeRandomLengthString(64));
      break;
    }
  }
}

void Damage(FuzzedDataProvider& input, std::string* segment) {
  if (segment->empty()) return;
  switch (input.ConsumeIntegralInRange<int>(0, 4)) {
    case 0: {
      size_t at = input.ConsumeIntegralInRange<size_t>(0, segment->size() - 1);
      (*segment)[at] =
          static_cast<char>((*segment)[at] ^ input.ConsumeIntegralInRange<int>(1, 255));
      break;
    }
    case 1:
      segment->resize(input.ConsumeIntegralInRange<size_t>(0, segment->size()));
      break;
    case 2:
      segment->append(input.ConsumeRandomLengthString(32));
      break;
    case 3:
      segment->append(input.ConsumeIntegralInRange<size_t>(0, 64), '\0');  // preallocation
      break;
    default:
      break;  // intact
  }
}

spdlog::logger& NullLogger() {
  static auto logger =
      std::make_shared<spdlog::logger>("fuzz", std::make_shared<spdlog::sinks::null_sink_mt>());
  return *logger;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  const std::filesystem::path& dir = raftkv::fuzz::FuzzTempDir::Fresh();
  const int segment_count = input.ConsumeIntegralInRange<int>(1, 3);
  uint64_t next_index = input.ConsumeIntegralInRange<uint64_t>(1, 4);
  uint64_t previous_end = 0;
  std::vector<std::string> paths;
  for (int sequence = 0; sequence < segment_count; ++sequence) {
    raftkv::wal::SegmentHeader header;
    header.sequence = static_cast<uint64_t>(sequence);
    header.first_index = next_index;
    header.previous_end = input.ConsumeBool() ? previous_end : input.ConsumeIntegral<uint8_t>();
    header.hard_state.set_term(input.ConsumeIntegralInRange<uint64_t>(0, 5));
    if (input.ConsumeBool()) header.snapshot = MakeMarker(input, next_index);
    std::string segment;
    raftkv::wal::AppendRecord(&segment, RecordType::kSegmentHeader, raftkv::wal::kFlagBatchStart,
                              EncodeSegmentHeader(header));
    const int records = input.ConsumeIntegralInRange<int>(0, 12);
    for (int i = 0; i < records; ++i)
      AppendRecord(input, &next_index, &segment);
    previous_end = segment.size();
    Damage(input, &segment);
    std::filesystem::path path =
        dir / raftkv::wal::SegmentFileName(header.sequence, header.first_index);
    raftkv::fuzz::FuzzTempDir::WriteFile(path, segment);
    paths.push_back(path.string());
  }

  absl::StatusOr<raftkv::wal::RecoveryResult> result =
      raftkv::wal::RecoverSegments(paths, NullLogger());
  if (!result.ok()) {
    // Damage is reported as DataLoss with the file named; nothing else may fail here.
    if (!absl::IsDataLoss(result.status()) ||
        !absl::StrContains(result.status().message(), dir.string())) {
      std::abort();
    }
    return 0;
  }
  const std::vector<raftpb::Entry>& entries = result->state.entries;
  for (size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].index() != entries[i - 1].index() + 1) std::abort();
  }
  if (result->tail_end > result->tail_garbage_end) std::abort();
  return 0;
}
