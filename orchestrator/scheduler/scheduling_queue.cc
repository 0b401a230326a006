#include "orchestrator/scheduler/scheduling_queue.h"

#include <algorithm>
#include <utility>

namespace orch::scheduler {
namespace {

// Timed-out unschedulable pods are looked for at most this often (the scan is linear).
constexpr absl::Duration kUnschedulableScanPeriod = absl::Seconds(1);

}  // namespace

SchedulingQueue::SchedulingQueue(QueueOptions options) : options_(options) {}

absl::Duration SchedulingQueue::BackoffFor(int64_t attempts) const {
  absl::Duration backoff = options_.initial_backoff;
  for (int64_t i = 1; i < attempts && backoff < options_.max_backoff; ++i)
    backoff *= 2;
  return std::min(backoff, options_.max_backoff);
}

void SchedulingQueue::AddOrUpdate(PodInfo pod) {
  std::lock_guard lock(mu_);
  if (closed_) return;
  if (auto it = in_flight_.find(pod.key); it != in_flight_.end()) {
    it->second.updated = std::move(pod);
    return;
  }
  if (auto it = active_keys_.find(pod.key); it != active_keys_.end()) {
    auto entry = active_.find(it->second);
    QueuedPod queued{std::move(pod), entry->second.attempts, 0};
    active_.erase(entry);
    active_keys_.erase(it);
    PushActiveLocked(std::move(queued));
  } else if (auto backoff = backoff_.find(pod.key); backoff != backoff_.end()) {
    backoff->second.pod.pod = std::move(pod);
  } else if (auto waiting = unschedulable_.find(pod.key); waiting != unschedulable_.end()) {
    QueuedPod queued{std::move(pod), waiting->second.pod.attempts, 0};
    const absl::Time since = waiting->second.since;
    unschedulable_.erase(waiting);
    if (absl::Now() < since + BackoffFor(queued.attempts)) {
      PushBackoffLocked(std::move(queued));
    } else {
      PushActiveLocked(std::move(queued));
    }
  } else {
    PushActiveLocked(QueuedPod{std::move(pod), 0, 0});
  }
  changed_.notify_one();
}

void SchedulingQueue::Delete(const std::string& key) {
  std::lock_guard lock(mu_);
  if (auto it = in_flight_.find(key); it != in_flight_.end()) {
    it->second.deleted = true;
    return;
  }
  RemoveLocked(key);
}

std::optional<QueuedPod> SchedulingQueue::Pop() {
  std::unique_lock lock(mu_);
  while (true) {
    if (closed_) return std::nullopt;
    const absl::Time now = absl::Now();
    FlushLocked(now);
    if (!active_.empty()) {
      auto entry = active_.begin();
      QueuedPod pod = std::move(entry->second);
      active_.erase(entry);
      active_keys_.erase(pod.pod.key);
      ++pod.attempts;
      pod.cycle = ++scheduling_cycle_;
      in_flight_[pod.pod.key] = InFlight{};
      return pod;
    }
    absl::Time wake = now + kUnschedulableScanPeriod;
    if (!backoff_order_.empty()) wake = std::min(wake, backoff_order_.begin()->first);
    changed_.wait_until(lock, absl::ToChronoTime(wake));
  }
}

void SchedulingQueue::Done(const std::string& key) {
  std::lock_guard lock(mu_);
  in_flight_.erase(key);
}

void SchedulingQueue::Requeue(QueuedPod pod, bool unschedulable) {
  std::lock_guard lock(mu_);
  if (closed_) return;
  auto flight = in_flight_.find(pod.pod.key);
  if (flight != in_flight_.end()) {
    InFlight state = std::move(flight->second);
    in_flight_.erase(flight);
    if (state.deleted) return;
    if (state.updated.has_value()) {
      pod.pod = *std::move(state.updated);
      PushBackoffLocked(std::move(pod));
      return;
    }
  }
  if (!unschedulable || move_request_cycle_ >= pod.cycle) {
    PushBackoffLocked(std::move(pod));
    return;
  }
  std::string key = pod.pod.key;
  unschedulable_.insert_or_assign(std::move(key), Unschedulable{std::move(pod), absl::Now()});
}

void SchedulingQueue::MoveAllToActive() {
  std::lock_guard lock(mu_);
  const absl::Time now = absl::Now();
  for (auto& [key, waiting] : unschedulable_) {
    if (now < waiting.since + BackoffFor(waiting.pod.attempts)) {
      PushBackoffLocked(std::move(waiting.pod));
    } else {
      PushActiveLocked(std::move(waiting.pod));
    }
  }
  unschedulable_.clear();
  move_request_cycle_ = scheduling_cycle_;
  changed_.notify_one();
}

void SchedulingQueue::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  changed_.notify_all();
}

QueueCounts SchedulingQueue::Counts() const {
  std::lock_guard lock(mu_);
  return {active_.size(), backoff_.size(), unschedulable_.size(), in_flight_.size()};
}

void SchedulingQueue::PushActiveLocked(QueuedPod pod) {
  ActiveKey key{-pod.pod.priority, pod.pod.creation_time, next_seq_++};
  active_keys_[pod.pod.key] = key;
  active_.emplace(key, std::move(pod));
}

void SchedulingQueue::PushBackoffLocked(QueuedPod pod) {
  const absl::Time expiry = absl::Now() + BackoffFor(std::max<int64_t>(pod.attempts, 1));
  backoff_order_.emplace(expiry, pod.pod.key);
  std::string key = pod.pod.key;
  backoff_.insert_or_assign(std::move(key), Backoff{std::move(pod), expiry});
}

void SchedulingQueue::RemoveLocked(const std::string& key) {
  if (auto it = active_keys_.find(key); it != active_keys_.end()) {
    active_.erase(it->second);
    active_keys_.erase(it);
  }
  backoff_.erase(key);  // its backoff_order_ entry is skipped when it comes due
  unschedulable_.erase(key);
}

void SchedulingQueue::FlushLocked(absl::Time now) {
  while (!backoff_order_.empty() && backoff_order_.begin()->first <= now) {
    auto [expiry, key] = *backoff_order_.begin();
    backoff_order_.erase(backoff_order_.begin());
    auto it = backoff_.find(key);
    if (it == backoff_.end() || it->second.expiry != expiry) continue;  // removed or re-queued
    QueuedPod pod = std::move(it->second.pod);
    backoff_.erase(it);
    PushActiveLocked(std::move(pod));
  }
  if (now - last_unschedulable_scan_ < kUnschedulableScanPeriod) return;
  last_unschedulable_scan_ = now;
  for (auto it = unschedulable_.begin(); it != unschedulable_.end();) {
    if (now - it->second.since < options_.unschedulable_timeout) {
      ++it;
      continue;
    }
    PushActiveLocked(std::move(it->second.pod));
    unschedulable_.erase(it++);
  }
}

}  // namespace orch::scheduler
