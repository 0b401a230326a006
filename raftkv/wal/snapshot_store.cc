#include "raftkv/wal/snapshot_store.h"

#include <fcntl.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "raftkv/util/crc32c.h"
#include "raftkv/wal/file_util.h"
#include "spdlog/spdlog.h"

namespace raftkv::wal {
namespace {

constexpr uint32_t kMagic = 0x53564B52;  // "RKVS" read as little endian
constexpr size_t kHeaderSize = 16;
constexpr absl::string_view kSuffix = ".snap";
constexpr absl::string_view kTempSuffix = ".snap.tmp";

void PutLittleEndian(std::string* out, uint64_t v, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i)
    out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint64_t GetLittleEndian(absl::string_view in, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i)
    v |= static_cast<uint64_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  return v;
}

std::string SnapshotFileName(uint64_t index, uint64_t term) {
  return absl::StrFormat("%016x-%016x%s", index, term, kSuffix);
}

bool ParseSnapshotFileName(absl::string_view name, uint64_t* index, uint64_t* term) {
  if (name.size() != 33 + kSuffix.size() || name[16] != '-' || !absl::EndsWith(name, kSuffix)) {
    return false;
  }
  return absl::SimpleHexAtoi(name.substr(0, 16), index) &&
         absl::SimpleHexAtoi(name.substr(17, 16), term);
}

std::string EncodeSnapshotFile(const raftpb::Snapshot& snapshot) {
  std::string payload = snapshot.SerializeAsString();
  std::string length;
  PutLittleEndian(&length, payload.size(), 8);
  uint32_t crc = util::Crc32cExtend(util::Crc32c(length), payload.data(), payload.size());
  std::string out;
  out.reserve(kHeaderSize + payload.size());
  PutLittleEndian(&out, kMagic, 4);
  PutLittleEndian(&out, crc, 4);
  out += length;
  out += payload;
  return out;
}

}  // namespace

SnapshotStore::SnapshotStore(std::string dir, std::shared_ptr<spdlog::logger> logger)
    : dir_(std::move(dir)), logger_(logger ? std::move(logger) : spdlog::default_logger()) {}

absl::StatusOr<std::unique_ptr<SnapshotStore>> SnapshotStore::Open(
    const std::string& dir, std::shared_ptr<spdlog::logger> logger) {
  if (absl::Status s = CreateDirectories(dir); !s.ok()) return s;
  auto store = std::make_unique<SnapshotStore>(dir, std::move(logger));
  absl::StatusOr<std::vector<std::string>> names = ListDirectory(dir);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    if (!absl::EndsWith(name, kTempSuffix)) continue;
    std::string path = JoinPath(dir, name);
    store->logger_->info("snapshot store: removing unfinished {}", path);
    if (absl::Status s = RemoveFile(path); !s.ok()) return s;
  }
  return store;
}

absl::Status SnapshotStore::Save(const raftpb::Snapshot& snapshot) {
  const raftpb::SnapshotMetadata& metadata = snapshot.metadata();
  std::string path = JoinPath(dir_, SnapshotFileName(metadata.index(), metadata.term()));
  std::string temp_path = absl::StrCat(path, ".tmp");
  absl::StatusOr<UniqueFd> fd = OpenFile(temp_path, O_WRONLY | O_CREAT | O_TRUNC);
  if (!fd.ok()) return fd.status();
  absl::Status s = WriteAllAt(fd->get(), EncodeSnapshotFile(snapshot), 0, temp_path);
  if (s.ok()) s = SyncAll(fd->get(), temp_path);
  fd->Reset();
  if (s.ok()) s = RenameFile(temp_path, path);
  if (s.ok()) s = SyncDirectory(dir_);
  if (!s.ok()) return s;
  logger_->info("snapshot store: saved {} (index {} term {})", path, metadata.index(),
                metadata.term());
  return absl::OkStatus();
}

