#include "raftkv/concurrency/session.h"

namespace raftkv::concurrency {

absl::StatusOr<std::unique_ptr<Session>> Session::Create(KV& kv, const SessionOptions& options) {
  int64_t lease = options.lease;
  int64_t ttl = options.ttl_seconds;
  if (lease == 0) {
    absl::StatusOr<LeaseGrantResponse> granted =
        kv.LeaseGrant(options.ttl_seconds, {}, CallOptions{options.deadline});
    if (!granted.ok()) return granted.status();
    lease = granted->id;
    ttl = granted->ttl;
  }
  std::unique_ptr<Session> session(new Session(kv, lease, ttl));
  return session;
}

Session::Session(KV& kv, int64_t lease, int64_t ttl_seconds)
    : kv_(kv), lease_(lease), ttl_seconds_(ttl_seconds), keep_alive_(kv.KeepAlive(lease)) {}

Session::~Session() {
  Close().IgnoreError();  // best effort: the lease expires by itself otherwise
}

bool Session::alive() const {
  return keep_alive_ == nullptr ? !closed_ : keep_alive_->alive();
}

absl::Status Session::Close(Deadline deadline) {
  if (closed_) return absl::OkStatus();
  closed_ = true;
  keep_alive_.reset();
  absl::StatusOr<LeaseRevokeResponse> revoked = kv_.LeaseRevoke(lease_, CallOptions{deadline});
  return revoked.status();
}

void Session::Orphan() {
  closed_ = true;
  keep_alive_.reset();
}

}  // namespace raftkv::concurrency
