#ifndef RAFTKV_CLIENT_BACKEND_H_
#define RAFTKV_CLIENT_BACKEND_H_

#include <functional>
#include <future>
#include <memory>

#include "absl/status/statusor.h"
#include "etcdserverpb/rpc.pb.h"
#include "raftkv/options.h"

namespace raftkv::internal {

template <typename T>
using Done = std::function<void(absl::StatusOr<T>)>;

// Receives the responses of one watch, in order, on the watch's thread.
using WatchSink = std::function<void(const etcdserverpb::WatchResponse&)>;

// A watch inside a backend. Destroying it stops the watch; once the destructor returns the
// sink is not called any more.
class WatchStreamHandle {
 public:
  virtual ~WatchStreamHandle() = default;
};

// What differs between the remote client and the embedded member: the etcd API at the
// protobuf level. raftkv::KV converts its plain types to and from these messages, so both
// share one conversion and one set of semantics. Deadlines are absolute (already resolved by
// KV). Every `done` is called exactly once.
class Backend {
 public:
  virtual ~Backend() = default;

  virtual void Range(const etcdserverpb::RangeRequest& request, Deadline deadline,
                     Done<etcdserverpb::RangeResponse> done) = 0;
  virtual void Put(const etcdserverpb::PutRequest& request, Deadline deadline,
                   Done<etcdserverpb::PutResponse> done) = 0;
  virtual void DeleteRange(const etcdserverpb::DeleteRangeRequest& request, Deadline deadline,
                           Done<etcdserverpb::DeleteRangeResponse> done) = 0;
  virtual void Txn(const etcdserverpb::TxnRequest& request, Deadline deadline,
                   Done<etcdserverpb::TxnResponse> done) = 0;
  virtual void Compact(const etcdserverpb::CompactionRequest& request, Deadline deadline,
                       Done<etcdserverpb::CompactionResponse> done) = 0;
  virtual void LeaseGrant(const etcdserverpb::LeaseGrantRequest& request, Deadline deadline,
                          Done<etcdserverpb::LeaseGrantResponse> done) = 0;
  virtual void LeaseRevoke(const etcdserverpb::LeaseRevokeRequest& request, Deadline deadline,
                           Done<etcdserverpb::LeaseRevokeResponse> done) = 0;
  virtual void LeaseTimeToLive(const etcdserverpb::LeaseTimeToLiveRequest& request,
                               Deadline deadline,
                               Done<etcdserverpb::LeaseTimeToLiveResponse> done) = 0;
  // A lease that does not exist is a NotFound error (not a response with ttl <= 0).
  virtual void LeaseKeepAlive(const etcdserverpb::LeaseKeepAliveRequest& request, Deadline deadline,
                              Done<etcdserverpb::LeaseKeepAliveResponse> done) = 0;

  // Blocking forms. By default they wait for the callback form (until the deadline); the
  // remote client runs them on the caller's thread instead.
  virtual absl::StatusOr<etcdserverpb::RangeResponse> RangeNow(
      const etcdserverpb::RangeRequest& request, Deadline deadline);
  virtual absl::StatusOr<etcdserverpb::PutResponse> PutNow(const etcdserverpb::PutRequest& request,
                                                           Deadline deadline);
  virtual absl::StatusOr<etcdserverpb::DeleteRangeResponse> DeleteRangeNow(
      const etcdserverpb::DeleteRangeRequest& request, Deadline deadline);
  virtual absl::StatusOr<etcdserverpb::TxnResponse> TxnNow(const etcdserverpb::TxnRequest& request,
                                                           Deadline deadline);
  virtual absl::StatusOr<etcdserverpb::CompactionResponse> CompactNow(
      const etcdserverpb::CompactionRequest& request, Deadline deadline);
  virtual absl::StatusOr<etcdserverpb::LeaseGrantResponse> LeaseGrantNow(
      const etcdserverpb::LeaseGrantRequest& request, Deadline deadline);
  virtual absl::StatusOr<etcdserverpb::LeaseRevokeResponse> LeaseRevokeNow(
      const etcdserverpb::LeaseRevokeRequest& request, Deadline deadline);
  virtual absl::StatusOr<etcdserverpb::LeaseTimeToLiveResponse> LeaseTimeToLiveNow(
      const etcdserverpb::LeaseTimeToLiveRequest& request, Deadline deadline);
  virtual absl::StatusOr<etcdserverpb::LeaseKeepAliveResponse> LeaseKeepAliveNow(
      const etcdserverpb::LeaseKeepAliveRequest& request, Deadline deadline);

  // Starts a watch: sends `request` and returns once the created response arrived (passed
  // to `sink` first) or the deadline passed. The remote client resumes a broken stream on
  // another member from the last revision delivered + 1.
  virtual absl::StatusOr<std::unique_ptr<WatchStreamHandle>> Watch(
      const etcdserverpb::WatchCreateRequest& request, Deadline deadline, WatchSink sink) = 0;
};

// Waits for a callback-style call until `deadline`: its result, or DeadlineExceeded. A
// result arriving later is dropped.
template <typename T>
absl::StatusOr<T> WaitFor(const std::function<void(Done<T>)>& start, Deadline deadline) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<T>>>();
  std::future<absl::StatusOr<T>> result = promise->get_future();
  start([promise](absl::StatusOr<T> r) { promise->set_value(std::move(r)); });
  if (result.wait_until(deadline) != std::future_status::ready) {
    return absl::DeadlineExceededError("context deadline exceeded");
  }
  return result.get();
}

}  // namespace raftkv::internal

#endif  // RAFTKV_CLIENT_BACKEND_H_
