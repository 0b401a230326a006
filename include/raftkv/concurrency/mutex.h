#ifndef RAFTKV_CONCURRENCY_MUTEX_H_
#define RAFTKV_CONCURRENCY_MUTEX_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "raftkv/concurrency/session.h"
#include "raftkv/txn.h"

namespace raftkv::concurrency {

// A distributed lock, key for key etcd's concurrency.Mutex, so it excludes `etcdctl lock
// NAME` (and any etcd client's Mutex) on the same name: each waiter puts
// "<name>/<session lease id in hex>" (empty value, on its lease); the key with the lowest
// create revision holds the lock; a waiter waits for the deletion of the key created just
// before its own. Fair (FIFO). Holding ends at Unlock or when the session's lease ends.
// One Mutex object serves one holder at a time; not thread-safe.
class Mutex {
 public:
  Mutex(Session& session, std::string_view name);

  // Waits until this session holds the lock, or until `deadline` (Deadline{}: no limit;
  // DeadlineExceeded then, and the waiter's key is removed). Locking again while holding it
  // succeeds at once.
  absl::Status Lock(Deadline deadline = {});
  // Takes the lock only if it is free: FailedPrecondition "mutex: Locked by another session"
  // otherwise.
  absl::Status TryLock(Deadline deadline = {});
  absl::Status Unlock(Deadline deadline = {});

  // This holder's key ("<name>/<lease hex>") and its create revision (the lock's revision).
  const std::string& key() const { return key_; }
  int64_t revision() const { return revision_; }
  // A txn condition that holds while this session owns the lock: guard writes with it.
  Compare IsOwner() const;

 private:
  // Puts this session's key (or finds it) and learns the current owner.
  absl::StatusOr<bool> Enqueue(Deadline deadline);

  Session& session_;
  const std::string prefix_;  // "<name>/"
  std::string key_;
  int64_t revision_ = -1;
};

}  // namespace raftkv::concurrency

#endif  // RAFTKV_CONCURRENCY_MUTEX_H_
