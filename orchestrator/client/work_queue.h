// The queue of keys a controller reconciles, as client-go's workqueue: a key is queued at
// most once however often it is added; a key being processed is not handed to a second
// worker, and if it is added meanwhile it is queued again when Done is called. Failed keys
// come back after a per-key exponential back-off.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/time/time.h"

namespace orch::client {

class WorkQueue {
 public:
  // Back-off for AddRateLimited: base * 2^failures, capped at `max_delay`.
  explicit WorkQueue(absl::Duration base_delay = absl::Milliseconds(5),
                     absl::Duration max_delay = absl::Seconds(30));
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Add(const std::string& key);
  void AddAfter(const std::string& key, absl::Duration delay);
  // After a failed reconcile: again after the key's back-off, which doubles each time.
  void AddRateLimited(const std::string& key);
  // After a successful reconcile: the key's back-off starts over.
  void Forget(const std::string& key);

  // The next key, blocking; nullopt once ShutDown was called.
  std::optional<std::string> Get();
  // The worker finished with `key` (whether or not it succeeded).
  void Done(const std::string& key);
  // Wakes every Get with nullopt; later adds are ignored.
  void ShutDown();

  size_t Length() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orch::client