absl::StatusOr<raftpb::Snapshot> SnapshotStore::ReadFile(const std::string& path) const {
  absl::StatusOr<std::string> data = ReadWholeFile(path);
  if (!data.ok()) return data.status();
  absl::string_view contents = *data;
  if (contents.size() < kHeaderSize || GetLittleEndian(contents, 4) != kMagic) {
    return absl::DataLossError(
        absl::StrCat("snapshot file ", path, " at byte offset 0: missing or bad header"));
  }
  auto stored_crc = static_cast<uint32_t>(GetLittleEndian(contents.substr(4), 4));
  uint64_t length = GetLittleEndian(contents.substr(8), 8);
  if (length != contents.size() - kHeaderSize) {
    return absl::DataLossError(absl::StrCat("snapshot file ", path, " at byte offset 8: length ",
                                            length, " does not match the file size ",
                                            contents.size()));
  }
  uint32_t crc = util::Crc32cExtend(util::Crc32c(contents.substr(8, 8)),
                                    contents.data() + kHeaderSize, length);
  if (crc != stored_crc) {
    return absl::DataLossError(absl::StrCat("snapshot file ", path, " at byte offset ", kHeaderSize,
                                            ": checksum mismatch"));
  }
  raftpb::Snapshot snapshot;
  if (!snapshot.ParseFromArray(contents.data() + kHeaderSize, static_cast<int>(length))) {
    return absl::DataLossError(
        absl::StrCat("snapshot file ", path, " at byte offset ", kHeaderSize, ": unparsable"));
  }
  return snapshot;
}

absl::StatusOr<raftpb::Snapshot> SnapshotStore::Load(uint64_t index, uint64_t term) const {
  return ReadFile(JoinPath(dir_, SnapshotFileName(index, term)));
}

absl::StatusOr<raftpb::Snapshot> SnapshotStore::LoadNewest() const {
  absl::StatusOr<std::vector<SnapshotFile>> files = List();
  if (!files.ok()) return files.status();
  for (auto it = files->rbegin(); it != files->rend(); ++it) {
    absl::StatusOr<raftpb::Snapshot> snapshot = ReadFile(it->path);
    if (snapshot.ok()) return snapshot;
    logger_->warn("snapshot store: skipping unreadable snapshot: {}", snapshot.status().ToString());
  }
  return absl::NotFoundError(absl::StrCat("no intact snapshot in ", dir_));
}

absl::StatusOr<std::vector<SnapshotFile>> SnapshotStore::List() const {
  absl::StatusOr<std::vector<std::string>> names = ListDirectory(dir_);
  if (!names.ok()) return names.status();
  std::vector<SnapshotFile> files;
  for (const std::string& name : *names) {
    SnapshotFile file;
    if (!ParseSnapshotFileName(name, &file.index, &file.term)) continue;
    file.path = JoinPath(dir_, name);
    files.push_back(std::move(file));
  }
  std::sort(files.begin(), files.end(), [](const SnapshotFile& a, const SnapshotFile& b) {
    return a.index != b.index ? a.index < b.index : a.term < b.term;
  });
  return files;
}

absl::Status SnapshotStore::PurgeKeepingNewest(size_t keep) {
  absl::StatusOr<std::vector<SnapshotFile>> files = List();
  if (!files.ok()) return files.status();
  if (files->size() <= keep) return absl::OkStatus();
  files->resize(files->size() - keep);
  return Remove(*files);
}

absl::Status SnapshotStore::RemoveNewerThan(uint64_t index) {
  absl::StatusOr<std::vector<SnapshotFile>> files = List();
  if (!files.ok()) return files.status();
  std::erase_if(*files, [index](const SnapshotFile& f) { return f.index <= index; });
  return Remove(*files);
}

absl::Status SnapshotStore::Remove(const std::vector<SnapshotFile>& files) {
  if (files.empty()) return absl::OkStatus();
  for (const SnapshotFile& file : files) {
    if (absl::Status s = RemoveFile(file.path); !s.ok()) return s;
    logger_->info("snapshot store: removed {}", file.path);
  }
  return SyncDirectory(dir_);
}

}  // namespace raftkv::wal
