// What the scheduler needs of a pod, decoded once from its JSON document: requests in integer
// units, placement constraints, priority and owner. The queue, the cache and the algorithm all
// work on this view; the document rides along for status writes and events.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/types.h"

namespace orch::scheduler {

// Requests of a pod, or allocatable/requested amounts of a node, in the units Kubernetes'
// scheduler compares: millicores, bytes, and Value() for everything else.
struct Resources {
  int64_t milli_cpu = 0;
  int64_t memory = 0;
  int64_t ephemeral_storage = 0;
  int64_t pods = 0;                        // allocatable pod slots; unused in requests
  std::map<std::string, int64_t> scalars;  // extended resources (example.com/gpu, hugepages-2Mi)

  static Resources FromList(const api::ResourceList& list);
  void Add(const Resources& other);
  void Subtract(const Resources& other);
};

// Scoring counts pods without requests as asking for this much (upstream's
// DefaultMilliCPURequest and DefaultMemoryRequest), so empty pods still spread by load.
inline constexpr int64_t kDefaultScoringMilliCpu = 100;
inline constexpr int64_t kDefaultScoringMemory = 200 * 1024 * 1024;

// What a pod placed on a node takes from it.
struct PodUsage {
  std::string uid;
  std::string owner_uid;
  Resources requests;
  int64_t scoring_milli_cpu = 0;
  int64_t scoring_memory = 0;
};

struct PodInfo {
  std::string key;  // namespace/name
  std::string namespace_name;
  std::string name;
  std::string uid;
  std::string node_name;          // spec.nodeName; "" while pending
  std::string scheduler_name;     // spec.schedulerName (defaulted to default-scheduler)
  std::string owner_uid;          // uid of the controller ownerReference, "" without one
  int64_t priority = 0;           // spec.priority
  bool preemption_never = false;  // spec.preemptionPolicy == Never
  bool terminal = false;          // phase Succeeded or Failed: holds no resources
  bool being_deleted = false;     // metadata.deletionTimestamp is set
  absl::Time creation_time = absl::InfinitePast();
  Resources requests;
  int64_t scoring_milli_cpu = 0;  // requests with the scoring defaults applied
  int64_t scoring_memory = 0;
  std::map<std::string, std::string> node_selector;
  std::optional<std::vector<api::NodeSelectorTerm>> required_node_affinity;
  std::vector<api::Toleration> tolerations;
  api::Json object;

  // InvalidArgument when the spec cannot be decoded (malformed quantities).
  static absl::StatusOr<PodInfo> FromPod(const api::Json& pod);
  bool Tolerates(const api::Taint& taint) const;
  PodUsage Usage() const;
};

}  // namespace orch::scheduler
