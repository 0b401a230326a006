// Worker threads that drain a controller's WorkQueue: each key is synced by one worker at a
// time; a failed sync puts the key back after its back-off, a good one resets the back-off.
#pragma once

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "orchestrator/client/work_queue.h"

namespace orch::controllers {

class QueueWorkers {
 public:
  using SyncFunction = std::function<absl::Status(const std::string& key)>;

  // `controller` names the controller in logs.
  QueueWorkers(std::string controller, client::WorkQueue& queue, SyncFunction sync);
  ~QueueWorkers();  // Stop()
  QueueWorkers(const QueueWorkers&) = delete;
  QueueWorkers& operator=(const QueueWorkers&) = delete;

  void Start(int count);
  // Shuts the queue down and joins the workers (a sync in progress finishes first).
  void Stop();

 private:
  void Work();

  std::string controller_;
  client::WorkQueue& queue_;
  SyncFunction sync_;
  std::vector<std::thread> threads_;
};

// Runs fn(0) ... fn(count - 1) on up to `max_threads` threads and waits for all.
void RunParallel(size_t count, size_t max_threads, const std::function<void(size_t)>& fn);

}  // namespace orch::controllers
