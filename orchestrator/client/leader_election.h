// Leader election through a coordination.k8s.io/v1 Lease object, as client-go's: the holder
// renews spec.renewTime every `retry_period`; another candidate takes the Lease once it has
// not been renewed for `lease_duration` (the Lease's spec.leaseDurationSeconds, which the holder
// writes from its own lease_duration; measured by the candidate's own clock since it last saw
// the Lease change, so clocks need not agree). A leader that cannot renew within `renew_deadline`
// stops leading (on_stopped_leading) before anyone else can take over.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "orchestrator/client/client.h"

namespace orch::client {

struct LeaderElectionConfig {
  std::string lease_namespace = "kube-system";
  std::string lease_name;  // "orch-scheduler", "orch-controller-manager"
  std::string identity;    // unique per candidate: hostname + pid
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
  // Called on the elector's thread when this candidate becomes the leader; the candidate
  // leads until on_stopped_leading.
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  // Every change of holder seen, including this candidate's own.
  std::function<void(const std::string& holder)> on_new_leader;
};

class LeaderElector {
 public:
  LeaderElector(Client& client, LeaderElectionConfig config);
  ~LeaderElector();  // Stop()
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Starts campaigning on a background thread (the Lease's namespace is created if missing).
  void Start();
  // Stops; a leader releases the Lease (empties holderIdentity) so a successor need not wait.
  void Stop();
  bool IsLeader() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orch::client
