#ifndef RAFTKV_SERVER_EVENT_QUEUE_H_
#define RAFTKV_SERVER_EVENT_QUEUE_H_

#include <chrono>
#include <deque>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace raftkv::server {

// A multi-producer, single-consumer queue: the hand-off from other threads to the one thread
// that owns some state (the raft thread, the apply thread). The consumer takes everything at
// once, so a burst of requests becomes one batch.
template <typename Event>
class EventQueue {
 public:
  void Push(Event e) {
    absl::MutexLock lock(&mu_);
    events_.push_back(std::move(e));
  }

  // Waits until there is an event or `deadline` passes, then takes every queued event.
  std::vector<Event> TakeAll(std::chrono::steady_clock::time_point deadline) {
    absl::Duration timeout = absl::FromChrono(deadline - std::chrono::steady_clock::now());
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(this, &EventQueue::HasEvents), timeout);
    std::vector<Event> out(std::make_move_iterator(events_.begin()),
                           std::make_move_iterator(events_.end()));
    events_.clear();
    return out;
  }

 private:
  bool HasEvents() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !events_.empty(); }

  absl::Mutex mu_;
  std::deque<Event> events_ ABSL_GUARDED_BY(mu_);
};

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_EVENT_QUEUE_H_
