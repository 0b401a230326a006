#include "orchestrator/api/subresources.h"

#include "orchestrator/api/object.h"
#include "orchestrator/api/selector.h"
#include "orchestrator/api/text.h"

namespace orch::api {

Json ScaleOf(const Json& workload) {
  Json metadata = Json::object();
  for (std::string_view key :
       {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
    if (const Json* value = MemberAt(workload, {"metadata", key}))
      metadata[std::string(key)] = *value;
  }
  Json status = {{"replicas", IntAt(workload, {"status", "replicas"}).value_or(0)}};
  absl::StatusOr<LabelSelector> selector =
      LabelSelector::FromObject(MemberAt(workload, {"spec", "selector"}));
  if (selector.ok() && !selector->ToString().empty()) status["selector"] = selector->ToString();
  return {{"kind", "Scale"},
          {"apiVersion", "autoscaling/v1"},
          {"metadata", std::move(metadata)},
          {"spec", {{"replicas", IntAt(workload, {"spec", "replicas"}).value_or(0)}}},
          {"status", std::move(status)}};
}

Json WithScaleReplicas(Json workload, const Json& scale) {
  EnsureObject(workload, "spec")["replicas"] = IntAt(scale, {"spec", "replicas"}).value_or(0);
  return workload;
}

absl::StatusOr<Json> ApplyBinding(Json pod, const Json& binding, absl::Time now) {
  std::string name = NameOf(pod);
  std::string precondition = UidOf(binding);
  if (!precondition.empty() && precondition != UidOf(pod)) {
    return absl::FailedPreconditionError(
        Cat("the UID in the precondition (", precondition, ") does not match the UID in record (",
            UidOf(pod), "). The object might have been deleted and then recreated"));
  }
  if (IsBeingDeleted(pod)) {
    return absl::FailedPreconditionError(
        Cat("pod ", name, " is being deleted, cannot be assigned to a host"));
  }
  std::string current = StringAt(pod, {"spec", "nodeName"});
  if (!current.empty()) {
    return absl::FailedPreconditionError(
        Cat("pod ", name, " is already assigned to node \"", current, "\""));
  }
  std::string node = StringAt(binding, {"target", "name"});
  if (node.empty()) return absl::InvalidArgumentError("binding target name is required");
  EnsureObject(pod, "spec")["nodeName"] = node;
  const Json& annotations = AnnotationsOf(binding);
  if (!annotations.empty()) {
    Json& pod_annotations = EnsureObject(EnsureObject(pod, "metadata"), "annotations");
    for (const auto& [key, value] : annotations.items())
      pod_annotations[key] = value;
  }
  SetCondition(pod, {{"type", "PodScheduled"},
                     {"status", "True"},
                     {"lastProbeTime", nullptr},
                     {"lastTransitionTime", FormatTimestamp(now)}});
  return pod;
}

}  // namespace orch::api
