#ifndef RAFTKV_SERVER_WATCH_STREAM_H_
#define RAFTKV_SERVER_WATCH_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "etcdserverpb/rpc.pb.h"
#include "raftkv/mvcc/store.h"

namespace raftkv::server {

// etcd's gRPC overhead allowance on top of --max-request-bytes (v3rpc/grpc.go): the largest
// message the server accepts, and the size watch responses are fragmented at.
inline constexpr size_t kGrpcOverheadBytes = 512 * 1024;

struct WatchStreamOptions {
  // A response of a watch created with `fragment` is split into messages below this size
  // (etcd: max-request-bytes + gRPC overhead).
  size_t max_response_bytes = 1572864 + kGrpcOverheadBytes;
};

// Where response headers come from: cluster id, member id and raft term (the revision is
// set per response).
using HeaderSource = std::function<etcdserverpb::ResponseHeader()>;

// The state of one Watch RPC (etcd's serverWatchStream, v3rpc/watch.go), without gRPC: it
// takes the client's WatchRequests and produces the WatchResponses to send, in order.
// Semantics are etcd 3.4's:
//  - a create answers created=true with the watch id (the client's if non-zero and free,
//    else the next free id counting from 0) and the current revision; then the watch's
//    events follow, never before its created response. A duplicate id or an empty range
//    (key >= range_end) answers created=true, canceled=true, watch_id -1 and etcd's reason.
//  - empty key means "\0"; range_end "\0" means every key >= key.
//  - filters NOPUT / NODELETE drop events; a response whose events were all filtered is not
//    sent. prev_kv attaches previous versions. fragment splits responses above
//    max_response_bytes into several with fragment=true on all but the last.
//  - a start revision at or below the compact revision answers compact_revision and
//    canceled=true (after the created response); the watch is then gone.
//  - a cancel of a known watch answers canceled=true; of an unknown one, nothing.
//  - a progress request answers watch_id -1 with the current revision, after every event
//    already buffered for this stream.
//  - ProgressTick (the progress-notify interval elapsed) makes every progress_notify watch
//    that sent no events since the previous tick and is caught up send an empty response
//    with its watch id and the revision it has seen everything up to.
// Thread-safe. Responses are pulled with Poll; `on_ready` says when to pull again.
class WatchStream {
 public:
  // `store` must outlive the stream. `on_ready` is called (from the store's apply or sync
  // thread, or from ProgressTick's caller) when Poll has something new; it must not block
  // and must not destroy the stream. It is never called once the destructor returns.
  WatchStream(mvcc::Store* store, HeaderSource header, WatchStreamOptions options,
              std::function<void()> on_ready);
  // Cancels every watch of the stream. Waits for an `on_ready` call in progress to return,
  // so it must not run inside `on_ready` or while holding a lock `on_ready` takes.
  ~WatchStream();
  WatchStream(const WatchStream&) = delete;
  WatchStream& operator=(const WatchStream&) = delete;

  // Handles one client request; its answer (if any) comes from the next Poll. Requests with
  // no known member are ignored, as etcd does.
  void Handle(const etcdserverpb::WatchRequest& request);
  // The progress-notify interval elapsed.
  void ProgressTick();
  // Everything ready to send now, in order; empty when nothing is.
  std::vector<etcdserverpb::WatchResponse> Poll();

  size_t watch_count() const;

 private:
  class Signal;
  struct Watch {
    int64_t id = 0;
    std::shared_ptr<mvcc::Watcher> watcher;
    bool no_put = false;
    bool no_delete = false;
    bool progress_notify = false;
    bool fragment = false;
    bool sent_since_tick = false;  // etcd elides the next progress notification then
    bool progress_due = false;
    bool announced = false;  // its created response was handed out by Poll
  };
  // An answer to a request, in the order requests came: either a finished response, or a
  // progress request whose revision is read when it is sent.
  struct Control {
    etcdserverpb::WatchResponse response;
    bool progress_request = false;
  };

  void Create(const etcdserverpb::WatchCreateRequest& request) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Cancel(int64_t watch_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t NextAutoId() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  etcdserverpb::WatchResponse NewResponse(int64_t revision, int64_t watch_id) const;
  // Takes what the watcher buffered and appends its responses. Returns false when the watch
  // ended (compacted) and must be forgotten.
  bool DrainWatch(Watch& watch, std::vector<etcdserverpb::WatchResponse>* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DrainWatches(const std::vector<int64_t>& ids, std::vector<etcdserverpb::WatchResponse>* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mvcc::Store* const store_;
  const HeaderSource header_;
  const WatchStreamOptions options_;
  // Shared with the store's watcher callbacks, which may outlive the stream briefly.
  const std::shared_ptr<Signal> signal_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<int64_t, Watch> watches_ ABSL_GUARDED_BY(mu_);
  std::vector<Control> control_ ABSL_GUARDED_BY(mu_);
  int64_t next_auto_id_ ABSL_GUARDED_BY(mu_) = 0;
};

// etcd's sendFragments: `response` as one message if it is below `max_bytes` or has fewer
// than two events, else as consecutive messages that each stay below `max_bytes` (or hold
// a single event), all but the last with fragment=true.
std::vector<etcdserverpb::WatchResponse> SplitIntoFragments(etcdserverpb::WatchResponse response,
                                                            size_t max_bytes);

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_WATCH_STREAM_H_
