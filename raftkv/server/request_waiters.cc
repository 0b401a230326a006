#include "raftkv/server/request_waiters.h"

namespace raftkv::server {

void RequestWaiters::Register(uint64_t id, Clock::time_point deadline, ApplyCompletion done) {
  absl::MutexLock lock(&mu_);
  waiters_[id] = Waiter{deadline, std::move(done)};
}

void RequestWaiters::Complete(uint64_t id, absl::StatusOr<ApplyResponse> result) {
  ApplyCompletion done;
  {
    absl::MutexLock lock(&mu_);
    auto node = waiters_.extract(id);
    if (node.empty()) return;
    done = std::move(node.mapped().done);
  }
  done(std::move(result));
}

void RequestWaiters::ExpireBefore(Clock::time_point now, const absl::Status& status) {
  std::vector<ApplyCompletion> expired;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->second.deadline < now) {
        expired.push_back(std::move(it->second.done));
        waiters_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  for (auto& done : expired)
    done(status);
}

void RequestWaiters::FailAll(const absl::Status& status) {
  absl::flat_hash_map<uint64_t, Waiter> all;
  {
    absl::MutexLock lock(&mu_);
    all.swap(waiters_);
  }
  for (auto& [id, w] : all)
    w.done(status);
}

size_t RequestWaiters::size() const {
  absl::MutexLock lock(&mu_);
  return waiters_.size();
}

}  // namespace raftkv::server
