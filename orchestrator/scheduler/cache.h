// The scheduler's view of the cluster: every Node, and every pod placed on one, whether the
// API server already says so (bound) or only this scheduler does (assumed: chosen, binding in
// flight). Assuming a pod counts its requests at once, so the next pod is placed knowing of
// it without waiting for the bind round trip. Fed by the node and pod informers; read by the
// scheduling thread; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/random/bit_gen_ref.h"
#include "absl/status/status.h"
#include "orchestrator/api/json.h"
#include "orchestrator/scheduler/algorithm.h"
#include "orchestrator/scheduler/node_info.h"
#include "orchestrator/scheduler/pod_info.h"

namespace orch::scheduler {

struct Placement {
  // The pod was already placed (bound, or assumed by an earlier attempt): nothing was done.
  bool already_placed = false;
  std::string node_name;        // "" when the pod fits nowhere
  std::string failure_message;  // upstream's FitError text when it fits nowhere
};

struct NodeUsage {
  int64_t pods = 0;
  Resources requested;
};

class SchedulerCache {
 public:
  // InvalidArgument (and no change) when the Node's quantities are malformed.
  absl::Status AddOrUpdateNode(const api::Json& node);
  void RemoveNode(const std::string& name);

  // A pod the API server shows on a node (spec.nodeName set, not terminal): counted there.
  // Confirms the pod if it was assumed.
  void AddOrUpdatePod(const PodInfo& pod);
  // The pod is gone or finished: its requests no longer count.
  void RemovePod(const std::string& key);

  // Picks a node for the pod and assumes the pod there, in one step under the cache's lock
  // (two pods can never both take the last room on a node). A pod already placed is left
  // alone (already_placed).
  Placement ScheduleAndAssume(const PodInfo& pod, absl::BitGenRef random);
  // The binding failed: the assumed pod's requests stop counting.
  void ForgetAssumedPod(const std::string& key);
  bool IsAssumed(const std::string& key) const;
  // The pod is counted on some node (bound or assumed).
  bool IsPlaced(const std::string& key) const;

  size_t NodeCount() const;
  std::optional<NodeUsage> Usage(const std::string& node_name) const;

 private:
  struct PlacedPod {
    PodUsage usage;
    NodeInfo* node = nullptr;
    bool assumed = false;
  };

  NodeInfo& NodeEntryLocked(const std::string& name);
  void PlaceLocked(const std::string& key, PodUsage usage, NodeInfo& node, bool assumed);
  void UnplaceLocked(const std::string& key);
  void DropPlaceholderIfEmptyLocked(const std::string& name);

  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<NodeInfo>> nodes_;
  std::vector<const NodeInfo*> node_list_;  // the values of nodes_, rebuilt when they change
  bool node_list_stale_ = false;
  size_t next_start_index_ = 0;  // where the next pod's node search begins
  absl::flat_hash_map<std::string, PlacedPod> pods_;
  absl::flat_hash_map<std::string, OwnerPodCounts> owner_counts_;
};

}  // namespace orch::scheduler
