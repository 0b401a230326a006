// A disk that fails on demand, for tests that run real `raftkv` processes: an LD_PRELOAD
// library that interposes the libc calls a member writes and syncs its files with, and
// fails them for files under one directory while a trigger file exists.
//
//   RAFTKV_DISK_FAULT_DIR      files whose path starts with this are affected
//   RAFTKV_DISK_FAULT_TRIGGER  faults happen only while this file exists, so a test can arm
//                              and disarm them while the process runs
//   RAFTKV_DISK_FAULT          "fsync-eio": fsync and fdatasync fail with EIO (a disk that
//                              lost the data it had accepted);
//                              "enospc": writes and preallocation fail with ENOSPC (a full
//                              disk); syncs still succeed, as there is nothing to flush
//
// Each failed call is reported on stderr (the member's log), naming the file. Uses the C
// library only (no C++ runtime), since it runs inside another program.

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

namespace {

enum class Fault { kNone, kFsyncEio, kEnospc };

struct Config {
  bool loaded = false;
  Fault fault = Fault::kNone;
  const char* dir = nullptr;
  size_t dir_length = 0;
  const char* trigger = nullptr;
};

Config& GetConfig() {
  static Config config;
  if (!config.loaded) {
    const char* fault = getenv("RAFTKV_DISK_FAULT");
    config.dir = getenv("RAFTKV_DISK_FAULT_DIR");
    config.trigger = getenv("RAFTKV_DISK_FAULT_TRIGGER");
    if (fault != nullptr && config.dir != nullptr && config.trigger != nullptr) {
      if (strcmp(fault, "fsync-eio") == 0) config.fault = Fault::kFsyncEio;
      if (strcmp(fault, "enospc") == 0) config.fault = Fault::kEnospc;
      config.dir_length = strlen(config.dir);
    }
    config.loaded = true;
  }
  return config;
}

template <typename Fn>
Fn Next(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

// Whether the call on fd must fail with `fault`; reports the failure.
bool ShouldFail(int fd, Fault fault, const char* call) {
  const Config& config = GetConfig();
  if (config.fault != fault) return false;
  const int saved_errno = errno;
  bool fail = false;
  char link[64];
  char path[PATH_MAX];
  if (access(config.trigger, F_OK) == 0) {
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof(path) - 1);
    if (n > 0) {
      path[n] = '\0';
      fail = strncmp(path, config.dir, config.dir_length) == 0;
    }
  }
  // Reporting is safe from recursion: write() leaves stderr alone.
  if (fail) fprintf(stderr, "disk_fault_shim: failing %s on %s\n", call, path);
  errno = saved_errno;
  return fail;
}

int FailWith(int error) {
  errno = error;
  return -1;
}

}  // namespace

extern "C" {

int fsync(int fd) {
  if (ShouldFail(fd, Fault::kFsyncEio, "fsync")) return FailWith(EIO);
  static auto next = Next<int (*)(int)>("fsync");
  return next(fd);
}

int fdatasync(int fd) {
  if (ShouldFail(fd, Fault::kFsyncEio, "fdatasync")) return FailWith(EIO);
  static auto next = Next<int (*)(int)>("fdatasync");
  return next(fd);
}

ssize_t write(int fd, const void* buf, size_t count) {
  if (fd > STDERR_FILENO && ShouldFail(fd, Fault::kEnospc, "write")) return FailWith(ENOSPC);
  static auto next = Next<ssize_t (*)(int, const void*, size_t)>("write");
  return next(fd, buf, count);
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  if (ShouldFail(fd, Fault::kEnospc, "pwrite")) return FailWith(ENOSPC);
  static auto next = Next<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite");
  return next(fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off_t offset) {
  if (ShouldFail(fd, Fault::kEnospc, "pwrite64")) return FailWith(ENOSPC);
  static auto next = Next<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite64");
  return next(fd, buf, count, offset);
}

ssize_t writev(int fd, const struct iovec* iov, int iovcnt) {
  if (fd > STDERR_FILENO && ShouldFail(fd, Fault::kEnospc, "writev")) return FailWith(ENOSPC);
  static auto next = Next<ssize_t (*)(int, const struct iovec*, int)>("writev");
  return next(fd, iov, iovcnt);
}

int fallocate(int fd, int mode, off_t offset, off_t len) {
  if (ShouldFail(fd, Fault::kEnospc, "fallocate")) return FailWith(ENOSPC);
  static auto next = Next<int (*)(int, int, off_t, off_t)>("fallocate");
  return next(fd, mode, offset, len);
}

int posix_fallocate(int fd, off_t offset, off_t len) {
  // Returns the error instead of setting errno.
  if (ShouldFail(fd, Fault::kEnospc, "posix_fallocate")) return ENOSPC;
  static auto next = Next<int (*)(int, off_t, off_t)>("posix_fallocate");
  return next(fd, offset, len);
}

}  // extern "C"
