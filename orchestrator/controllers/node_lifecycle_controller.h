// The node lifecycle controller (contract "Nodes and kubelets"): every node_monitor_period it
// checks each node's heartbeat Lease (kube-node-lease/<node>). A Lease not renewed within
// node_monitor_grace_period, by this controller's own clock since it last saw the Lease
// change, makes the node's conditions Unknown; Ready Unknown/False brings the unreachable /
// not-ready taints (NoSchedule, NoExecute); pods on a node unhealthy for pod_eviction_timeout
// are deleted gracefully so that their ReplicaSets replace them. spec.unschedulable brings
// node.kubernetes.io/unschedulable:NoSchedule.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "orchestrator/controllers/controller.h"

namespace orch::controllers {

class NodeLifecycleController : public Controller {
 public:
  explicit NodeLifecycleController(ControllerContext context);
  ~NodeLifecycleController() override;

  std::string_view name() const override { return "nodelifecycle"; }
  void Run() override;
  void Stop() override;

 private:
  // One pass over every node, on the monitor thread.
  void MonitorNodes(absl::Time now);
  struct Heartbeat {
    std::string renew_time;  // the Lease's spec.renewTime last seen
    absl::Time observed;     // when this controller saw it change
  };

  void MonitorNode(const api::Json& node, absl::Time now);
  void EvictPods(const api::Json& node, absl::Time now);

  ControllerContext context_;
  client::Informer& nodes_;
  client::Informer& leases_;
  client::Informer& pods_;
  // Owned by the monitor thread.
  std::map<std::string, Heartbeat> heartbeats_;
  std::map<std::string, absl::Time> unhealthy_since_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace orch::controllers
