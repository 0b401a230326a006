#ifndef RAFTKV_SERVER_REQUEST_IDS_H_
#define RAFTKV_SERVER_REQUEST_IDS_H_

#include <atomic>
#include <cstdint>

#include "absl/time/time.h"

namespace raftkv::server {

// Ids of the requests a member proposes, as etcd's idutil.Generator makes them: the member
// id's low 16 bits, then a 48-bit suffix that starts at the start time in milliseconds
// (shifted left by 8) and counts up.
//
// The contract that matters: ids never repeat across restarts of one member. After a
// restart the member applies its own earlier proposals again from the log, and the applier
// completes the waiter registered under each entry's id; a new request that reused an old
// id would be answered with the old entry's result (a stale revision). Starting from the
// clock keeps every new id above the previous run's unless that run proposed more than 256
// requests per millisecond on average over its whole life.
class RequestIds {
 public:
  RequestIds(uint64_t member_id, absl::Time now);

  // Thread-safe.
  uint64_t Next();

 private:
  static constexpr int kSuffixBits = 48;
  static constexpr uint64_t kSuffixMask = (uint64_t{1} << kSuffixBits) - 1;

  const uint64_t prefix_;
  std::atomic<uint64_t> suffix_;
};

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_REQUEST_IDS_H_
