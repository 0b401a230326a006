// Several scheduler replicas may run; the one holding the Lease kube-system/orch-scheduler
// schedules. Each leadership term runs a fresh Scheduler (its cache rebuilt from the
// informers' lists); losing the Lease stops the term, and the replica keeps campaigning.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "orchestrator/client/client.h"
#include "orchestrator/client/leader_election.h"
#include "orchestrator/scheduler/blocking_queue.h"
#include "orchestrator/scheduler/scheduler.h"

namespace orch::scheduler {

class ElectedScheduler {
 public:
  // `election` names the Lease and identity and gives the durations; its callbacks are
  // replaced by this class's own.
  ElectedScheduler(client::Client& client, SchedulerOptions options,
                   client::LeaderElectionConfig election);
  ~ElectedScheduler();  // Stop()
  ElectedScheduler(const ElectedScheduler&) = delete;
  ElectedScheduler& operator=(const ElectedScheduler&) = delete;

  void Start();
  // Stops scheduling first, then releases the Lease so a successor need not wait for it.
  void Stop();
  // A term is running: this replica leads and its caches are synced.
  bool IsScheduling() const { return scheduling_.load(); }
  // The stats of the running term, if any.
  std::optional<SchedulerStats> TermStats() const;

 private:
  enum class TermChange { kStart, kStop };
  void TermLoop();

  client::Client& client_;
  const SchedulerOptions options_;
  const std::string identity_;
  BlockingQueue<TermChange> changes_;
  std::unique_ptr<client::LeaderElector> elector_;
  std::thread term_thread_;
  mutable std::mutex term_mu_;
  std::unique_ptr<Scheduler> term_;   // guarded by term_mu_; replaced only by the term thread
  std::atomic<bool> leading_{false};  // as the elector last said
  std::atomic<bool> scheduling_{false};
  std::atomic<bool> stopped_{false};
};

}  // namespace orch::scheduler
