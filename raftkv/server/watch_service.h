#ifndef RAFTKV_SERVER_WATCH_SERVICE_H_
#define RAFTKV_SERVER_WATCH_SERVICE_H_

#include <chrono>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
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
};

// etcd's Watch service: each Watch RPC is one WatchStream (watch_stream.h) driven by a gRPC
// bidirectional reactor, so any number of watches share a stream and no thread waits for
// events. `member` must outlive the service, and the gRPC server must be shut down (which
// ends every stream) before the service is destroyed.
class WatchService final : public etcdserverpb::Watch::CallbackService {
 public:
  WatchService(Member* member, WatchServiceOptions options);
  ~WatchService() override;  // stops the progress ticker

  grpc::ServerBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>* Watch(
      grpc::CallbackServerContext* context) override;

  // For the streams: progress ticks reach every registered stream until it unregisters.
  void Register(WatchStream* stream);
  void Unregister(WatchStream* stream);

 private:
  void TickLoop();

  Member* const member_;
  const WatchServiceOptions options_;
  absl::Mutex mu_;
  absl::flat_hash_set<WatchStream*> streams_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread ticker_;
};

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_WATCH_SERVICE_H_
