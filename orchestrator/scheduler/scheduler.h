// The scheduler for one leadership term: informers on nodes and pods feed the cache and the
// queue; one scheduling thread pops pods, picks a node and assumes the pod there; binder
// threads post pods/binding (and Unschedulable conditions and Events) asynchronously, so the
// rate is not bound by one round trip. A new term starts from a fresh Scheduler, which
// rebuilds its cache from the informers' lists.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "orchestrator/api/json.h"
#include "orchestrator/client/client.h"
#include "orchestrator/client/event_recorder.h"
#include "orchestrator/client/informer.h"
#include "orchestrator/scheduler/blocking_queue.h"
#include "orchestrator/scheduler/cache.h"
#include "orchestrator/scheduler/scheduling_queue.h"

namespace orch::scheduler {

struct SchedulerOptions {
  // Pods whose spec.schedulerName names another scheduler are left alone.
  std::string scheduler_name = "default-scheduler";
  int binder_threads = 32;
  QueueOptions queue;
  // How long Start waits for the first lists of nodes and pods.
  absl::Duration sync_timeout = absl::Seconds(60);
};

struct SchedulerStats {
  int64_t bound = 0;          // bindings the server accepted
  int64_t bind_failures = 0;  // bindings refused or failed (the pod is retried or dropped)
  int64_t unschedulable = 0;  // attempts that found no node
};

class Scheduler {
 public:
  Scheduler(client::Client& client, SchedulerOptions options);
  ~Scheduler();  // Stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Starts the informers, waits for their first lists, then starts scheduling.
  // DeadlineExceeded when the lists do not arrive within sync_timeout (then stopped).
  absl::Status Start();
  // Stops scheduling; bindings already handed to the binders are finished first.
  void Stop();

  SchedulerStats stats() const;
  const SchedulerCache& cache() const { return cache_; }
  QueueCounts queue_counts() const { return queue_.Counts(); }

 private:
  struct BindTask {
    QueuedPod pod;
    std::string node_name;
  };
  struct UnschedulableTask {
    api::Json pod;
    std::string message;
  };
  using Task = std::variant<BindTask, UnschedulableTask>;

  void OnNode(const api::Json* old_node, const api::Json& node);
  void OnNodeDeleted(const api::Json& node);
  void OnPod(const api::Json& pod);
  void OnPodDeleted(const api::Json& pod);

  void ScheduleLoop();
  void ScheduleOne(QueuedPod queued, absl::BitGenRef random);
  void BinderLoop();
  void Bind(BindTask task);
  void ReportUnschedulable(const UnschedulableTask& task);

  client::Client& client_;
  const SchedulerOptions options_;
  SchedulerCache cache_;
  SchedulingQueue queue_;
  BlockingQueue<Task> tasks_;
  client::EventRecorder recorder_;
  std::unique_ptr<client::Informer> node_informer_;
  std::unique_ptr<client::Informer> pod_informer_;
  std::thread scheduling_thread_;
  std::vector<std::thread> binder_threads_;
  std::atomic<bool> stopped_{false};
  std::atomic<int64_t> bound_{0};
  std::atomic<int64_t> bind_failures_{0};
  std::atomic<int64_t> unschedulable_{0};
};

}  // namespace orch::scheduler
