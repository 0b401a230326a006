// The scheduling algorithm: filters decide whether a pod fits a node, scores rank the nodes
// that fit, and a pod that fits nowhere gets Kubernetes' explanation. Pure functions over
// PodInfo and NodeInfo, so they are tested without a server.
//
// Filters, in upstream's plugin order (a node fails at the first one, except that resource
// fit reports every resource that is short):
//   NodeUnschedulable  spec.unschedulable, unless the pod tolerates
//                      node.kubernetes.io/unschedulable:NoSchedule
//   TaintToleration    the first NoSchedule/NoExecute taint not tolerated (a node that is not
//                      Ready carries node.kubernetes.io/not-ready or unreachable, see NodeInfo)
//   NodeAffinity       nodeSelector and required node affinity (matchExpressions, matchFields)
//   NodeResourcesFit   pod count, cpu, memory, ephemeral-storage, extended resources
// Scores (0-100 each, weighted as upstream's defaults):
//   NodeResourcesFit LeastAllocated (1), NodeResourcesBalancedAllocation (1),
//   spreading the pods of one controller owner (2, upstream's SelectorSpread),
//   TaintToleration over PreferNoSchedule taints (3).
// Preemption is not implemented: a pod that fits nowhere waits. Its message still carries
// upstream's "preemption:" part, as upstream writes it when no victims are found.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/random/bit_gen_ref.h"
#include "orchestrator/scheduler/node_info.h"
#include "orchestrator/scheduler/pod_info.h"

namespace orch::scheduler {

// Upstream's reason texts.
inline constexpr char kReasonUnschedulable[] = "node(s) were unschedulable";
inline constexpr char kReasonNodeAffinity[] = "node(s) didn't match Pod's node affinity/selector";
inline constexpr char kReasonTooManyPods[] = "Too many pods";
inline constexpr char kNoNodesAvailable[] = "no nodes available to schedule pods";

enum class FilterCode {
  kFits,
  kUnschedulable,  // could fit if other pods went away (resources)
  kUnresolvable,   // nothing about other pods changes it (cordon, taints, affinity)
};

// Runs the filters; on failure appends the reasons (upstream's texts) to `reasons`.
FilterCode FilterNode(const PodInfo& pod, const NodeInfo& node, std::vector<std::string>* reasons);

// Scores of one node that fits, each 0-100 before weighting.
struct NodeScores {
  int64_t least_allocated = 0;
  int64_t balanced_allocation = 0;
  int64_t spread = 0;
  int64_t taint_toleration = 0;
  int64_t Total() const {
    return least_allocated + balanced_allocation + 2 * spread + 3 * taint_toleration;
  }
};

int64_t LeastAllocatedScore(const PodInfo& pod, const NodeInfo& node);
int64_t BalancedAllocationScore(const PodInfo& pod, const NodeInfo& node);
// PreferNoSchedule taints the pod does not tolerate.
int64_t CountIntolerablePreferNoSchedule(const PodInfo& pod, const NodeInfo& node);

// How many pods of each controller owner sit on each node (bound or assumed).
using OwnerPodCounts = absl::flat_hash_map<const NodeInfo*, int64_t>;

// Why a pod fits nowhere, collected across nodes.
struct Diagnosis {
  int64_t num_nodes = 0;
  std::map<std::string, int64_t> reason_counts;
  int64_t unresolvable_nodes = 0;  // preemption could not help
  int64_t resolvable_nodes = 0;    // preemption might, if victims existed
  bool preemption_never = false;
};

// Upstream's FitError text: "0/3 nodes are available: 1 node(s) were unschedulable,
// 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for
// scheduling, 2 No preemption victims found for incoming pod."
std::string FitErrorMessage(const Diagnosis& diagnosis);

struct Decision {
  const NodeInfo* node = nullptr;  // null: the pod fits nowhere
  std::string failure_message;     // set when node is null
  size_t nodes_examined = 0;       // entries of `nodes` filtered, from the start index on
};

// Upstream's adaptive percentageOfNodesToScore: every node up to 100, then fewer in
// proportion (50% less 1% per 125 nodes, at least 5% and 100 nodes), so large clusters are
// not scanned whole for every pod.
size_t FeasibleNodesToFind(size_t num_nodes);

// Filters the nodes that have a Node object, starting at `start_index` and wrapping around,
// until FeasibleNodesToFind fit (every node when fewer do), scores those that fit, and picks
// the best; ties are broken uniformly at random. `owner_counts` (may be null) are the pod's
// owner's pods per node. Callers rotate start_index by nodes_examined, as upstream does, so
// every node gets its turn.
Decision SelectNode(const PodInfo& pod, std::span<const NodeInfo* const> nodes,
                    const OwnerPodCounts* owner_counts, absl::BitGenRef random,
                    size_t start_index = 0);

}  // namespace orch::scheduler
