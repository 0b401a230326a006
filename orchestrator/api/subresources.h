// Object transforms behind subresources: the scale subresource of Deployments and
// ReplicaSets (autoscaling/v1 Scale) and pods/binding (what the scheduler posts).
#pragma once

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orchestrator/api/json.h"

namespace orch::api {

// The Scale of a workload: metadata (name, namespace, uid, resourceVersion,
// creationTimestamp), spec.replicas, status.replicas and status.selector (selector text).
Json ScaleOf(const Json& workload);
// The workload with spec.replicas taken from `scale` (validate the Scale first).
Json WithScaleReplicas(Json workload, const Json& scale);

// Binds `pod` to binding.target.name: sets spec.nodeName, merges binding annotations and sets
// PodScheduled=True. FailedPrecondition, with upstream's text, when the pod is being deleted,
// is already bound, or the binding's uid precondition differs; the server answers those as
// StatusConflict({"", "pods/binding"}, name, message).
absl::StatusOr<Json> ApplyBinding(Json pod, const Json& binding, absl::Time now);

}  // namespace orch::api
