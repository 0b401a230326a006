#ifndef RAFTKV_WAL_FILE_UTIL_H_
#define RAFTKV_WAL_FILE_UTIL_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace raftkv::wal {

// The small set of POSIX file operations the WAL and the snapshot store need, each returning
// a Status whose message names the operation, the path and the errno text.

// Owns a file descriptor and closes it when destroyed.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release();
  void Reset();

 private:
  int fd_ = -1;
};

// A Status for a failed system call: the code follows errno (ENOENT is NotFound, ENOSPC is
// ResourceExhausted, the rest Internal).
absl::Status ErrnoStatus(int errno_value, absl::string_view operation, absl::string_view path);

// open(2) with O_CLOEXEC added.
absl::StatusOr<UniqueFd> OpenFile(const std::string& path, int flags, mode_t mode = 0644);

// Writes all of data at offset, retrying short writes and EINTR.
absl::Status WriteAllAt(int fd, absl::string_view data, off_t offset, const std::string& path);

// Reads the whole file into memory.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// fdatasync(2): file data and the metadata needed to read it back (size), not timestamps.
absl::Status SyncData(int fd, const std::string& path);

// fsync(2): data and all metadata.
absl::Status SyncAll(int fd, const std::string& path);

// Makes a directory's entries (created, renamed or removed files) durable.
absl::Status SyncDirectory(const std::string& dir);

// Reserves [0, length) on disk so later writes do not allocate blocks (posix_fallocate).
absl::Status Preallocate(int fd, uint64_t length, const std::string& path);

// Creates dir (and missing parents) if it does not exist.
absl::Status CreateDirectories(const std::string& dir);

// Names of the entries of dir (not "." or ".."), unsorted.
absl::StatusOr<std::vector<std::string>> ListDirectory(const std::string& dir);

// Removes a file; NotFound is an error.
absl::Status RemoveFile(const std::string& path);

// rename(2).
absl::Status RenameFile(const std::string& from, const std::string& to);

std::string JoinPath(absl::string_view dir, absl::string_view name);

}  // namespace raftkv::wal

#endif  // RAFTKV_WAL_FILE_UTIL_H_
