// Hollow mode (as Kubernetes' kubemark): one process registers N nodes, renews their Leases,
// and reports the pods bound to them Running and Ready without starting any process; a pod
// being deleted is removed at once. One informer watches the pods of all its nodes. A pool of
// heartbeat threads registers the nodes and renews each one's Lease and status once per
// interval, the nodes spread evenly over the interval, so one process stands in for N
// kubelets without a pass over all nodes outlasting the node-monitor grace period. For scale
// tests of the control plane.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orchestrator/api/types.h"
#include "orchestrator/client/config.h"

namespace orch::kubelet {

struct HollowConfig {
  client::ClientConfig client;
  int count = 1;
  std::string name_prefix = "hollow-";  // nodes hollow-0 ... hollow-<count-1>
  std::optional<api::Quantity> cpu;     // per node; default 4 cores
  std::optional<api::Quantity> memory;  // per node; default 16Gi
  int64_t max_pods = 110;
  std::map<std::string, std::string> node_labels;
  absl::Duration lease_renew_interval = absl::Seconds(10);
  absl::Duration status_update_interval = absl::Seconds(10);
  int heartbeat_workers = 16;   // threads registering nodes, renewing Leases and node statuses
  int pod_status_workers = 16;  // threads writing pod statuses
};

// The pod CIDR of hollow node `index`: 10.<index/256>.<index%256>.0/24.
std::string HollowPodCidr(int index);

class HollowNodes {
 public:
  static absl::StatusOr<std::unique_ptr<HollowNodes>> Start(HollowConfig config);
  ~HollowNodes();  // Stop()
  HollowNodes(const HollowNodes&) = delete;
  HollowNodes& operator=(const HollowNodes&) = delete;
  void Stop();

  struct Impl;
  explicit HollowNodes(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace orch::kubelet
