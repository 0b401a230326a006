// The decisions of the node lifecycle controller as pure functions: when a node whose
// heartbeat Lease went stale becomes Unknown, which taints a node carries for its Ready
// condition and spec.unschedulable, and which pods of an unhealthy node to evict when.
#pragma once

#include <optional>
#include <string_view>

#include "absl/time/time.h"
#include "orchestrator/api/json.h"

namespace orch::controllers {

inline constexpr std::string_view kUnreachableTaint = "node.kubernetes.io/unreachable";
inline constexpr std::string_view kNotReadyTaint = "node.kubernetes.io/not-ready";
inline constexpr std::string_view kUnschedulableTaint = "node.kubernetes.io/unschedulable";

// The node with every kubelet condition set to Unknown (reason NodeStatusUnknown, "Kubelet
// stopped posting node status."), as upstream does when the heartbeat stops; nullopt when
// Ready is already Unknown.
std::optional<api::Json> WithStatusUnknown(const api::Json& node, absl::Time now);

// spec.taints as they should be: the taints of others kept, plus unreachable (Ready Unknown)
// or not-ready (Ready False) with NoSchedule and NoExecute, plus unschedulable:NoSchedule
// while cordoned. Taints already present keep their timeAdded.
api::Json DesiredTaints(const api::Json& node, absl::Time now);

// Ready is Unknown or False.
bool NodeIsUnhealthy(const api::Json& node);

// When the pod on a node unhealthy since `unhealthy_since` is to be evicted: after
// `eviction_timeout`, or after the tolerationSeconds of a toleration of the node's NoExecute
// taint; never when it tolerates that taint without a limit; nullopt for pods already
// being deleted.
std::optional<absl::Time> PodEvictionTime(const api::Json& pod, const api::Json& node,
                                          absl::Time unhealthy_since,
                                          absl::Duration eviction_timeout);

}  // namespace orch::controllers
