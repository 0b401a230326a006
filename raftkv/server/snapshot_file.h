#ifndef RAFTKV_SERVER_SNAPSHOT_FILE_H_
#define RAFTKV_SERVER_SNAPSHOT_FILE_H_

#include <filesystem>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "raftkv/server/server_options.h"

namespace raftkv::server {

// A state machine checkpoint (a directory of RocksDB files) as one file: what the
// Maintenance Snapshot call streams and `raftkv snapshot restore` reads.
//
//   "RAFTKVSNAP1\n"
//   for each file: u32 name length, name (relative path), u64 size, the bytes
//   u32 0
//   zero padding, so that the whole file's size is 32 more than a multiple of 512
//   SHA-256 of everything above (32 bytes)
//
// Integers are little endian. The digest lets restore refuse a truncated or damaged file. The
// padding and trailing digest follow etcd's snapshot convention, which `etcdctl snapshot
// save` checks (size % 512 == 32) before it accepts a download.

// Streams dir as a snapshot file through chunk; a chunk returning false stops (Cancelled).
absl::Status StreamSnapshot(const std::filesystem::path& dir,
                            const std::function<bool(const std::string& chunk)>& chunk);

// Verifies the snapshot file and unpacks it into target_dir (which must not exist). On any
// error (DataLoss for a bad digest or layout, naming the file and offset) nothing is left.
absl::Status UnpackSnapshot(const std::filesystem::path& file,
                            const std::filesystem::path& target_dir);

// `raftkv snapshot restore`: makes options.data_dir the data of the first member of a new
// cluster (the members of options.initial_cluster) whose state machine is the snapshot's, as
// `etcdctl snapshot restore` does. Each member of the new cluster restores the same file with
// its own --name and peer URLs. Refuses when data_dir already holds data.
absl::Status RestoreSnapshot(const std::filesystem::path& file, const ServerOptions& options);

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_SNAPSHOT_FILE_H_
