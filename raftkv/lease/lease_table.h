#ifndef RAFTKV_LEASE_LEASE_TABLE_H_
#define RAFTKV_LEASE_LEASE_TABLE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "leasepb/lease.pb.h"

namespace raftkv::lease {

// The largest TTL a lease may be granted, in seconds (etcd's MaxLeaseTTL).
inline constexpr int64_t kMaxLeaseTtl = 9'000'000'000;

// Errors, with the status codes and messages etcd's clients expect.
absl::Status ErrLeaseNotFound();     // NotFound "etcdserver: requested lease not found"
absl::Status ErrLeaseExists();       // FailedPrecondition "etcdserver: lease already exists"
absl::Status ErrLeaseTtlTooLarge();  // OutOfRange "etcdserver: too large lease TTL"
// Renew was asked of a member that is not the leader; the caller forwards to the leader.
absl::Status ErrNotPrimary();
bool IsNotPrimary(const absl::Status& s);

// What TimeToLive reports about one lease.
struct LeaseStatus {
  int64_t id = 0;
  int64_t granted_ttl = 0;
  // Seconds left before expiry (rounded down, 0 once expired). On a follower, which does
  // not track expiry, the granted TTL.
  int64_t remaining_ttl = 0;
};

// The leases of one member. Which keys are attached to a lease is the state machine's
// (mvcc::Store) business: a key carries its lease id, and the store indexes keys by lease.
//
// Membership of the table (grant, revoke) changes only by applying committed raft entries,
// so it is identical on every member. Expiry is not: only the leader (the
// "primary") tracks deadlines, renews leases on keep-alive and finds expired ones, which it
// then revokes by proposing through raft. A follower's leases never expire by themselves.
//
// Thread-safe: the apply loop, gRPC threads and the leader's expiry check share it.
class LeaseTable {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  struct Options {
    // Shorter TTLs are raised to this (etcd: 1.5 election timeouts, in whole seconds).
    int64_t min_ttl_seconds = 1;
    // An expired lease whose revocation was proposed but not yet applied is reported again
    // by Expired() after this long (the proposal may have been lost with a leader change).
    std::chrono::milliseconds revoke_retry_interval{3000};
    Clock clock = std::chrono::steady_clock::now;
  };

  explicit LeaseTable(Options options);

  // Apply path. Grants lease id (never 0: the proposer picks ids) with ttl seconds.
  absl::StatusOr<leasepb::Lease> Grant(int64_t id, int64_t ttl);
  // Removes the lease (the caller deletes its keys in the same revision).
  absl::Status Revoke(int64_t id);
  bool Contains(int64_t id) const;

  // Leader side. Promote starts tracking expiry: every lease gets its full TTL plus extend
  // (etcd extends by an election timeout so that clients can find the new leader).
  void Promote(std::chrono::milliseconds extend);
  // Stops tracking expiry (leadership lost).
  void Demote();
  bool is_primary() const;
  // Restarts the lease's TTL; returns the TTL. ErrNotPrimary on a follower, ErrLeaseNotFound
  // for an unknown or already expired lease.
  absl::StatusOr<int64_t> Renew(int64_t id);
  // Up to limit expired leases whose revocation should be proposed now (oldest first).
  std::vector<int64_t> TakeExpired(size_t limit);

  // Reads.
  std::optional<LeaseStatus> TimeToLive(int64_t id) const;
  std::vector<int64_t> Ids() const;
  size_t size() const;

  // Rebuilds the table from the persisted lease records after a restart or snapshot.
  // Replaces the current contents; expiry tracking is off until Promote.
  void Restore(const std::vector<leasepb::Lease>& leases);

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Lease {
    int64_t ttl;
    std::optional<TimePoint> expiry;        // only on the primary
    std::optional<TimePoint> revoke_retry;  // when TakeExpired may report it again
  };
  TimePoint Deadline(int64_t ttl_seconds, std::chrono::milliseconds extend) const;

  const Options options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<int64_t, Lease> leases_ ABSL_GUARDED_BY(mu_);
  bool primary_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace raftkv::lease

#endif  // RAFTKV_LEASE_LEASE_TABLE_H_
