#ifndef RAFTKV_LEASE_H_
#define RAFTKV_LEASE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "raftkv/key_value.h"

namespace raftkv {

// A lease is a TTL the cluster counts down; keys attached to it are deleted when it expires
// or is revoked. Keep-alives restart the countdown.

struct LeaseGrantOptions {
  int64_t id = 0;  // the lease id to use (0: the cluster picks one)
};

struct LeaseGrantResponse {
  ResponseHeader header;
  int64_t id = 0;
  int64_t ttl = 0;  // seconds, as granted (the cluster may raise a small one to its minimum)
};

struct LeaseRevokeResponse {
  ResponseHeader header;
};

struct LeaseTimeToLiveResponse {
  ResponseHeader header;
  int64_t id = 0;
  int64_t ttl = 0;                // seconds left; -1 when the lease does not exist (expired)
  int64_t granted_ttl = 0;        // seconds it was granted with
  std::vector<std::string> keys;  // with `keys` requested
};

struct LeaseKeepAliveResponse {
  ResponseHeader header;
  int64_t id = 0;
  int64_t ttl = 0;  // seconds the lease has from now
};

// Called after each keep-alive round of a LeaseKeepAlive: the response, or the error. A
// NotFound error ("etcdserver: requested lease not found") is final: the lease is gone.
// Runs on the keep-alive's thread; must not destroy its own LeaseKeepAlive.
using KeepAliveCallback = std::function<void(const absl::StatusOr<LeaseKeepAliveResponse>&)>;

// Keeps a lease alive in the background (KV::KeepAlive): renews it every third of its TTL,
// retrying failed rounds, until destroyed or until the lease is found gone. Thread-safe.
class LeaseKeepAlive {
 public:
  virtual ~LeaseKeepAlive() = default;  // stops renewing (does not revoke)
  virtual int64_t lease() const = 0;
  // False once the cluster said the lease is gone (expired or revoked); it is then not
  // renewed any more.
  virtual bool alive() const = 0;
};

}  // namespace raftkv

#endif  // RAFTKV_LEASE_H_
