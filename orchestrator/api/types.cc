#include "orchestrator/api/types.h"

#include <algorithm>

#include "orchestrator/api/object.h"
#include "orchestrator/api/text.h"

namespace orch::api {
namespace {

std::vector<std::string> Strings(const Json& object, std::string_view key) {
  std::vector<std::string> out;
  for (const Json& value : ArrayAt(object, {key})) {
    if (value.is_string()) out.push_back(value.get<std::string>());
  }
  return out;
}

int64_t Int(const Json& object, std::string_view key, int64_t fallback = 0) {
  return IntAt(object, {key}).value_or(fallback);
}

std::string Str(const Json& object, std::string_view key) {
  return StringAt(object, {key});
}

absl::StatusOr<ResourceList> DecodeResources(const Json& resources, std::string_view what) {
  ResourceList out;
  for (const auto& [name, value] : ObjectAt(resources, {}).items()) {
    absl::StatusOr<Quantity> quantity = Quantity::FromJson(value);
    if (!quantity.ok()) {
      return absl::InvalidArgumentError(Cat(what, "[", name, "]: ", quantity.status().message()));
    }
    out.emplace(name, *quantity);
  }
  return out;
}

Json EncodeResources(const ResourceList& resources) {
  Json out = Json::object();
  for (const auto& [name, quantity] : resources)
    out[name] = quantity.ToString();
  return out;
}

void PutTime(Json& out, std::string_view key, const std::optional<absl::Time>& time) {
  if (time) out[std::string(key)] = FormatTimestamp(*time);
}

void PutString(Json& out, std::string_view key, const std::string& value) {
  if (!value.empty()) out[std::string(key)] = value;
}

void PutInt(Json& out, std::string_view key, int64_t value) {
  if (value != 0) out[std::string(key)] = value;
}

std::optional<Probe> DecodeProbe(const Json& container, std::string_view key) {
  const Json* value = Member(container, key);
  if (value == nullptr || !value->is_object()) return std::nullopt;
  Probe probe;
  if (const Json* exec = Member(*value, "exec"); exec != nullptr && exec->is_object()) {
    probe.exec_command = Strings(*exec, "command");
  }
  if (const Json* http = Member(*value, "httpGet"); http != nullptr && http->is_object()) {
    Probe::HttpGet get;
    get.path = StringAt(*http, {"path"}, "/");
    if (const Json* port = Member(*http, "port")) get.port = IntOrString::FromJson(*port);
    get.host = Str(*http, "host");
    get.scheme = StringAt(*http, {"scheme"}, "HTTP");
    for (const Json& header : ArrayAt(*http, {"httpHeaders"})) {
      get.headers.emplace_back(Str(header, "name"), Str(header, "value"));
    }
    probe.http_get = std::move(get);
  }
  if (const Json* tcp = Member(*value, "tcpSocket"); tcp != nullptr && tcp->is_object()) {
    Probe::TcpSocket socket;
    if (const Json* port = Member(*tcp, "port")) socket.port = IntOrString::FromJson(*port);
    socket.host = Str(*tcp, "host");
    probe.tcp_socket = std::move(socket);
  }
  probe.initial_delay_seconds = Int(*value, "initialDelaySeconds");
  probe.timeout_seconds = Int(*value, "timeoutSeconds", 1);
  probe.period_seconds = Int(*value, "periodSeconds", 10);
  probe.success_threshold = Int(*value, "successThreshold", 1);
  probe.failure_threshold = Int(*value, "failureThreshold", 3);
  probe.termination_grace_period_seconds = IntAt(*value, {"terminationGracePeriodSeconds"});
  return probe;
}

absl::StatusOr<Container> DecodeContainer(const Json& value) {
  Container container;
  container.name = Str(value, "name");
  container.image = Str(value, "image");
  container.command = Strings(value, "command");
  container.args = Strings(value, "args");
  container.working_dir = Str(value, "workingDir");
  container.image_pull_policy = Str(value, "imagePullPolicy");
  for (const Json& variable : ArrayAt(value, {"env"})) {
    const Json* from = Member(variable, "valueFrom");
    container.env.push_back(
        {Str(variable, "name"), Str(variable, "value"), from != nullptr ? *from : Json()});
  }
  for (const Json& port : ArrayAt(value, {"ports"})) {
    container.ports.push_back({Str(port, "name"), Int(port, "containerPort"), Int(port, "hostPort"),
                               StringAt(port, {"protocol"}, "TCP")});
  }
  absl::StatusOr<ResourceList> requests =
      DecodeResources(ObjectAt(value, {"resources", "requests"}), "resources.requests");
  if (!requests.ok()) return requests.status();
  absl::StatusOr<ResourceList> limits =
      DecodeResources(ObjectAt(value, {"resources", "limits"}), "resources.limits");
  if (!limits.ok()) return limits.status();
  container.requests = *std::move(requests);
  container.limits = *std::move(limits);
  container.liveness_probe = DecodeProbe(value, "livenessProbe");
  container.readiness_probe = DecodeProbe(value, "readinessProbe");
  container.startup_probe = DecodeProbe(value, "startupProbe");
  return container;
}

std::vector<NodeSelectorRequirement> DecodeRequirements(const Json& term, std::string_view key) {
  std::vector<NodeSelectorRequirement> out;
  for (const Json& requirement : ArrayAt(term, {key})) {
    out.push_back(
        {Str(requirement, "key"), Str(requirement, "operator"), Strings(requirement, "values")});
  }
  return out;
}

bool RequirementMatches(const NodeSelectorRequirement& requirement, const std::string* value) {
  auto contains = [&] {
    return value != nullptr && std::find(requirement.values.begin(), requirement.values.end(),
                                         *value) != requirement.values.end();
  };
  if (requirement.op == "In") return contains();
  if (requirement.op == "NotIn") return !contains();
  if (requirement.op == "Exists") return value != nullptr;
  if (requirement.op == "DoesNotExist") return value == nullptr;
  if (requirement.op == "Gt" || requirement.op == "Lt") {
    int64_t actual = 0;
    int64_t bound = 0;
    if (value == nullptr || requirement.values.size() != 1 || !ParseInt(*value, actual) ||
        !ParseInt(requirement.values[0], bound)) {
      return false;
    }
    return requirement.op == "Gt" ? actual > bound : actual < bound;
  }
  return false;
}

std::vector<Condition> DecodeConditions(const Json& status) {
  std::vector<Condition> out;
  for (const Json& condition : ArrayAt(status, {"conditions"}))
    out.push_back(Condition::FromJson(condition));
  return out;
}

Json EncodeConditions(const std::vector<Condition>& conditions) {
  Json out = Json::array();
  for (const Condition& condition : conditions)
    out.push_back(condition.ToJson());
  return out;
}

}  // namespace

IntOrString IntOrString::FromJson(const Json& value) {
  if (value.is_number_integer()) return {true, value.get<int64_t>(), ""};
  if (value.is_string()) return {false, 0, value.get<std::string>()};
  return {};
}

Json IntOrString::ToJson() const {
  return is_int ? Json(int_value) : Json(string_value);
}

absl::StatusOr<int64_t> IntOrString::Scaled(int64_t total, bool round_up) const {
  if (is_int) return int_value;
  int64_t percent = 0;
  if (string_value.size() < 2 || string_value.back() != '%' ||
      !ParseInt(std::string_view(string_value).substr(0, string_value.size() - 1), percent)) {
    return absl::InvalidArgumentError(Cat("invalid value for IntOrString: invalid value \"",
                                          string_value, "\": must be an integer or percentage"));
  }
  int64_t product = percent * total;
  return round_up ? (product + 99) / 100 : product / 100;
}

bool Toleration::Tolerates(const Taint& taint) const {
  if (!effect.empty() && effect != taint.effect) return false;
  if (!key.empty() && key != taint.key) return false;
  if (op.empty() || op == "Equal") return value == taint.value;
  return op == "Exists";
}

bool NodeMatchesTerms(const std::vector<NodeSelectorTerm>& terms, const Json& node) {
  const Json& labels = LabelsOf(node);
  std::string name = NameOf(node);
  for (const NodeSelectorTerm& term : terms) {
    if (term.match_expressions.empty() && term.match_fields.empty()) continue;
    bool matches =
        std::all_of(term.match_expressions.begin(), term.match_expressions.end(),
                    [&](const NodeSelectorRequirement& requirement) {
                      const Json* label = Member(labels, requirement.key);
                      std::string value =
                          label != nullptr && label->is_string() ? label->get<std::string>() : "";
                      return RequirementMatches(requirement, label != nullptr ? &value : nullptr);
                    });
    matches = matches && std::all_of(term.match_fields.begin(), term.match_fields.end(),
                                     [&](const NodeSelectorRequirement& requirement) {
                                       return requirement.key == "metadata.name" &&
                                              RequirementMatches(requirement, &name);
                                     });
    if (matches) return true;
  }
  return false;
}

ResourceList PodSpec::EffectiveRequests() const {
  ResourceList total;
  for (const Container& container : containers) {
    for (const auto& [name, quantity] : container.requests)
      total[name] += quantity;
  }
  for (const Container& container : init_containers) {
    for (const auto& [name, quantity] : container.requests) {
      auto it = total.find(name);
      if (it == total.end() || it->second < quantity) total[name] = quantity;
    }
  }
  return total;
}

absl::StatusOr<PodSpec> DecodePodSpec(const Json& spec) {
  PodSpec out;
  for (auto [key, target] : {std::pair{"initContainers", &out.init_containers},
                             std::pair{"containers", &out.containers}}) {
    const Json& list = ArrayAt(spec, {key});
    for (size_t i = 0; i < list.size(); ++i) {
      absl::StatusOr<Container> container = DecodeContainer(list[i]);
      if (!container.ok()) {
        return absl::InvalidArgumentError(
            Cat("spec.", key, "[", i, "].", container.status().message()));
      }
      target->push_back(*std::move(container));
    }
  }
  out.node_name = Str(spec, "nodeName");
  for (const auto& [key, value] : ObjectAt(spec, {"nodeSelector"}).items()) {
    if (value.is_string()) out.node_selector.emplace(key, value.get<std::string>());
  }
  if (const Json* required = MemberAt(
          spec, {"affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"});
      required != nullptr && required->is_object()) {
    std::vector<NodeSelectorTerm> terms;
    for (const Json& term : ArrayAt(*required, {"nodeSelectorTerms"})) {
      terms.push_back(
          {DecodeRequirements(term, "matchExpressions"), DecodeRequirements(term, "matchFields")});
    }
    out.required_node_affinity = std::move(terms);
  }
  for (const Json& toleration : ArrayAt(spec, {"tolerations"})) {
    out.tolerations.push_back({Str(toleration, "key"), StringAt(toleration, {"operator"}, "Equal"),
                               Str(toleration, "value"), Str(toleration, "effect"),
                               IntAt(toleration, {"tolerationSeconds"})});
  }
  out.restart_policy = StringAt(spec, {"restartPolicy"}, "Always");
  out.termination_grace_period_seconds = Int(spec, "terminationGracePeriodSeconds", 30);
  out.host_network = BoolAt(spec, {"hostNetwork"});
  out.scheduler_name = Str(spec, "schedulerName");
  out.active_deadline_seconds = IntAt(spec, {"activeDeadlineSeconds"});
  return out;
}

Condition Condition::FromJson(const Json& value) {
  return {Str(value, "type"),
          Str(value, "status"),
          Str(value, "reason"),
          Str(value, "message"),
          TimestampAt(value, {"lastTransitionTime"}),
          TimestampAt(value, {"lastProbeTime"}),
          TimestampAt(value, {"lastHeartbeatTime"}),
          TimestampAt(value, {"lastUpdateTime"}),
          IntAt(value, {"observedGeneration"})};
}

Json Condition::ToJson() const {
  Json out = {{"type", type}, {"status", status}};
  PutString(out, "reason", reason);
  PutString(out, "message", message);
  PutTime(out, "lastTransitionTime", last_transition_time);
  PutTime(out, "lastProbeTime", last_probe_time);
  PutTime(out, "lastHeartbeatTime", last_heartbeat_time);
  PutTime(out, "lastUpdateTime", last_update_time);
  if (observed_generation) out["observedGeneration"] = *observed_generation;
  return out;
}

ContainerState ContainerState::FromJson(const Json& value) {
  ContainerState state;
  static constexpr std::pair<std::string_view, Phase> kPhases[] = {
      {"waiting", Phase::kWaiting},
      {"running", Phase::kRunning},
      {"terminated", Phase::kTerminated}};
  for (const auto& [key, phase] : kPhases) {
    const Json* detail = Member(value, key);
    if (detail == nullptr || !detail->is_object()) continue;
    state.phase = phase;
    state.reason = Str(*detail, "reason");
    state.message = Str(*detail, "message");
    state.exit_code = Int(*detail, "exitCode");
    state.signal = Int(*detail, "signal");
    state.started_at = TimestampAt(*detail, {"startedAt"});
    state.finished_at = TimestampAt(*detail, {"finishedAt"});
    state.container_id = Str(*detail, "containerID");
    break;
  }
  return state;
}

Json ContainerState::ToJson() const {
  Json detail = Json::object();
  switch (phase) {
    case Phase::kNone:
      return Json::object();
    case Phase::kWaiting:
      PutString(detail, "reason", reason);
      PutString(detail, "message", message);
      return {{"waiting", detail}};
    case Phase::kRunning:
      PutTime(detail, "startedAt", started_at);
      return {{"running", detail}};
    case Phase::kTerminated:
      detail["exitCode"] = exit_code;
      PutInt(detail, "signal", signal);
      PutString(detail, "reason", reason);
      PutString(detail, "message", message);
      PutTime(detail, "startedAt", started_at);
      PutTime(detail, "finishedAt", finished_at);
      PutString(detail, "containerID", container_id);
      return {{"terminated", detail}};
  }
  return Json::object();
}

ContainerStatus ContainerStatus::FromJson(const Json& value) {
  ContainerStatus status;
  status.name = Str(value, "name");
  status.image = Str(value, "image");
  status.image_id = Str(value, "imageID");
  status.container_id = Str(value, "containerID");
  status.ready = BoolAt(value, {"ready"});
  if (const Json* started = Member(value, "started"); started != nullptr && started->is_boolean()) {
    status.started = started->get<bool>();
  }
  status.restart_count = Int(value, "restartCount");
  status.state = ContainerState::FromJson(ObjectAt(value, {"state"}));
  status.last_state = ContainerState::FromJson(ObjectAt(value, {"lastState"}));
  return status;
}

Json ContainerStatus::ToJson() const {
  Json out = {{"name", name},
              {"image", image},
              {"imageID", image_id},
              {"ready", ready},
              {"restartCount", restart_count},
              {"state", state.ToJson()},
              {"lastState", last_state.ToJson()}};
  PutString(out, "containerID", container_id);
  if (started) out["started"] = *started;
  return out;
}

PodStatus PodStatus::FromJson(const Json& status) {
  PodStatus out;
  out.phase = Str(status, "phase");
  out.conditions = DecodeConditions(status);
  for (const Json& value : ArrayAt(status, {"initContainerStatuses"})) {
    out.init_container_statuses.push_back(ContainerStatus::FromJson(value));
  }
  for (const Json& value : ArrayAt(status, {"containerStatuses"})) {
    out.container_statuses.push_back(ContainerStatus::FromJson(value));
  }
  out.host_ip = Str(status, "hostIP");
  out.pod_ip = Str(status, "podIP");
  out.start_time = TimestampAt(status, {"startTime"});
  out.reason = Str(status, "reason");
  out.message = Str(status, "message");
  out.qos_class = Str(status, "qosClass");
  out.nominated_node_name = Str(status, "nominatedNodeName");
  return out;
}

Json PodStatus::ToJson() const {
  Json out = Json::object();
  PutString(out, "phase", phase);
  if (!conditions.empty()) out["conditions"] = EncodeConditions(conditions);
  for (auto [key, list] : {std::pair{"initContainerStatuses", &init_container_statuses},
                           std::pair{"containerStatuses", &container_statuses}}) {
    if (list->empty()) continue;
    Json statuses = Json::array();
    for (const ContainerStatus& status : *list)
      statuses.push_back(status.ToJson());
    out[key] = std::move(statuses);
  }
  if (!host_ip.empty()) {
    out["hostIP"] = host_ip;
    out["hostIPs"] = Json::array({{{"ip", host_ip}}});
  }
  if (!pod_ip.empty()) {
    out["podIP"] = pod_ip;
    out["podIPs"] = Json::array({{{"ip", pod_ip}}});
  }
  PutTime(out, "startTime", start_time);
  PutString(out, "reason", reason);
  PutString(out, "message", message);
  PutString(out, "qosClass", qos_class);
  PutString(out, "nominatedNodeName", nominated_node_name);
  return out;
}

absl::StatusOr<NodeStatus> NodeStatus::FromJson(const Json& status) {
  NodeStatus out;
  absl::StatusOr<ResourceList> capacity =
      DecodeResources(ObjectAt(status, {"capacity"}), "capacity");
  if (!capacity.ok()) return capacity.status();
  absl::StatusOr<ResourceList> allocatable =
      DecodeResources(ObjectAt(status, {"allocatable"}), "allocatable");
  if (!allocatable.ok()) return allocatable.status();
  out.capacity = *std::move(capacity);
  out.allocatable = *std::move(allocatable);
  out.conditions = DecodeConditions(status);
  for (const Json& address : ArrayAt(status, {"addresses"})) {
    out.addresses.push_back({Str(address, "type"), Str(address, "address")});
  }
  out.kubelet_port = IntAt(status, {"daemonEndpoints", "kubeletEndpoint", "Port"}).value_or(0);
  const Json& info = ObjectAt(status, {"nodeInfo"});
  out.node_info = {Str(info, "machineID"),       Str(info, "systemUUID"),
                   Str(info, "bootID"),          Str(info, "kernelVersion"),
                   Str(info, "osImage"),         Str(info, "containerRuntimeVersion"),
                   Str(info, "kubeletVersion"),  Str(info, "kubeProxyVersion"),
                   Str(info, "operatingSystem"), Str(info, "architecture")};
  return out;
}

Json NodeStatus::ToJson() const {
  Json addresses_json = Json::array();
  for (const NodeAddress& address : addresses) {
    addresses_json.push_back({{"type", address.type}, {"address", address.address}});
  }
  return {{"capacity", EncodeResources(capacity)},
          {"allocatable", EncodeResources(allocatable)},
          {"conditions", EncodeConditions(conditions)},
          {"addresses", std::move(addresses_json)},
          {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", kubelet_port}}}}},
          {"nodeInfo",
           {{"machineID", node_info.machine_id},
            {"systemUUID", node_info.system_uuid},
            {"bootID", node_info.boot_id},
            {"kernelVersion", node_info.kernel_version},
            {"osImage", node_info.os_image},
            {"containerRuntimeVersion", node_info.container_runtime_version},
            {"kubeletVersion", node_info.kubelet_version},
            {"kubeProxyVersion", node_info.kube_proxy_version},
            {"operatingSystem", node_info.operating_system},
            {"architecture", node_info.architecture}}}};
}

NodeSpec NodeSpec::FromJson(const Json& spec) {
  NodeSpec out;
  out.unschedulable = BoolAt(spec, {"unschedulable"});
  for (const Json& taint : ArrayAt(spec, {"taints"})) {
    out.taints.push_back({Str(taint, "key"), Str(taint, "value"), Str(taint, "effect")});
  }
  return out;
}

DeploymentSpec DeploymentSpec::FromJson(const Json& spec) {
  DeploymentSpec out;
  out.replicas = Int(spec, "replicas", 1);
  out.selector = ObjectAt(spec, {"selector"});
  out.pod_template = ObjectAt(spec, {"template"});
  out.strategy_type = StringAt(spec, {"strategy", "type"}, "RollingUpdate");
  if (const Json* surge = MemberAt(spec, {"strategy", "rollingUpdate", "maxSurge"})) {
    out.max_surge = IntOrString::FromJson(*surge);
  }
  if (const Json* unavailable = MemberAt(spec, {"strategy", "rollingUpdate", "maxUnavailable"})) {
    out.max_unavailable = IntOrString::FromJson(*unavailable);
  }
  out.min_ready_seconds = Int(spec, "minReadySeconds");
  out.revision_history_limit = Int(spec, "revisionHistoryLimit", 10);
  out.progress_deadline_seconds = Int(spec, "progressDeadlineSeconds", 600);
  out.paused = BoolAt(spec, {"paused"});
  return out;
}

WorkloadStatus WorkloadStatus::FromJson(const Json& status) {
  WorkloadStatus out;
  out.observed_generation = Int(status, "observedGeneration");
  out.replicas = Int(status, "replicas");
  out.updated_replicas = Int(status, "updatedReplicas");
  out.ready_replicas = Int(status, "readyReplicas");
  out.available_replicas = Int(status, "availableReplicas");
  out.unavailable_replicas = Int(status, "unavailableReplicas");
  out.fully_labeled_replicas = Int(status, "fullyLabeledReplicas");
  out.collision_count = IntAt(status, {"collisionCount"});
  out.conditions = DecodeConditions(status);
  return out;
}

Json WorkloadStatus::ToDeploymentJson() const {
  Json out = Json::object();
  PutInt(out, "observedGeneration", observed_generation);
  PutInt(out, "replicas", replicas);
  PutInt(out, "updatedReplicas", updated_replicas);
  PutInt(out, "readyReplicas", ready_replicas);
  PutInt(out, "availableReplicas", available_replicas);
  PutInt(out, "unavailableReplicas", unavailable_replicas);
  if (collision_count) out["collisionCount"] = *collision_count;
  if (!conditions.empty()) out["conditions"] = EncodeConditions(conditions);
  return out;
}

Json WorkloadStatus::ToReplicaSetJson() const {
  // ReplicaSetStatus.replicas has no omitempty upstream.
  Json out = {{"replicas", replicas}};
  PutInt(out, "fullyLabeledReplicas", fully_labeled_replicas);
  PutInt(out, "readyReplicas", ready_replicas);
  PutInt(out, "availableReplicas", available_replicas);
  PutInt(out, "observedGeneration", observed_generation);
  if (!conditions.empty()) out["conditions"] = EncodeConditions(conditions);
  return out;
}

ReplicaSetSpec ReplicaSetSpec::FromJson(const Json& spec) {
  return {Int(spec, "replicas", 1), Int(spec, "minReadySeconds"), ObjectAt(spec, {"selector"}),
          ObjectAt(spec, {"template"})};
}

}  // namespace orch::api
