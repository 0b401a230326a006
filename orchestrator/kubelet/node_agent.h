// A node's presence in the API: the Node object (registration and status) and its Lease in
// kube-node-lease (the heartbeat the node lifecycle controller watches). Used by the kubelet
// for its node and by hollow mode for many nodes.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/types.h"
#include "orchestrator/client/client.h"

namespace orch::kubelet {

struct NodeConfig {
  std::string name;
  std::map<std::string, std::string> labels;  // besides the kubernetes.io/* ones
  std::vector<api::Taint> taints;             // registered when the node is created
  std::string pod_cidr;
  int64_t kubelet_port = 0;
  api::ResourceList capacity;  // cpu, memory, pods
  // annotation orch.raftkv.io/resource-limits: "enforced (cgroup v2)" or why not
  std::string limits_note;
  int64_t lease_duration_seconds = 40;
};

// The machine's capacity, each value overridable: cpu (cores), memory (bytes of MemTotal),
// pods.
api::ResourceList MachineCapacity(const std::optional<api::Quantity>& cpu,
                                  const std::optional<api::Quantity>& memory, int64_t max_pods);

// The Node document registered for `config` (metadata, spec and a fresh status).
api::Json NodeDocument(const NodeConfig& config, absl::Time now);
// The status of a healthy node, conditions with lastHeartbeatTime `now`; lastTransitionTime
// kept from `previous` (a node status) while the condition is unchanged.
api::Json NodeStatusDocument(const NodeConfig& config, const api::Json& previous, absl::Time now);
// Lease renewTime: RFC 3339 with microseconds (metav1.MicroTime).
std::string FormatMicroTime(absl::Time time);

class NodeAgent {
 public:
  NodeAgent(client::Client& client, NodeConfig config);

  // Creates the Node, or updates the labels, pod CIDR and status of an existing one.
  absl::Status Register();
  // Writes the status (heartbeat times, capacity, port) through the status subresource.
  absl::Status UpdateStatus();
  // Creates or renews the Lease kube-node-lease/<node>.
  absl::Status RenewLease();

  const NodeConfig& config() const { return config_; }
  bool registered() const { return registered_; }

 private:
  client::Client& client_;
  NodeConfig config_;
  bool registered_ = false;
  std::string node_uid_;
  api::Json last_status_ = api::Json::object();
  std::optional<api::Json> lease_;  // the last Lease written (its resourceVersion)
};

}  // namespace orch::kubelet
