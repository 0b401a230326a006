#ifndef RAFTKV_TESTS_WAL_CRASH_PROTOCOL_H_
#define RAFTKV_TESTS_WAL_CRASH_PROTOCOL_H_

#include <cstdint>

namespace raftkv::wal::testing {

// What the crash test's child reports to its parent on file descriptor kReportFd, one
// fixed-size message per event (smaller than PIPE_BUF, so each write is atomic).
inline constexpr int kReportFd = 3;

struct CrashReport {
  enum Kind : uint64_t {
    kSaveStarted = 1,     // a = first index written (last index + 1 when none)
    kSaveReturned = 2,    // a = last index after the Save, b = its term
    kMarkerReturned = 3,  // a = index of a snapshot marker SaveSnapshotMarker returned for
    kOpened = 4,          // the WAL is open (recovery done); a = its last index
  };
  uint64_t kind = 0;
  uint64_t a = 0;
  uint64_t b = 0;
};

}  // namespace raftkv::wal::testing

#endif  // RAFTKV_TESTS_WAL_CRASH_PROTOCOL_H_
