#include "orchestrator/controllers/queue_workers.h"

#include <atomic>

#include "orchestrator/client/api_error.h"
#include "spdlog/spdlog.h"

namespace orch::controllers {

QueueWorkers::QueueWorkers(std::string controller, client::WorkQueue& queue, SyncFunction sync)
    : controller_(std::move(controller)), queue_(queue), sync_(std::move(sync)) {}

QueueWorkers::~QueueWorkers() {
  Stop();
}

void QueueWorkers::Start(int count) {
  for (int i = 0; i < count; ++i)
    threads_.emplace_back([this] { Work(); });
}

void QueueWorkers::Stop() {
  queue_.ShutDown();
  for (std::thread& thread : threads_)
    thread.join();
  threads_.clear();
}

void QueueWorkers::Work() {
  while (std::optional<std::string> key = queue_.Get()) {
    absl::Status status = sync_(*key);
    if (status.ok()) {
      queue_.Forget(*key);
    } else {
      // A conflict only means our cache was behind: the retry reads the newer object.
      if (client::IsConflict(status)) {
        spdlog::debug("controller-manager: {} {}: {}", controller_, *key, status.ToString());
      } else {
        spdlog::warn("controller-manager: {} sync {} failed, retrying: {}", controller_, *key,
                     status.ToString());
      }
      queue_.AddRateLimited(*key);
    }
    queue_.Done(*key);
  }
}

void RunParallel(size_t count, size_t max_threads, const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  auto drain = [&] {
    for (size_t i = next++; i < count; i = next++)
      fn(i);
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < std::min(count, max_threads); ++i)
    threads.emplace_back(drain);
  drain();
  for (std::thread& thread : threads)
    thread.join();
}

}  // namespace orch::controllers
