#ifndef RAFTKV_SERVER_LEADER_FORWARDER_H_
#define RAFTKV_SERVER_LEADER_FORWARDER_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "raftkv/server/worker_pool.h"

namespace raftkv::server {

// Forwards the lease calls only the leader can answer (it alone tracks expiry) to the leader's
// client URL over the etcd gRPC API, as a client would. Calls run on the forwarder's own
// threads; `done` is called there.
class LeaderForwarder {
 public:
  template <typename T>
  using Done = std::function<void(absl::StatusOr<T>)>;
  using Clock = std::chrono::steady_clock;

  LeaderForwarder();
  ~LeaderForwarder();

  // ErrLeaseNotFound when the leader answers TTL 0 (how etcd's stream says "not found").
  void KeepAlive(const std::string& leader_url, const etcdserverpb::LeaseKeepAliveRequest& req,
                 Clock::time_point deadline, Done<etcdserverpb::LeaseKeepAliveResponse> done);
  void TimeToLive(const std::string& leader_url, const etcdserverpb::LeaseTimeToLiveRequest& req,
                  Clock::time_point deadline, Done<etcdserverpb::LeaseTimeToLiveResponse> done);

 private:
  std::shared_ptr<etcdserverpb::Lease::Stub> StubFor(const std::string& url);

  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<etcdserverpb::Lease::Stub>> stubs_ ABSL_GUARDED_BY(mu_);
  WorkerPool workers_{2};
};

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_LEADER_FORWARDER_H_
