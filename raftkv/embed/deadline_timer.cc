#include "raftkv/embed/deadline_timer.h"

namespace raftkv::internal {

DeadlineTimer::DeadlineTimer() : thread_([this] { Run(); }) {}

DeadlineTimer::~DeadlineTimer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

DeadlineTimer::Id DeadlineTimer::At(Deadline deadline, std::function<void()> fire) {
  std::lock_guard lock(mu_);
  Id id{deadline, next_id_++};
  const bool earliest = pending_.empty() || id < pending_.begin()->first;
  pending_.emplace(id, std::move(fire));
  if (earliest) changed_.notify_all();
  return id;
}

void DeadlineTimer::Cancel(const Id& id) {
  std::lock_guard lock(mu_);
  pending_.erase(id);
}

void DeadlineTimer::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (pending_.empty()) {
      changed_.wait(lock);
      continue;
    }
    auto first = pending_.begin();
    if (Clock::now() < first->first.first) {
      changed_.wait_until(lock, first->first.first);
      continue;
    }
    std::function<void()> fire = std::move(first->second);
    pending_.erase(first);
    lock.unlock();
    fire();
    lock.lock();
  }
}

}  // namespace raftkv::internal
