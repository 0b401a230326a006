// Node and pod documents for the scheduler's tests.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "orchestrator/api/json.h"

namespace orch::scheduler::testing {

struct NodeParams {
  std::string cpu = "4";
  std::string memory = "8Gi";
  std::string pods = "110";
  std::string ready = "True";  // Ready condition status; "" for no condition
  bool unschedulable = false;
  api::Json labels = api::Json::object();
  api::Json taints = api::Json::array();
};

inline api::Json MakeNode(const std::string& name, const NodeParams& params = {}) {
  api::Json labels = params.labels;
  labels["kubernetes.io/hostname"] = name;
  api::Json node = {
      {"apiVersion", "v1"},
      {"kind", "Node"},
      {"metadata", {{"name", name}, {"labels", labels}}},
      {"spec", api::Json::object()},
      {"status",
       {{"capacity", {{"cpu", params.cpu}, {"memory", params.memory}, {"pods", params.pods}}},
        {"allocatable", {{"cpu", params.cpu}, {"memory", params.memory}, {"pods", params.pods}}},
        {"conditions", api::Json::array()}}}};
  if (params.unschedulable) node["spec"]["unschedulable"] = true;
  if (!params.taints.empty()) node["spec"]["taints"] = params.taints;
  if (!params.ready.empty()) {
    node["status"]["conditions"].push_back(
        {{"type", "Ready"}, {"status", params.ready}, {"reason", "KubeletReady"}});
  }
  return node;
}

struct PodParams {
  std::string cpu{};  // "" : no request
  std::string memory{};
  std::string node_name{};
  std::string owner_uid{};
  int64_t priority = 0;
  std::string created = "2024-01-01T00:00:00Z";
  api::Json node_selector = api::Json::object();
  api::Json affinity_terms = nullptr;  // nodeSelectorTerms
  api::Json tolerations = api::Json::array();
};

inline api::Json MakePod(const std::string& name, const PodParams& params = {}) {
  api::Json requests = api::Json::object();
  if (!params.cpu.empty()) requests["cpu"] = params.cpu;
  if (!params.memory.empty()) requests["memory"] = params.memory;
  api::Json pod = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"name", name},
        {"namespace", "default"},
        {"uid", "uid-" + name},
        {"creationTimestamp", params.created}}},
      {"spec",
       {{"containers", {{{"name", "c"}, {"image", "sh"}, {"resources", {{"requests", requests}}}}}},
        {"schedulerName", "default-scheduler"},
        {"priority", params.priority}}}};
  if (!params.node_name.empty()) pod["spec"]["nodeName"] = params.node_name;
  if (!params.node_selector.empty()) pod["spec"]["nodeSelector"] = params.node_selector;
  if (!params.affinity_terms.is_null()) {
    pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] = {
        {"nodeSelectorTerms", params.affinity_terms}};
  }
  if (!params.tolerations.empty()) pod["spec"]["tolerations"] = params.tolerations;
  if (!params.owner_uid.empty()) {
    pod["metadata"]["ownerReferences"] = {{{"apiVersion", "apps/v1"},
                                           {"kind", "ReplicaSet"},
                                           {"name", "rs"},
                                           {"uid", params.owner_uid},
                                           {"controller", true}}};
  }
  return pod;
}

}  // namespace orch::scheduler::testing
