#include "orchestrator/kubelet/pod_status.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace orch::kubelet {
namespace {

using api::ContainerState;
using api::ContainerStatus;

bool IsTerminated(const ContainerStatus& status) {
  return status.state.phase == ContainerState::Phase::kTerminated;
}

bool SucceededInit(const ContainerStatus& status) {
  return IsTerminated(status) && status.state.exit_code == 0;
}

const ContainerStatus* StatusOf(const std::vector<ContainerStatus>& statuses,
                                const std::string& name) {
  for (const ContainerStatus& status : statuses) {
    if (status.name == name) return &status;
  }
  return nullptr;
}

api::Condition MakeCondition(const std::string& type, bool ok, const std::string& reason,
                             const std::string& message,
                             const std::vector<api::Condition>& previous, absl::Time now) {
  api::Condition condition;
  condition.type = type;
  condition.status = ok ? "True" : "False";
  condition.reason = ok ? "" : reason;
  condition.message = ok ? "" : message;
  condition.last_transition_time = now;
  for (const api::Condition& old : previous) {
    if (old.type == type && old.status == condition.status && old.last_transition_time) {
      condition.last_transition_time = old.last_transition_time;
    }
  }
  return condition;
}

}  // namespace

std::string ComputePodPhase(const api::PodSpec& spec,
                            const std::vector<ContainerStatus>& init_statuses,
                            const std::vector<ContainerStatus>& statuses) {
  // Init containers: all must have succeeded before the pod runs.
  for (const api::Container& container : spec.init_containers) {
    const ContainerStatus* status = StatusOf(init_statuses, container.name);
    if (status != nullptr && SucceededInit(*status)) continue;
    if (status != nullptr && IsTerminated(*status) && spec.restart_policy == "Never") {
      return "Failed";
    }
    return "Pending";
  }
  int running = 0, waiting = 0, stopped = 0, succeeded = 0;
  for (const api::Container& container : spec.containers) {
    const ContainerStatus* status = StatusOf(statuses, container.name);
    if (status == nullptr) {
      ++waiting;
      continue;
    }
    switch (status->state.phase) {
      case ContainerState::Phase::kRunning:
        ++running;
        break;
      case ContainerState::Phase::kTerminated:
        ++stopped;
        if (status->state.exit_code == 0) ++succeeded;
        break;
      case ContainerState::Phase::kWaiting:
      case ContainerState::Phase::kNone:
        // Waiting to restart after having run counts as stopped, as upstream.
        if (status->last_state.phase == ContainerState::Phase::kTerminated) {
          ++stopped;
        } else {
          ++waiting;
        }
        break;
    }
  }
  if (waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped > 0) {
    if (spec.restart_policy == "Always") return "Running";
    if (stopped == succeeded) return "Succeeded";
    if (spec.restart_policy == "Never") return "Failed";
    return "Running";
  }
  return "Pending";
}

std::vector<api::Condition> ComputePodConditions(const api::PodSpec& spec,
                                                 const std::vector<ContainerStatus>& init_statuses,
                                                 const std::vector<ContainerStatus>& statuses,
                                                 const std::string& phase,
                                                 const std::vector<api::Condition>& previous,
                                                 absl::Time now) {
  std::vector<api::Condition> conditions;
  api::Condition scheduled;
  scheduled.type = "PodScheduled";
  scheduled.status = "True";
  scheduled.last_transition_time = now;
  for (const api::Condition& old : previous) {
    if (old.type == "PodScheduled") scheduled = old;
  }
  conditions.push_back(scheduled);

  std::vector<std::string> incomplete_init;
  for (const api::Container& container : spec.init_containers) {
    const ContainerStatus* status = StatusOf(init_statuses, container.name);
    if (status == nullptr || !SucceededInit(*status)) incomplete_init.push_back(container.name);
  }
  const bool initialized = incomplete_init.empty() || phase == "Succeeded";
  conditions.push_back(MakeCondition("Initialized", initialized, "ContainersNotInitialized",
                                     absl::StrCat("containers with incomplete status: [",
                                                  absl::StrJoin(incomplete_init, " "), "]"),
                                     previous, now));

  std::vector<std::string> unready;
  for (const api::Container& container : spec.containers) {
    const ContainerStatus* status = StatusOf(statuses, container.name);
    if (status == nullptr || !status->ready) unready.push_back(container.name);
  }
  const bool terminal = phase == "Succeeded" || phase == "Failed";
  const bool ready = unready.empty() && !terminal;
  const std::string reason = terminal ? "PodCompleted" : "ContainersNotReady";
  const std::string message = terminal ? ""
                                       : absl::StrCat("containers with unready status: [",
                                                      absl::StrJoin(unready, " "), "]");
  conditions.push_back(MakeCondition("ContainersReady", ready, reason, message, previous, now));
  conditions.push_back(MakeCondition("Ready", ready, reason, message, previous, now));
  return conditions;
}

}  // namespace orch::kubelet
