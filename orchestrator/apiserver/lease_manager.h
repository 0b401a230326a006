// Leases for keys that expire (Events, --event-ttl), shared as Kubernetes shares them
// (apiserver storage/etcd3 leaseManager): one raftkv lease serves every write within a reuse
// window, granted for ttl + window so each key lives between ttl and ttl + window, instead of
// one lease per event.
#pragma once

#include <cstdint>
#include <mutex>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "raftkv/kv.h"

namespace orch::apiserver {

class LeaseManager {
 public:
  // The window is `reuse_fraction` of the ttl, at most `max_reuse` (upstream: 5%, 60 s).
  explicit LeaseManager(raftkv::KV& kv, double reuse_fraction = 0.05,
                        absl::Duration max_reuse = absl::Seconds(60))
      : kv_(kv), reuse_fraction_(reuse_fraction), max_reuse_(max_reuse) {}

  // A lease that keeps a key written now for at least `ttl_seconds`: the current one while
  // it lasts long enough (and not too long), else a new grant.
  absl::StatusOr<int64_t> LeaseFor(int64_t ttl_seconds);

 private:
  raftkv::KV& kv_;
  const double reuse_fraction_;
  const absl::Duration max_reuse_;
  std::mutex mutex_;
  int64_t lease_ = 0;   // guarded by mutex_
  absl::Time expires_;  // guarded by mutex_: when lease_ runs out
};

}  // namespace orch::apiserver
