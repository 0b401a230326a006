#include "raftkv/server/worker_pool.h"

namespace raftkv::server {

WorkerPool::WorkerPool(int threads) {
  for (int i = 0; i < threads; ++i)
    threads_.emplace_back([this] { Loop(); });
}

WorkerPool::~WorkerPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (auto& t : threads_)
    t.join();
}

void WorkerPool::Submit(std::function<void()> work) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(work));
}

void WorkerPool::Loop() {
  for (;;) {
    std::vector<std::function<void()>> batch;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &WorkerPool::HasWorkOrStopping));
      if (queue_.empty()) return;  // stopping, and everything queued has run
      // Take one item, so that several threads share a burst.
      batch.push_back(std::move(queue_.front()));
      queue_.erase(queue_.begin());
    }
    for (auto& work : batch)
      work();
  }
}

}  // namespace raftkv::server
