#ifndef RAFTKV_KV_H_
#define RAFTKV_KV_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "raftkv/lease.h"
#include "raftkv/options.h"
#include "raftkv/results.h"
#include "raftkv/txn.h"
#include "raftkv/watch.h"

namespace raftkv {

namespace internal {
class Backend;
}

// The etcd v3 key-value API of a raftkv cluster: keys, transactions, watches and leases.
// Two implementations stand behind it and behave alike: a remote client of a cluster
// (Connect, client.h) and an embedded member in this process (EmbeddedMember::kv(),
// embedded_member.h); OpenKV (open.h) picks one from a string.
//
// Consistency: every write is acknowledged once a quorum has it on disk and it is applied;
// it then has a revision, and every later linearizable read or watch sees it. Reads are
// linearizable unless RangeOptions::serializable. Transactions are atomic and linearizable.
//
// Errors are absl::Status values carrying etcd's codes and messages (errors.h lists them).
// DeadlineExceeded when the call's deadline passed: a write may or may not have happened.
//
// Each call comes three ways: blocking (returns the result), with a callback (called exactly
// once, on an internal thread; it must not block on other calls of this KV), and with a
// std::future. Thread-safe: call from any thread. Watchers and keep-alives must be destroyed
// before their KV.
class KV {
 public:
  template <typename T>
  using Callback = std::function<void(absl::StatusOr<T>)>;

  // For Connect and EmbeddedMember: a KV over one of the internal implementations, with
  // the timeout calls get when their deadline is Deadline{}.
  KV(std::unique_ptr<internal::Backend> backend, std::chrono::milliseconds default_timeout);
  ~KV();
  KV(const KV&) = delete;
  KV& operator=(const KV&) = delete;

  // Reads `key` (or the range of options.range_end).
  absl::StatusOr<GetResponse> Get(std::string_view key, const RangeOptions& options = {});
  void GetAsync(std::string_view key, const RangeOptions& options, Callback<GetResponse> done);
  std::future<absl::StatusOr<GetResponse>> GetAsync(std::string_view key,
                                                    const RangeOptions& options = {});

  // Writes `value` at `key`, creating a new revision. Errors: lease not found (the lease in
  // options does not exist), key not found (ignore_value/ignore_lease on a missing key),
  // request too large, no space (quota reached: only deletes and compaction work then).
  absl::StatusOr<PutResponse> Put(std::string_view key, std::string_view value,
                                  const PutOptions& options = {});
  void PutAsync(std::string_view key, std::string_view value, const PutOptions& options,
                Callback<PutResponse> done);
  std::future<absl::StatusOr<PutResponse>> PutAsync(std::string_view key, std::string_view value,
                                                    const PutOptions& options = {});

  // Deletes `key` (or the range of options.range_end). Deleting nothing is not an error
  // (deleted == 0) and creates no revision.
  absl::StatusOr<DeleteResponse> Delete(std::string_view key, const DeleteOptions& options = {});
  void DeleteAsync(std::string_view key, const DeleteOptions& options,
                   Callback<DeleteResponse> done);
  std::future<absl::StatusOr<DeleteResponse>> DeleteAsync(std::string_view key,
                                                          const DeleteOptions& options = {});

  // Runs a transaction (txn.h). Errors: too many operations, duplicate key in a branch, and
  // the errors of its ops.
  absl::StatusOr<TxnResponse> Txn(const TxnRequest& txn, const CallOptions& options = {});
  void TxnAsync(const TxnRequest& txn, const CallOptions& options, Callback<TxnResponse> done);
  std::future<absl::StatusOr<TxnResponse>> TxnAsync(const TxnRequest& txn,
                                                    const CallOptions& options = {});

  // Discards the history before `revision`: reads and watches at older revisions then fail
  // with the "compacted" error. Errors: compacted (revision not above the last compaction),
  // future revision.
  absl::StatusOr<CompactResponse> Compact(int64_t revision, const CompactOptions& options = {});
  void CompactAsync(int64_t revision, const CompactOptions& options,
                    Callback<CompactResponse> done);

  // Leases (lease.h). Errors: lease not found, lease exists (Grant with a used id).
  absl::StatusOr<LeaseGrantResponse> LeaseGrant(int64_t ttl_seconds,
                                                const LeaseGrantOptions& options = {},
                                                const CallOptions& call = {});
  void LeaseGrantAsync(int64_t ttl_seconds, const LeaseGrantOptions& options,
                       const CallOptions& call, Callback<LeaseGrantResponse> done);
  absl::StatusOr<LeaseRevokeResponse> LeaseRevoke(int64_t lease, const CallOptions& call = {});
  void LeaseRevokeAsync(int64_t lease, const CallOptions& call, Callback<LeaseRevokeResponse> done);
  // ttl is -1 for a lease that does not exist (not an error, as in etcd).
  absl::StatusOr<LeaseTimeToLiveResponse> LeaseTimeToLive(int64_t lease, bool keys = false,
                                                          const CallOptions& call = {});
  void LeaseTimeToLiveAsync(int64_t lease, bool keys, const CallOptions& call,
                            Callback<LeaseTimeToLiveResponse> done);
  // One renewal. NotFound if the lease does not exist (any more).
  absl::StatusOr<LeaseKeepAliveResponse> LeaseKeepAliveOnce(int64_t lease,
                                                            const CallOptions& call = {});
  void LeaseKeepAliveOnceAsync(int64_t lease, const CallOptions& call,
                               Callback<LeaseKeepAliveResponse> done);
  // Keeps `lease` alive in the background until the returned handle is destroyed.
  // `on_renew` (optional) hears every round.
  std::unique_ptr<LeaseKeepAlive> KeepAlive(int64_t lease, KeepAliveCallback on_renew = nullptr);

  // Watches `key` (or the range of options.range_end). Returns once the watch is
  // established (or fails with the reason, e.g. compacted is NOT an error here: it arrives
  // as the watch's first response after `created`). With `on_response`, responses go to it
  // on the watch's thread; without, take them with Watcher::Next. A remote watch survives
  // the loss of its member: it resumes on another one from the last revision it delivered
  // + 1, so no event is lost or repeated; if those revisions were compacted meanwhile, the
  // watch ends with compact_revision set.
  absl::StatusOr<std::unique_ptr<Watcher>> Watch(std::string_view key,
                                                 const WatchOptions& options = {},
                                                 WatchCallback on_response = nullptr);

 private:
  Deadline Resolve(Deadline deadline) const;

  std::unique_ptr<internal::Backend> backend_;
  std::chrono::milliseconds default_timeout_;
};

}  // namespace raftkv

#endif  // RAFTKV_KV_H_
