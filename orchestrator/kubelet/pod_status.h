// A pod's phase and conditions from its containers' statuses, by Kubernetes' rules (the
// kubelet's getPhase and its condition generators). Pure functions, so they are tested alone.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "orchestrator/api/types.h"

namespace orch::kubelet {

// Pending, Running, Succeeded or Failed.
std::string ComputePodPhase(const api::PodSpec& spec,
                            const std::vector<api::ContainerStatus>& init_statuses,
                            const std::vector<api::ContainerStatus>& statuses);

// PodScheduled (kept from `previous`, True when absent), Initialized, ContainersReady, Ready.
// lastTransitionTime is kept from `previous` while a condition's status stays the same.
std::vector<api::Condition> ComputePodConditions(
    const api::PodSpec& spec, const std::vector<api::ContainerStatus>& init_statuses,
    const std::vector<api::ContainerStatus>& statuses, const std::string& phase,
    const std::vector<api::Condition>& previous, absl::Time now);

}  // namespace orch::kubelet
