// Typed views of the fields the scheduler, controllers and kubelet act on. Objects stay JSON
// documents (unknown fields survive); a component decodes the part it needs with Decode*,
// and writes status back with the ToJson of the status types (merged into the document, so
// fields this code does not model are kept).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/quantity.h"

namespace orch::api {

using ResourceList = std::map<std::string, Quantity>;

// intstr.IntOrString: 3 or "25%" (maxSurge, probe ports).
struct IntOrString {
  bool is_int = true;
  int64_t int_value = 0;
  std::string string_value;

  static IntOrString FromJson(const Json& value);
  Json ToJson() const;
  // upstream GetScaledValueFromIntOrPercent: an int as is, "N%" of `total` rounded up or down.
  absl::StatusOr<int64_t> Scaled(int64_t total, bool round_up) const;
};

struct ContainerPort {
  std::string name;
  int64_t container_port = 0;
  int64_t host_port = 0;
  std::string protocol = "TCP";
};

struct EnvVar {
  std::string name;
  std::string value;
  Json value_from;  // null unless set (fieldRef, configMapKeyRef, ...)
};

struct Probe {
  std::optional<std::vector<std::string>> exec_command;
  struct HttpGet {
    std::string path = "/";
    IntOrString port;
    std::string host;
    std::string scheme = "HTTP";
    std::vector<std::pair<std::string, std::string>> headers;
  };
  std::optional<HttpGet> http_get;
  struct TcpSocket {
    IntOrString port;
    std::string host;
  };
  std::optional<TcpSocket> tcp_socket;
  int64_t initial_delay_seconds = 0;
  int64_t timeout_seconds = 1;
  int64_t period_seconds = 10;
  int64_t success_threshold = 1;
  int64_t failure_threshold = 3;
  std::optional<int64_t> termination_grace_period_seconds;
};

struct Container {
  std::string name;
  std::string image;
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::vector<EnvVar> env;
  std::string working_dir;
  std::vector<ContainerPort> ports;
  ResourceList requests;
  ResourceList limits;
  std::optional<Probe> liveness_probe;
  std::optional<Probe> readiness_probe;
  std::optional<Probe> startup_probe;
  std::string image_pull_policy;
};

struct Taint {
  std::string key;
  std::string value;
  std::string effect;  // NoSchedule, PreferNoSchedule, NoExecute
};

struct Toleration {
  std::string key;
  std::string op = "Equal";  // Equal or Exists
  std::string value;
  std::string effect;  // empty: every effect
  std::optional<int64_t> toleration_seconds;

  // upstream Toleration.ToleratesTaint.
  bool Tolerates(const Taint& taint) const;
};

struct NodeSelectorRequirement {
  std::string key;
  std::string op;  // In, NotIn, Exists, DoesNotExist, Gt, Lt
  std::vector<std::string> values;
};

struct NodeSelectorTerm {
  std::vector<NodeSelectorRequirement> match_expressions;
  std::vector<NodeSelectorRequirement> match_fields;  // key metadata.name
};

// A node matches required node affinity if it matches any term (terms are ORed, the
// requirements of a term ANDed); an empty term matches nothing, as upstream.
bool NodeMatchesTerms(const std::vector<NodeSelectorTerm>& terms, const Json& node);

struct PodSpec {
  std::vector<Container> init_containers;
  std::vector<Container> containers;
  std::string node_name;
  std::map<std::string, std::string> node_selector;
  std::optional<std::vector<NodeSelectorTerm>> required_node_affinity;
  std::vector<Toleration> tolerations;
  std::string restart_policy = "Always";
  int64_t termination_grace_period_seconds = 30;
  bool host_network = false;
  std::string scheduler_name;
  std::optional<int64_t> active_deadline_seconds;

  // The pod's effective request per resource: max(largest init container, sum of containers),
  // as the scheduler computes it.
  ResourceList EffectiveRequests() const;
};

// Decodes pod.spec (or a template's spec). InvalidArgument for malformed quantities.
absl::StatusOr<PodSpec> DecodePodSpec(const Json& spec);

struct Condition {
  std::string type;
  std::string status;  // True, False, Unknown
  std::string reason;
  std::string message;
  std::optional<absl::Time> last_transition_time;
  std::optional<absl::Time> last_probe_time;
  std::optional<absl::Time> last_heartbeat_time;  // node conditions
  std::optional<absl::Time> last_update_time;     // workload conditions
  std::optional<int64_t> observed_generation;

