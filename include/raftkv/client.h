#ifndef RAFTKV_CLIENT_H_
#define RAFTKV_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "raftkv/kv.h"

namespace raftkv {

struct ClientOptions {
  // "host:port" of cluster members' client URLs (an "http://" prefix is accepted). Calls go
  // to one member; on failure the client moves on to the next.
  std::vector<std::string> endpoints;
  // How long to wait for a connection to one member before trying the next.
  std::chrono::milliseconds dial_timeout{2000};
  // The deadline of calls made without one.
  std::chrono::milliseconds request_timeout{5000};
  // Threads that run the callbacks of the callback forms (and fulfil the futures). Every call
  // is an asynchronous gRPC call, so any number may be in flight whatever this is; callbacks
  // never run on gRPC's threads nor inline on the caller's. Blocking calls wait on the
  // caller's thread and do not use these threads (so they work inside a callback).
  int async_threads = 4;
};

// Connects to a cluster over etcd's v3 gRPC API (raftkv or etcd itself). Fails only on bad
// options: members need not be up yet; calls wait for one until their deadline.
//
// Failover and retries: a call goes to the member that last answered. A member that cannot
// be reached within dial_timeout, or that answers Unavailable, is left for the next one, as
// long as the call's deadline allows:
//  - reads (Get, LeaseTimeToLive) and keep-alives are retried on any Unavailable;
//  - writes (Put, Delete, Txn, Compact, LeaseGrant, LeaseRevoke) are retried only when they
//    certainly did not reach the state machine: the member could not be connected to before
//    sending, or it refused with "no leader" / "leader changed" (refused proposals). Any
//    other failure of a write is returned, since retrying could apply it twice.
// Watches reconnect (to any member, with backoff) until canceled, resuming after the last
// revision delivered.
absl::StatusOr<std::unique_ptr<KV>> Connect(const ClientOptions& options);

}  // namespace raftkv

#endif  // RAFTKV_CLIENT_H_
