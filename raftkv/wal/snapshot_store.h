#ifndef RAFTKV_WAL_SNAPSHOT_STORE_H_
#define RAFTKV_WAL_SNAPSHOT_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "raftpb/raft.pb.h"
#include "spdlog/logger.h"

namespace raftkv::wal {

// One snapshot file in the store.
struct SnapshotFile {
  uint64_t index = 0;
  uint64_t term = 0;
  std::string path;
};

// Raft snapshots (metadata plus the small data raft carries; the state machine's own files
// live elsewhere) as one file each, named <index>-<term>.snap, in one directory.
//
// File layout (little endian):
//   u32 magic "RKVS", u32 CRC-32C over bytes [8, 16) and the payload, u64 payload length,
//   payload: raftpb::Snapshot.
//
// A file is written atomically: to a temporary name, fsync, rename, fsync the directory, so a
// snapshot file that exists is complete; a damaged one (bit rot) fails its checksum.
// Not thread-safe.
class SnapshotStore {
 public:
  // Opens (creating it if needed) the store in dir and removes temporary files left by a
  // crash.
  static absl::StatusOr<std::unique_ptr<SnapshotStore>> Open(
      const std::string& dir, std::shared_ptr<spdlog::logger> logger = nullptr);

  // Writes snapshot durably, replacing a file of the same index and term.
  absl::Status Save(const raftpb::Snapshot& snapshot);

  // The snapshot at exactly (index, term): NotFound without one, DataLoss naming the file when
  // it is damaged.
  absl::StatusOr<raftpb::Snapshot> Load(uint64_t index, uint64_t term) const;

  // The newest snapshot that reads back intact. Damaged newer files are skipped, each with a
  // warning naming it. NotFound when there is none.
  absl::StatusOr<raftpb::Snapshot> LoadNewest() const;

  // The snapshot files, oldest (lowest index) first.
  absl::StatusOr<std::vector<SnapshotFile>> List() const;

  // Deletes all but the keep newest snapshot files.
  absl::Status PurgeKeepingNewest(size_t keep);

  // Deletes the snapshot files with an index above index (a snapshot whose WAL marker was
  // never written, because the process stopped between the two).
  absl::Status RemoveNewerThan(uint64_t index);

  const std::string& dir() const { return dir_; }

  // Construct with Open.
  SnapshotStore(std::string dir, std::shared_ptr<spdlog::logger> logger);

 private:
  absl::StatusOr<raftpb::Snapshot> ReadFile(const std::string& path) const;
  absl::Status Remove(const std::vector<SnapshotFile>& files);

  std::string dir_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace raftkv::wal

#endif  // RAFTKV_WAL_SNAPSHOT_STORE_H_
