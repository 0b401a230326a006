#include "orchestrator/scheduler/pod_info.h"

#include <utility>

#include "orchestrator/api/object.h"

namespace orch::scheduler {

Resources Resources::FromList(const api::ResourceList& list) {
  Resources out;
  for (const auto& [name, quantity] : list) {
    if (name == "cpu") {
      out.milli_cpu = quantity.MilliValue();
    } else if (name == "memory") {
      out.memory = quantity.Value();
    } else if (name == "ephemeral-storage") {
      out.ephemeral_storage = quantity.Value();
    } else if (name == "pods") {
      out.pods = quantity.Value();
    } else {
      out.scalars[name] = quantity.Value();
    }
  }
  return out;
}

void Resources::Add(const Resources& other) {
  milli_cpu += other.milli_cpu;
  memory += other.memory;
  ephemeral_storage += other.ephemeral_storage;
  pods += other.pods;
  for (const auto& [name, value] : other.scalars)
    scalars[name] += value;
}

void Resources::Subtract(const Resources& other) {
  milli_cpu -= other.milli_cpu;
  memory -= other.memory;
  ephemeral_storage -= other.ephemeral_storage;
  pods -= other.pods;
  for (const auto& [name, value] : other.scalars)
    scalars[name] -= value;
}

absl::StatusOr<PodInfo> PodInfo::FromPod(const api::Json& pod) {
  absl::StatusOr<api::PodSpec> spec = api::DecodePodSpec(api::ObjectAt(pod, {"spec"}));
  if (!spec.ok()) return spec.status();
  PodInfo out;
  out.namespace_name = api::NamespaceOf(pod);
  out.name = api::NameOf(pod);
  out.key = out.namespace_name + "/" + out.name;
  out.uid = api::UidOf(pod);
  out.node_name = spec->node_name;
  out.scheduler_name = spec->scheduler_name.empty() ? "default-scheduler" : spec->scheduler_name;
  if (const api::Json* owner = api::ControllerRefOf(pod); owner != nullptr) {
    out.owner_uid = api::StringAt(*owner, {"uid"});
  }
  out.priority = api::IntAt(pod, {"spec", "priority"}).value_or(0);
  out.preemption_never = api::StringAt(pod, {"spec", "preemptionPolicy"}) == "Never";
  const std::string phase = api::StringAt(pod, {"status", "phase"});
  out.terminal = phase == "Succeeded" || phase == "Failed";
  out.being_deleted = api::IsBeingDeleted(pod);
  out.creation_time =
      api::TimestampAt(pod, {"metadata", "creationTimestamp"}).value_or(absl::InfinitePast());
  out.requests = Resources::FromList(spec->EffectiveRequests());
  out.scoring_milli_cpu =
      out.requests.milli_cpu != 0 ? out.requests.milli_cpu : kDefaultScoringMilliCpu;
  out.scoring_memory = out.requests.memory != 0 ? out.requests.memory : kDefaultScoringMemory;
  out.node_selector = std::move(spec->node_selector);
  out.required_node_affinity = std::move(spec->required_node_affinity);
  out.tolerations = std::move(spec->tolerations);
  out.object = pod;
  return out;
}

bool PodInfo::Tolerates(const api::Taint& taint) const {
  for (const api::Toleration& toleration : tolerations) {
    if (toleration.Tolerates(taint)) return true;
  }
  return false;
}

PodUsage PodInfo::Usage() const {
  return {uid, owner_uid, requests, scoring_milli_cpu, scoring_memory};
}

}  // namespace orch::scheduler