  static Condition FromJson(const Json& value);
  Json ToJson() const;
};

struct ContainerState {
  enum class Phase { kNone, kWaiting, kRunning, kTerminated };
  Phase phase = Phase::kNone;
  std::string reason;
  std::string message;
  int64_t exit_code = 0;
  int64_t signal = 0;
  std::optional<absl::Time> started_at;
  std::optional<absl::Time> finished_at;
  std::string container_id;

  static ContainerState FromJson(const Json& value);
  Json ToJson() const;  // {} for kNone, else {"waiting": {...}} etc.
};

struct ContainerStatus {
  std::string name;
  std::string image;
  std::string image_id;
  std::string container_id;
  bool ready = false;
  std::optional<bool> started;
  int64_t restart_count = 0;
  ContainerState state;
  ContainerState last_state;

  static ContainerStatus FromJson(const Json& value);
  Json ToJson() const;
};

struct PodStatus {
  std::string phase;  // Pending, Running, Succeeded, Failed, Unknown
  std::vector<Condition> conditions;
  std::vector<ContainerStatus> init_container_statuses;
  std::vector<ContainerStatus> container_statuses;
  std::string host_ip;
  std::string pod_ip;
  std::optional<absl::Time> start_time;
  std::string reason;
  std::string message;
  std::string qos_class;
  std::string nominated_node_name;

  static PodStatus FromJson(const Json& status);
  // Writes podIP/podIPs and hostIP/hostIPs in both forms, as the kubelet does.
  Json ToJson() const;
};

struct NodeAddress {
  std::string type;  // InternalIP, ExternalIP, Hostname
  std::string address;
};

struct NodeInfo {
  std::string machine_id, system_uuid, boot_id, kernel_version, os_image, container_runtime_version,
      kubelet_version, kube_proxy_version, operating_system, architecture;
};

struct NodeStatus {
  ResourceList capacity;
  ResourceList allocatable;
  std::vector<Condition> conditions;
  std::vector<NodeAddress> addresses;
  int64_t kubelet_port = 0;  // daemonEndpoints.kubeletEndpoint.Port
  NodeInfo node_info;

  static absl::StatusOr<NodeStatus> FromJson(const Json& status);
  Json ToJson() const;
};

struct NodeSpec {
  bool unschedulable = false;
  std::vector<Taint> taints;
  static NodeSpec FromJson(const Json& spec);
};

struct DeploymentSpec {
  int64_t replicas = 1;
  Json selector;  // metav1.LabelSelector (see selector.h)
  Json pod_template;
  std::string strategy_type = "RollingUpdate";
  IntOrString max_surge{false, 0, "25%"};
  IntOrString max_unavailable{false, 0, "25%"};
  int64_t min_ready_seconds = 0;
  int64_t revision_history_limit = 10;
  int64_t progress_deadline_seconds = 600;
  bool paused = false;

  static DeploymentSpec FromJson(const Json& spec);
};

// DeploymentStatus and ReplicaSetStatus share these fields (RS lacks updated/unavailable).
struct WorkloadStatus {
  int64_t observed_generation = 0;
  int64_t replicas = 0;
  int64_t updated_replicas = 0;
  int64_t ready_replicas = 0;
  int64_t available_replicas = 0;
  int64_t unavailable_replicas = 0;
  int64_t fully_labeled_replicas = 0;
  std::optional<int64_t> collision_count;
  std::vector<Condition> conditions;

  static WorkloadStatus FromJson(const Json& status);
  // Zero counters are omitted, as Go's omitempty does.
  Json ToDeploymentJson() const;
  Json ToReplicaSetJson() const;
};

struct ReplicaSetSpec {
  int64_t replicas = 1;
  int64_t min_ready_seconds = 0;
  Json selector;
  Json pod_template;
  static ReplicaSetSpec FromJson(const Json& spec);
};

}  // namespace orch::api
