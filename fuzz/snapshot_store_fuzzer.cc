// Snapshot files as the WAL's snapshot store reads them at start: arbitrary bytes as a
// <index>-<term>.snap file must load or be refused with DataLoss naming the file, never crash.
// Inputs starting with 'V' get a valid header and checksum around the rest, so the fuzzer
// reaches the payload: the raft snapshot and the member's snapshot descriptor inside it.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "fuzz_temp_dir.h"
#include "raftkv/util/crc32c.h"
#include "raftkv/wal/snapshot_store.h"
#include "serverpb/apply.pb.h"
#include "spdlog/sinks/null_sink.h"
#include "spdlog/spdlog.h"

namespace {

constexpr uint32_t kMagic = 0x53564B52;  // "RKVS", as snapshot_store.cc writes it

void PutLittleEndian(std::string* out, uint64_t v, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i)
    out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// The store's file layout around payload: magic, CRC-32C over length and payload, length.
std::string WithValidHeader(absl::string_view payload) {
  std::string length;
  PutLittleEndian(&length, payload.size(), 8);
  uint32_t crc =
      raftkv::util::Crc32cExtend(raftkv::util::Crc32c(length), payload.data(), payload.size());
  std::string file;
  PutLittleEndian(&file, kMagic, 4);
  PutLittleEndian(&file, crc, 4);
  file += length;
  file.append(payload.data(), payload.size());
  return file;
}

std::shared_ptr<spdlog::logger> NullLogger() {
  static auto logger =
      std::make_shared<spdlog::logger>("fuzz", std::make_shared<spdlog::sinks::null_sink_mt>());
  return logger;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  std::string file =
      !input.empty() && input[0] == 'V' ? WithValidHeader(input.substr(1)) : std::string(input);
  const std::filesystem::path& dir = raftkv::fuzz::FuzzTempDir::Fresh();
  raftkv::fuzz::FuzzTempDir::WriteFile(dir / "0000000000000007-0000000000000002.snap", file);
  absl::StatusOr<std::unique_ptr<raftkv::wal::SnapshotStore>> store =
      raftkv::wal::SnapshotStore::Open(dir.string(), NullLogger());
  if (!store.ok()) std::abort();
  absl::StatusOr<raftpb::Snapshot> snapshot = (*store)->Load(7, 2);
  if (!snapshot.ok()) {
    if (!absl::IsDataLoss(snapshot.status()) ||
        !absl::StrContains(snapshot.status().message(), dir.string())) {
      std::abort();
    }
    // A damaged newest file is skipped, never returned.
    if ((*store)->LoadNewest().ok()) std::abort();
    return 0;
  }
  // The member decodes the descriptor it carries at start and on every received snapshot.
  serverpb::SnapshotDescriptor descriptor;
  (void)descriptor.ParseFromString(snapshot->data());
  return 0;
}
