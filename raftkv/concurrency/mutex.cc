#include "raftkv/concurrency/mutex.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "raftkv/concurrency/wait.h"

namespace raftkv::concurrency {

using internal::CallDeadline;

Mutex::Mutex(Session& session, std::string_view name)
    : session_(session), prefix_(std::string(name) + "/") {}

absl::StatusOr<bool> Mutex::Enqueue(Deadline deadline) {
  key_ = absl::StrFormat("%s%x", prefix_, session_.lease());
  TxnRequest txn;
  // Put this session among the waiters unless it already is (it may hold the lock), and
  // fetch the owner in the same round trip.
  txn.compare.push_back(Compare::CreateRevision(key_, Compare::Result::kEqual, 0));
  PutOptions put;
  put.lease = session_.lease();
  txn.success = {Op::Put(key_, "", put), Op::Get(prefix_, internal::FirstCreated(prefix_))};
  txn.failure = {Op::Get(key_), Op::Get(prefix_, internal::FirstCreated(prefix_))};
  absl::StatusOr<TxnResponse> response = session_.kv().Txn(txn, {CallDeadline(deadline)});
  if (!response.ok()) return response.status();
  revision_ = response->header.revision;
  if (!response->succeeded) revision_ = response->responses[0].get.kvs.at(0).create_revision;
  const auto& owner = response->responses[1].get.kvs;
  return owner.empty() || owner[0].create_revision == revision_;
}

absl::Status Mutex::Lock(Deadline deadline) {
  absl::StatusOr<bool> owner = Enqueue(deadline);
  if (!owner.ok()) return owner.status();
  if (*owner) return absl::OkStatus();
  absl::Status waited = internal::WaitDeletes(session_.kv(), prefix_, revision_ - 1, deadline);
  if (!waited.ok()) {
    Unlock().IgnoreError();  // leave the queue; the original error is what matters
    return waited;
  }
  return absl::OkStatus();
}

absl::Status Mutex::TryLock(Deadline deadline) {
  absl::StatusOr<bool> owner = Enqueue(deadline);
  if (!owner.ok()) return owner.status();
  if (*owner) return absl::OkStatus();
  Unlock().IgnoreError();
  return absl::FailedPreconditionError("mutex: Locked by another session");
}

absl::Status Mutex::Unlock(Deadline deadline) {
  if (key_.empty()) return absl::OkStatus();
  absl::StatusOr<DeleteResponse> deleted =
      session_.kv().Delete(key_, DeleteOptions{.deadline = CallDeadline(deadline)});
  if (!deleted.ok()) return deleted.status();
  key_.clear();
  revision_ = -1;
  return absl::OkStatus();
}

Compare Mutex::IsOwner() const {
  return Compare::CreateRevision(key_, Compare::Result::kEqual, revision_);
}

}  // namespace raftkv::concurrency
