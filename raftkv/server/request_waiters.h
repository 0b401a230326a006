#ifndef RAFTKV_SERVER_REQUEST_WAITERS_H_
#define RAFTKV_SERVER_REQUEST_WAITERS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <variant>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "etcdserverpb/rpc.pb.h"
#include "serverpb/apply.pb.h"

namespace raftkv::server {

// What applying one proposal produced.
using ApplyResponse =
    std::variant<std::monostate, etcdserverpb::PutResponse, etcdserverpb::DeleteRangeResponse,
                 etcdserverpb::TxnResponse, etcdserverpb::CompactionResponse,
                 etcdserverpb::LeaseGrantResponse, etcdserverpb::LeaseRevokeResponse,
                 etcdserverpb::AlarmResponse, std::vector<serverpb::Member>>;
using ApplyCompletion = std::function<void(absl::StatusOr<ApplyResponse>)>;

// The callers waiting for their proposals to be applied, by request id. Each completion runs
// exactly once: when its entry is applied, when it times out, or when the member stops.
// Thread-safe; completions run without the lock held.
class RequestWaiters {
 public:
  using Clock = std::chrono::steady_clock;

  void Register(uint64_t id, Clock::time_point deadline, ApplyCompletion done);
  // Completes id's waiter, if this member has one (another member may have proposed it).
  void Complete(uint64_t id, absl::StatusOr<ApplyResponse> result);
  // Fails every waiter whose deadline is before now with `status`.
  void ExpireBefore(Clock::time_point now, const absl::Status& status);
  // Fails every waiter with `status` (shutdown).
  void FailAll(const absl::Status& status);
  size_t size() const;

 private:
  struct Waiter {
    Clock::time_point deadline;
    ApplyCompletion done;
  };
  mutable absl::Mutex mu_;
  absl::flat_hash_map<uint64_t, Waiter> waiters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_REQUEST_WAITERS_H_
