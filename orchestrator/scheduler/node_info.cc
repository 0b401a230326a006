#include "orchestrator/scheduler/node_info.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "orchestrator/api/object.h"

namespace orch::scheduler {
namespace {

// The taint a node that is not Ready implicitly carries, or none when it is Ready.
std::optional<api::Taint> ReadinessTaint(const api::Json& node) {
  const std::string ready = api::ConditionStatus(node, "Ready");
  if (ready == "True") return std::nullopt;
  return api::Taint{ready == "Unknown" ? kTaintUnreachable : kTaintNotReady, "", "NoSchedule"};
}

}  // namespace

absl::Status NodeInfo::SetNode(const api::Json& node) {
  absl::StatusOr<api::NodeStatus> status =
      api::NodeStatus::FromJson(api::ObjectAt(node, {"status"}));
  if (!status.ok()) return status.status();
  api::NodeSpec spec = api::NodeSpec::FromJson(api::ObjectAt(node, {"spec"}));
  allocatable_ =
      Resources::FromList(status->allocatable.empty() ? status->capacity : status->allocatable);
  unschedulable_ = spec.unschedulable;
  taints_ = std::move(spec.taints);
  if (std::optional<api::Taint> readiness = ReadinessTaint(node); readiness.has_value()) {
    const bool present = std::any_of(taints_.begin(), taints_.end(), [&](const api::Taint& taint) {
      return taint.key == readiness->key && taint.effect == readiness->effect;
    });
    if (!present) taints_.push_back(*std::move(readiness));
  }
  node_ = node;
  has_node_ = true;
  return absl::OkStatus();
}

void NodeInfo::ClearNode() {
  has_node_ = false;
  node_ = api::Json();
  unschedulable_ = false;
  taints_.clear();
  allocatable_ = Resources();
}

const api::Json& NodeInfo::labels() const {
  return api::LabelsOf(node_);
}

void NodeInfo::AddPod(const PodUsage& pod) {
  requested_.Add(pod.requests);
  scoring_milli_cpu_ += pod.scoring_milli_cpu;
  scoring_memory_ += pod.scoring_memory;
  ++pod_count_;
}

void NodeInfo::RemovePod(const PodUsage& pod) {
  requested_.Subtract(pod.requests);
  scoring_milli_cpu_ -= pod.scoring_milli_cpu;
  scoring_memory_ -= pod.scoring_memory;
  --pod_count_;
}

}  // namespace orch::scheduler
