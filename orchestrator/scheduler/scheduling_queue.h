// The pods waiting to be scheduled, as upstream's PriorityQueue:
//   active         ready now, popped by priority (higher first), then creation (older first);
//   backoff        failed recently, active again once their back-off (1 s doubling to 10 s by
//                  default) has passed;
//   unschedulable  fit nowhere; they wait for a change in the cluster (MoveAllToActive, on a
//                  node or pod event) and are retried anyway after `unschedulable_timeout`.
// A pod that failed while a cluster change happened during its attempt goes to backoff rather
// than unschedulable, so the change is not missed. Thread-safe; Pop blocks.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "orchestrator/scheduler/pod_info.h"

namespace orch::scheduler {

struct QueueOptions {
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(10);
  absl::Duration unschedulable_timeout = absl::Seconds(60);
};

struct QueuedPod {
  PodInfo pod;
  int64_t attempts = 0;  // scheduling attempts so far, this one included once popped
  int64_t cycle = 0;     // the scheduling cycle of the attempt (set by Pop)
};

struct QueueCounts {
  size_t active = 0;
  size_t backoff = 0;
  size_t unschedulable = 0;
  size_t in_flight = 0;
};

class SchedulingQueue {
 public:
  explicit SchedulingQueue(QueueOptions options = {});

  // A pending pod was added or changed. A changed pod that waits as unschedulable is tried
  // again (the change may make it fit); a pod being scheduled keeps the newest version for
  // its next attempt.
  void AddOrUpdate(PodInfo pod);
  // The pod is gone, bound elsewhere, or no longer ours.
  void Delete(const std::string& key);

  // The next pod to schedule, blocking; nullopt once Close was called.
  std::optional<QueuedPod> Pop();
  // The attempt of a popped pod ended with a binding on its way.
  void Done(const std::string& key);
  // The attempt of a popped pod failed: it fit nowhere (unschedulable = true), or something
  // else went wrong (the binding failed), which always backs off.
  void Requeue(QueuedPod pod, bool unschedulable);
  // Something in the cluster changed that may let waiting pods fit.
  void MoveAllToActive();

  void Close();
  QueueCounts Counts() const;

 private:
  // Active order: higher priority, then older, then first queued.
  using ActiveKey = std::tuple<int64_t, absl::Time, uint64_t>;  // (-priority, created, seq)
  struct InFlight {
    std::optional<PodInfo> updated;
    bool deleted = false;
  };

  absl::Duration BackoffFor(int64_t attempts) const;
  void PushActiveLocked(QueuedPod pod);
  void PushBackoffLocked(QueuedPod pod);
  void RemoveLocked(const std::string& key);
  // Moves due back-off pods and timed-out unschedulable pods to active.
  void FlushLocked(absl::Time now);

  const QueueOptions options_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  bool closed_ = false;
  uint64_t next_seq_ = 0;
  int64_t scheduling_cycle_ = 0;
  int64_t move_request_cycle_ = -1;
  absl::Time last_unschedulable_scan_ = absl::InfinitePast();

  std::map<ActiveKey, QueuedPod> active_;
  absl::flat_hash_map<std::string, ActiveKey> active_keys_;
  std::multimap<absl::Time, std::string> backoff_order_;  // by expiry
  struct Backoff {
    QueuedPod pod;
    absl::Time expiry;
  };
  absl::flat_hash_map<std::string, Backoff> backoff_;
  struct Unschedulable {
    QueuedPod pod;
    absl::Time since;
  };
  absl::flat_hash_map<std::string, Unschedulable> unschedulable_;
  absl::flat_hash_map<std::string, InFlight> in_flight_;
};

}  // namespace orch::scheduler
