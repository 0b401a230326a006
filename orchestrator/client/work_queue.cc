#include "orchestrator/client/work_queue.h"

#include <deque>
#include <map>
#include <set>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace orch::client {

struct WorkQueue::Impl {
  Impl(absl::Duration base, absl::Duration max) : base_delay(base), max_delay(max) {}

  // Queues `key` unless it is queued already; a key being processed waits for Done.
  void AddLocked(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    if (shutting_down || !dirty.insert(key).second) return;
    if (processing.contains(key)) return;
    queue.push_back(key);
    changed.Signal();
  }

  // Keys whose delay has passed join the queue.
  void PromoteDueLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    while (!waiting.empty() && waiting.begin()->first <= now) {
      const std::string key = waiting.begin()->second;
      waiting.erase(waiting.begin());
      ready_at.erase(key);
      AddLocked(key);
    }
  }

  const absl::Duration base_delay;
  const absl::Duration max_delay;
  mutable absl::Mutex mutex;
  absl::CondVar changed;
  std::deque<std::string> queue ABSL_GUARDED_BY(mutex);
  absl::flat_hash_set<std::string> dirty ABSL_GUARDED_BY(mutex);       // queued or re-added
  absl::flat_hash_set<std::string> processing ABSL_GUARDED_BY(mutex);  // handed to a worker
  // Delayed keys by when they are due; a key waits once, at its earliest time.
  std::set<std::pair<absl::Time, std::string>> waiting ABSL_GUARDED_BY(mutex);
  absl::flat_hash_map<std::string, absl::Time> ready_at ABSL_GUARDED_BY(mutex);
  absl::flat_hash_map<std::string, int> failures ABSL_GUARDED_BY(mutex);
  bool shutting_down ABSL_GUARDED_BY(mutex) = false;
};

WorkQueue::WorkQueue(absl::Duration base_delay, absl::Duration max_delay)
    : impl_(std::make_unique<Impl>(base_delay, max_delay)) {}

WorkQueue::~WorkQueue() {
  ShutDown();
}

void WorkQueue::Add(const std::string& key) {
  absl::MutexLock lock(&impl_->mutex);
  impl_->AddLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, absl::Duration delay) {
  if (delay <= absl::ZeroDuration()) {
    Add(key);
    return;
  }
  absl::MutexLock lock(&impl_->mutex);
  if (impl_->shutting_down) return;
  const absl::Time due = absl::Now() + delay;
  auto [existing, inserted] = impl_->ready_at.try_emplace(key, due);
  if (!inserted) {
    if (existing->second <= due) return;
    impl_->waiting.erase({existing->second, key});
    existing->second = due;
  }
  impl_->waiting.emplace(due, key);
  // A Get waiting for a later key must wake to wait for this one instead.
  impl_->changed.SignalAll();
}

void WorkQueue::AddRateLimited(const std::string& key) {
  absl::Duration delay;
  {
    absl::MutexLock lock(&impl_->mutex);
    int& failures = impl_->failures[key];
    delay = impl_->base_delay;
    for (int i = 0; i < failures && delay < impl_->max_delay; ++i)
      delay *= 2;
    delay = std::min(delay, impl_->max_delay);
    ++failures;
  }
  AddAfter(key, delay);
}

void WorkQueue::Forget(const std::string& key) {
  absl::MutexLock lock(&impl_->mutex);
  impl_->failures.erase(key);
}

std::optional<std::string> WorkQueue::Get() {
  absl::MutexLock lock(&impl_->mutex);
  for (;;) {
    if (impl_->shutting_down) return std::nullopt;
    impl_->PromoteDueLocked(absl::Now());
    if (!impl_->queue.empty()) break;
    if (impl_->waiting.empty()) {
      impl_->changed.Wait(&impl_->mutex);
    } else {
      impl_->changed.WaitWithDeadline(&impl_->mutex, impl_->waiting.begin()->first);
    }
  }
  std::string key = std::move(impl_->queue.front());
  impl_->queue.pop_front();
  impl_->dirty.erase(key);
  impl_->processing.insert(key);
  return key;
}

void WorkQueue::Done(const std::string& key) {
  absl::MutexLock lock(&impl_->mutex);
  impl_->processing.erase(key);
  if (impl_->dirty.contains(key) && !impl_->shutting_down) {
    impl_->queue.push_back(key);
    impl_->changed.Signal();
  }
}

void WorkQueue::ShutDown() {
  absl::MutexLock lock(&impl_->mutex);
  impl_->shutting_down = true;
  impl_->changed.SignalAll();
}

size_t WorkQueue::Length() const {
  absl::MutexLock lock(&impl_->mutex);
  return impl_->queue.size();
}

}  // namespace orch::client
