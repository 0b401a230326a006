#ifndef RAFTKV_CONCURRENCY_SESSION_H_
#define RAFTKV_CONCURRENCY_SESSION_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "raftkv/kv.h"

namespace raftkv::concurrency {

struct SessionOptions {
  int64_t ttl_seconds = 60;  // etcd's default session TTL
  int64_t lease = 0;         // reuse this existing lease instead of granting one
  Deadline deadline{};       // for granting the lease
};

// A lease kept alive in the background for as long as the session lives (etcd's
// concurrency.Session). Locks and campaigns made through it vanish when the process dies
// and the lease expires. Thread-safe.
class Session {
 public:
  static absl::StatusOr<std::unique_ptr<Session>> Create(KV& kv,
                                                         const SessionOptions& options = {});
  // Close().
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  KV& kv() const { return kv_; }
  int64_t lease() const { return lease_; }
  int64_t ttl_seconds() const { return ttl_seconds_; }
  // False once the cluster said the lease is gone (expired while unreachable, or revoked):
  // whatever the session held is lost.
  bool alive() const;

  // Stops the keep-alive and revokes the lease, releasing everything held through it.
  // Idempotent.
  absl::Status Close(Deadline deadline = {});
  // Stops the keep-alive without revoking: the lease expires after its TTL.
  void Orphan();

 private:
  Session(KV& kv, int64_t lease, int64_t ttl_seconds);

  KV& kv_;
  const int64_t lease_;
  const int64_t ttl_seconds_;
  std::unique_ptr<LeaseKeepAlive> keep_alive_;
  bool closed_ = false;
};

}  // namespace raftkv::concurrency

#endif  // RAFTKV_CONCURRENCY_SESSION_H_
