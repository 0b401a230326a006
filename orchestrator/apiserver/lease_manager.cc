#include "orchestrator/apiserver/lease_manager.h"

#include <algorithm>

namespace orch::apiserver {

absl::StatusOr<int64_t> LeaseManager::LeaseFor(int64_t ttl_seconds) {
  const absl::Time now = absl::Now();
  const absl::Duration ttl = absl::Seconds(ttl_seconds);
  const absl::Duration reuse = std::min(
      absl::Seconds(static_cast<int64_t>(reuse_fraction_ * static_cast<double>(ttl_seconds))),
      max_reuse_);
  std::lock_guard lock(mutex_);
  // Valid: the key outlives its ttl; sufficient: it does not outlive it by more than the window.
  if (lease_ != 0 && now + ttl < expires_ && now + ttl + reuse > expires_) return lease_;
  const int64_t granted_ttl = ttl_seconds + absl::ToInt64Seconds(reuse);
  absl::StatusOr<raftkv::LeaseGrantResponse> granted = kv_.LeaseGrant(granted_ttl);
  if (!granted.ok()) return granted.status();
  lease_ = granted->id;
  // As upstream, the requested ttl: a store that raises a small ttl to its minimum only makes
  // the keys live a little longer.
  expires_ = now + absl::Seconds(granted_ttl);
  return lease_;
}

}  // namespace orch::apiserver
