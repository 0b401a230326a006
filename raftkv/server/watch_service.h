#ifndef RAFTKV_SERVER_WATCH_SERVICE_H_
#define RAFTKV_SERVER_WATCH_SERVICE_H_

#include <chrono>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "raftkv/server/member.h"
#include "raftkv/server/watch_stream.h"

namespace raftkv::server {

struct WatchServiceOptions {
  WatchStreamOptions stream;
  // etcd's --experimental-watch-progress-notify-interval: how often watches created with
  // progress_notify hear the revision they are at when idle. etcd adds up to 10% jitter and
  // never goes below 100 ms.
  std::chrono::milliseconds progress_notify_interval{std::chrono::minutes(10)};
  // How often the service checks that the member knows a leader, for streams opened with
  // etcd's "hasleader" metadata (the member's election timeout, as etcd).
  std::chrono::milliseconds leader_check_interval{1000};
};

// etcd's Watch service: each Watch RPC is one WatchStream (watch_stream.h) driven by a gRPC
// bidirectional reactor, so any number of watches share a stream and no thread waits for
// events. `member` must outlive the service, and the gRPC server must be shut down (which
// ends every stream) before the service is destroyed.
//
// A stream whose client sent the metadata "hasleader: true" (etcd clients do, to move to
// another member rather than wait on a cut-off one) is refused while this member knows no
// leader, and ended after three election timeouts without one, with UNAVAILABLE
// "etcdserver: no leader", as etcd does.
class WatchService final : public etcdserverpb::Watch::CallbackService {
 public:
  WatchService(Member* member, WatchServiceOptions options);
  ~WatchService() override;  // stops the progress ticker

  grpc::ServerBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>* Watch(
      grpc::CallbackServerContext* context) override;

  // For the streams: progress ticks reach every registered stream until it unregisters.
  // A stream that requires a leader passes `on_no_leader`, which the service calls (under its
  // lock, so not after Unregister returns) when the member has had no leader for too long.
  void Register(WatchStream* stream, std::function<void()> on_no_leader);
  void Unregister(WatchStream* stream);

 private:
  void TickLoop();
  void CheckLeader() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Member* const member_;
  const WatchServiceOptions options_;
  absl::Mutex mu_;
  // Each registered stream, with what to call when it requires a leader and there is none.
  absl::flat_hash_map<WatchStream*, std::function<void()>> streams_ ABSL_GUARDED_BY(mu_);
  int checks_without_leader_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread ticker_;
};

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_WATCH_SERVICE_H_
