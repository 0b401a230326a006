// One node as the scheduler sees it: what the Node offers (allocatable, labels, taints,
// cordon, readiness) and what the pods placed on it (bound or assumed) already request.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/types.h"
#include "orchestrator/scheduler/pod_info.h"

namespace orch::scheduler {

inline constexpr char kTaintNotReady[] = "node.kubernetes.io/not-ready";
inline constexpr char kTaintUnreachable[] = "node.kubernetes.io/unreachable";
inline constexpr char kTaintUnschedulable[] = "node.kubernetes.io/unschedulable";

class NodeInfo {
 public:
  explicit NodeInfo(std::string name) : name_(std::move(name)) {}

  // Takes the Node's spec and status. A node that is not Ready carries the taint the node
  // lifecycle controller would give it (not-ready, or unreachable when Ready is Unknown)
  // even before the controller adds it, so filtering sees one rule for both.
  // InvalidArgument for malformed quantities (the node is then left as it was).
  absl::Status SetNode(const api::Json& node);
  // The Node object went away; pods still counted keep the entry alive as a placeholder.
  void ClearNode();

  void AddPod(const PodUsage& pod);
  void RemovePod(const PodUsage& pod);

  const std::string& name() const { return name_; }
  // False for a placeholder: pods are known on a node whose Node object is not (yet) seen.
  bool has_node() const { return has_node_; }
  const api::Json& node() const { return node_; }
  const api::Json& labels() const;
  bool unschedulable() const { return unschedulable_; }
  const std::vector<api::Taint>& taints() const { return taints_; }
  const Resources& allocatable() const { return allocatable_; }
  const Resources& requested() const { return requested_; }
  int64_t scoring_milli_cpu() const { return scoring_milli_cpu_; }
  int64_t scoring_memory() const { return scoring_memory_; }
  int64_t pod_count() const { return pod_count_; }

 private:
  std::string name_;
  bool has_node_ = false;
  api::Json node_;
  bool unschedulable_ = false;
  std::vector<api::Taint> taints_;
  Resources allocatable_;
  Resources requested_;
  int64_t scoring_milli_cpu_ = 0;
  int64_t scoring_memory_ = 0;
  int64_t pod_count_ = 0;
};

}  // namespace orch::scheduler
