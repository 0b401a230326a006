#include "orchestrator/api/table.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/selector.h"
#include "orchestrator/api/text.h"

namespace orch::api {
namespace {

constexpr std::string_view kNameDoc =
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated.";
constexpr std::string_view kAgeDoc =
    "CreationTimestamp is a timestamp representing the server time when this object was "
    "created. It is not guaranteed to be set in happens-before order across separate "
    "operations. Clients may not set this value. It is represented in RFC3339 form and is in "
    "UTC.";

const TableColumn kName{"Name", "string", "name", kNameDoc, 0};
const TableColumn kAge{"Age", "string", "", kAgeDoc, 0};

std::string OrNone(std::string value, std::string_view none = "<none>") {
  return value.empty() ? std::string(none) : value;
}

int64_t Int(const Json& object, std::initializer_list<std::string_view> path) {
  return IntAt(object, path).value_or(0);
}

std::string Age(const Json& object, absl::Time now) {
  return AgeSince(TimestampAt(object, {"metadata", "creationTimestamp"}), now);
}

// Containers and images of a pod template, comma-joined (the wide columns of workloads).
std::pair<std::string, std::string> ContainersAndImages(const Json& pod_spec) {
  std::vector<std::string> names;
  std::vector<std::string> images;
  for (const Json& container : ArrayAt(pod_spec, {"containers"})) {
    names.push_back(StringAt(container, {"name"}));
    images.push_back(StringAt(container, {"image"}));
  }
  return {Join(names, ","), Join(images, ",")};
}

void LatestFinish(const Json& status, std::optional<absl::Time>& latest) {
  std::optional<absl::Time> finished =
      TimestampAt(status, {"lastState", "terminated", "finishedAt"});
  if (finished && (!latest || *latest < *finished)) latest = finished;
}

// upstream printPod: READY, STATUS (reason), RESTARTS.
Json PodCells(const Json& pod, absl::Time now) {
  const Json& status = ObjectAt(pod, {"status"});
  const Json& init_statuses = ArrayAt(status, {"initContainerStatuses"});
  const Json& statuses = ArrayAt(status, {"containerStatuses"});
  int64_t total = static_cast<int64_t>(ArrayAt(pod, {"spec", "containers"}).size());
  size_t init_total = ArrayAt(pod, {"spec", "initContainers"}).size();
  int64_t ready = 0;
  int64_t restarts = 0;
  std::optional<absl::Time> last_restart;
  std::string phase = StringAt(status, {"phase"});
  std::string reason = StringAt(status, {"reason"}, phase);
  for (const Json& condition : ArrayAt(status, {"conditions"})) {
    if (StringAt(condition, {"type"}) == "PodScheduled" &&
        StringAt(condition, {"reason"}) == "SchedulingGated") {
      reason = "SchedulingGated";
    }
  }
  bool initializing = false;
  for (size_t i = 0; i < init_statuses.size(); ++i) {
    const Json& container = init_statuses[i];
    restarts += Int(container, {"restartCount"});
    LatestFinish(container, last_restart);
    const Json* terminated = MemberAt(container, {"state", "terminated"});
    std::string waiting_reason = StringAt(container, {"state", "waiting", "reason"});
    if (terminated != nullptr && Int(*terminated, {"exitCode"}) == 0) continue;
    if (terminated != nullptr) {
      std::string terminated_reason = StringAt(*terminated, {"reason"});
      if (!terminated_reason.empty()) {
        reason = "Init:" + terminated_reason;
      } else if (Int(*terminated, {"signal"}) != 0) {
        reason = Cat("Init:Signal:", Int(*terminated, {"signal"}));
      } else {
        reason = Cat("Init:ExitCode:", Int(*terminated, {"exitCode"}));
      }
    } else if (!waiting_reason.empty() && waiting_reason != "PodInitializing") {
      reason = "Init:" + waiting_reason;
    } else {
      reason = Cat("Init:", i, "/", init_total);
    }
    initializing = true;
    break;
  }
  if (!initializing || ConditionStatus(pod, "Initialized") == "True") {
    restarts = 0;
    last_restart.reset();
    bool has_running = false;
    for (size_t i = statuses.size(); i-- > 0;) {
      const Json& container = statuses[i];
      restarts += Int(container, {"restartCount"});
      LatestFinish(container, last_restart);
      const Json* terminated = MemberAt(container, {"state", "terminated"});
      std::string waiting_reason = StringAt(container, {"state", "waiting", "reason"});
      if (!waiting_reason.empty()) {
        reason = waiting_reason;
      } else if (terminated != nullptr && !StringAt(*terminated, {"reason"}).empty()) {
        reason = StringAt(*terminated, {"reason"});
      } else if (terminated != nullptr) {
        reason = Int(*terminated, {"signal"}) != 0
                     ? Cat("Signal:", Int(*terminated, {"signal"}))
                     : Cat("ExitCode:", Int(*terminated, {"exitCode"}));
      } else if (BoolAt(container, {"ready"}) && MemberAt(container, {"state", "running"})) {
        has_running = true;
        ++ready;
      }
    }
    if (reason == "Completed" && has_running) {
      reason = ConditionStatus(pod, "Ready") == "True" ? "Running" : "NotReady";
    }
  }
  if (IsBeingDeleted(pod)) {
    if (StringAt(status, {"reason"}) == "NodeLost") {
      reason = "Unknown";
    } else if (phase != "Succeeded" && phase != "Failed") {
      reason = "Terminating";
    }
  }
  std::string restarts_text = std::to_string(restarts);
  if (restarts != 0 && last_restart) {
    restarts_text = Cat(restarts, " (", AgeSince(last_restart, now), " ago)");
  }
  std::string pod_ip;
  const Json& pod_ips = ArrayAt(status, {"podIPs"});
  if (!pod_ips.empty()) pod_ip = StringAt(pod_ips[0], {"ip"});
  if (pod_ip.empty()) pod_ip = StringAt(status, {"podIP"});
  std::string readiness_gates = "<none>";
  const Json& gates = ArrayAt(pod, {"spec", "readinessGates"});
  if (!gates.empty()) {
    int true_conditions = 0;
    for (const Json& gate : gates) {
      if (ConditionStatus(pod, StringAt(gate, {"conditionType"})) == "True") ++true_conditions;
    }
    readiness_gates = Cat(true_conditions, "/", gates.size());
  }
  return Json::array({NameOf(pod), Cat(ready, "/", total), reason, restarts_text, Age(pod, now),
                      OrNone(pod_ip), OrNone(StringAt(pod, {"spec", "nodeName"})),
                      OrNone(StringAt(status, {"nominatedNodeName"})), readiness_gates});
}

std::string NodeAddress(const Json& node, std::string_view type) {
  for (const Json& address : ArrayAt(node, {"status", "addresses"})) {
    if (StringAt(address, {"type"}) == type) return StringAt(address, {"address"});
  }
  return "<none>";
}

Json NodeCells(const Json& node, absl::Time now) {
  std::vector<std::string> status;
  std::string ready = ConditionStatus(node, "Ready");
  if (!ready.empty()) status.push_back(ready == "True" ? "Ready" : "NotReady");
  if (status.empty()) status.push_back("Unknown");
  if (BoolAt(node, {"spec", "unschedulable"})) status.push_back("SchedulingDisabled");
  std::set<std::string> roles;
  constexpr std::string_view kRolePrefix = "node-role.kubernetes.io/";
  for (const auto& [key, value] : LabelsOf(node).items()) {
    if (key.rfind(kRolePrefix, 0) == 0 && key.size() > kRolePrefix.size()) {
      roles.insert(key.substr(kRolePrefix.size()));
    } else if (key == "kubernetes.io/role" && value.is_string() && !value.empty()) {
      roles.insert(value.get<std::string>());
    }
  }
  const Json& info = ObjectAt(node, {"status", "nodeInfo"});
  return Json::array({NameOf(node), Join(status, ","), OrNone(Join(roles, ",")), Age(node, now),
                      StringAt(info, {"kubeletVersion"}), NodeAddress(node, "InternalIP"),
                      NodeAddress(node, "ExternalIP"),
                      OrNone(StringAt(info, {"osImage"}), "<unknown>"),
                      OrNone(StringAt(info, {"kernelVersion"}), "<unknown>"),
                      OrNone(StringAt(info, {"containerRuntimeVersion"}), "<unknown>")});
}

Json DeploymentCells(const Json& deployment, absl::Time now) {
  auto [containers, images] =
      ContainersAndImages(ObjectAt(deployment, {"spec", "template", "spec"}));
  return Json::array({NameOf(deployment),
                      Cat(Int(deployment, {"status", "readyReplicas"}), "/",
                          IntAt(deployment, {"spec", "replicas"}).value_or(1)),
                      Int(deployment, {"status", "updatedReplicas"}),
                      Int(deployment, {"status", "availableReplicas"}), Age(deployment, now),
                      containers, images,
                      FormatLabelSelector(MemberAt(deployment, {"spec", "selector"}))});
}

Json ReplicaSetCells(const Json& replica_set, absl::Time now) {
  auto [containers, images] =
      ContainersAndImages(ObjectAt(replica_set, {"spec", "template", "spec"}));
  return Json::array({NameOf(replica_set), IntAt(replica_set, {"spec", "replicas"}).value_or(1),
                      Int(replica_set, {"status", "replicas"}),
                      Int(replica_set, {"status", "readyReplicas"}), Age(replica_set, now),
                      containers, images,
                      FormatLabelSelector(MemberAt(replica_set, {"spec", "selector"}))});
}

Json EventCells(const Json& event, absl::Time now) {
  std::optional<absl::Time> first = TimestampAt(event, {"firstTimestamp"});
  if (!first) first = TimestampAt(event, {"eventTime"});
  std::string first_seen = AgeSince(first, now);
  std::optional<absl::Time> last = TimestampAt(event, {"lastTimestamp"});
  std::string last_seen = last ? AgeSince(last, now) : first_seen;
  int64_t count = Int(event, {"count"});
  if (const Json* series = Member(event, "series"); series != nullptr && series->is_object()) {
    last_seen = AgeSince(TimestampAt(*series, {"lastObservedTime"}), now);
    count = Int(*series, {"count"});
  } else if (count == 0) {
    count = 1;
  }
  std::string kind = StringAt(event, {"involvedObject", "kind"});
  std::transform(kind.begin(), kind.end(), kind.begin(),
                 [](unsigned char c) { return static_cast<char>(absl::ascii_tolower(c)); });
  std::string name = StringAt(event, {"involvedObject", "name"});
  std::string target = name.empty() ? kind : Cat(kind, "/", name);
  std::string component = StringAt(event, {"source", "component"});
  std::string host = StringAt(event, {"source", "host"});
  std::string source;
  if (!component.empty()) {
    source = host.empty() ? component : Cat(component, ", ", host);
  } else {
    std::string controller = StringAt(event, {"reportingComponent"});
    std::string instance = StringAt(event, {"reportingInstance"});
    source = instance.empty() ? controller : Cat(controller, ", ", instance);
  }
  std::string message(absl::StripAsciiWhitespace(StringAt(event, {"message"})));
  return Json::array({last_seen, StringAt(event, {"type"}), StringAt(event, {"reason"}), target,
                      StringAt(event, {"involvedObject", "fieldPath"}), source, message, first_seen,
                      count, NameOf(event)});
}

}  // namespace

const std::vector<TableColumn>& TableColumns(Kind kind) {
  static const std::vector<TableColumn> kPod = {
      kName,
      {"Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic.",
       0},
      {"Status", "string", "", "The aggregate status of the containers in this pod.", 0},
      {"Restarts", "string", "",
       "The number of times the containers in this pod have been restarted and when the last "
       "container in this pod has restarted.",
       0},
      kAge,
      {"IP", "string", "", "IP address allocated to the pod. Routable at least within the cluster.",
       1},
      {"Node", "string", "", "Name of the Node this pod is scheduled on.", 1},
      {"Nominated Node", "string", "", "Name of the node nominated by the scheduler.", 1},
      {"Readiness Gates", "string", "", "The readiness gates of this pod.", 1}};
  static const std::vector<TableColumn> kNode = {
      kName,
      {"Status", "string", "", "The status of the node", 0},
      {"Roles", "string", "", "The roles of the node", 0},
      kAge,
      {"Version", "string", "", "Kubelet Version reported by the node.", 0},
      {"Internal-IP", "string", "", "List of addresses reachable to the node.", 1},
      {"External-IP", "string", "", "List of addresses reachable to the node.", 1},
      {"OS-Image", "string", "", "OS Image reported by the node from /etc/os-release.", 1},
      {"Kernel-Version", "string", "", "Kernel Version reported by the node from 'uname -r'.", 1},
      {"Container-Runtime", "string", "", "ContainerRuntime Version reported by the node.", 1}};
  static const std::vector<TableColumn> kDeployment = {
      kName,
      {"Ready", "string", "", "Number of the pod with ready state", 0},
      {"Up-to-date", "integer", "",
       "Total number of non-terminated pods targeted by this deployment that have the desired "
       "template spec.",
       0},
      {"Available", "integer", "",
       "Total number of available pods (ready for at least minReadySeconds) targeted by this "
       "deployment.",
       0},
      kAge,
      {"Containers", "string", "", "Names of each container in the template.", 1},
      {"Images", "string", "", "Images referenced by each container in the template.", 1},
      {"Selector", "string", "", "Label selector for pods.", 1}};
  static const std::vector<TableColumn> kReplicaSet = {
      kName,
      {"Desired", "integer", "", "Number of desired pods.", 0},
      {"Current", "integer", "", "Replicas is the most recently observed number of replicas.", 0},
      {"Ready", "integer", "", "The number of ready replicas for this replica set.", 0},
      kAge,
      {"Containers", "string", "", "Names of each container in the template.", 1},
      {"Images", "string", "", "Images referenced by each container in the template.", 1},
      {"Selector", "string", "", "Label selector for pods.", 1}};
  static const std::vector<TableColumn> kNamespace = {
      kName, {"Status", "string", "", "The status of the namespace", 0}, kAge};
  static const std::vector<TableColumn> kEvent = {
      {"Last Seen", "string", "",
       "The time at which the most recent occurrence of this event was recorded.", 0},
      {"Type", "string", "",
       "Type of this event (Normal, Warning), new types could be added in the future.", 0},
      {"Reason", "string", "",
       "This should be a short, machine understandable string that gives the reason for the "
       "transition into the object's current status.",
       0},
      {"Object", "string", "", "The object that this event is about.", 0},
      {"Subobject", "string", "", "The field of the object that this event is about.", 1},
      {"Source", "string", "", "The component reporting this event.", 1},
      {"Message", "string", "", "A human-readable description of the status of this operation.", 0},
      {"First Seen", "string", "", "The time at which the event was first recorded.", 1},
      {"Count", "integer", "", "The number of times this event has occurred.", 1},
      {"Name", "string", "name", kNameDoc, 1}};
  static const std::vector<TableColumn> kLease = {
      kName, {"Holder", "string", "", "The holder of the lease.", 0}, kAge};
  static const std::vector<TableColumn> kDefault = {kName, kAge};
  switch (kind) {
    case Kind::kPod:
      return kPod;
    case Kind::kNode:
      return kNode;
    case Kind::kDeployment:
      return kDeployment;
    case Kind::kReplicaSet:
      return kReplicaSet;
    case Kind::kNamespace:
      return kNamespace;
    case Kind::kEvent:
      return kEvent;
    case Kind::kLease:
      return kLease;
    case Kind::kBinding:
      return kDefault;
  }
  return kDefault;
}

Json TableColumnDefinitions(Kind kind) {
  Json columns = Json::array();
  for (const TableColumn& column : TableColumns(kind)) {
    columns.push_back({{"name", std::string(column.name)},
                       {"type", std::string(column.type)},
                       {"format", std::string(column.format)},
                       {"description", std::string(column.description)},
                       {"priority", column.priority}});
  }
  return columns;
}

Json TableCells(Kind kind, const Json& object, absl::Time now) {
  switch (kind) {
    case Kind::kPod:
      return PodCells(object, now);
    case Kind::kNode:
      return NodeCells(object, now);
    case Kind::kDeployment:
      return DeploymentCells(object, now);
    case Kind::kReplicaSet:
      return ReplicaSetCells(object, now);
    case Kind::kNamespace:
      return Json::array({NameOf(object), StringAt(object, {"status", "phase"}), Age(object, now)});
    case Kind::kEvent:
      return EventCells(object, now);
    case Kind::kLease:
      return Json::array(
          {NameOf(object), StringAt(object, {"spec", "holderIdentity"}), Age(object, now)});
    case Kind::kBinding:
      break;
  }
  return Json::array({NameOf(object), Age(object, now)});
}

Json TableRow(Kind kind, const Json& object, absl::Time now, IncludeObject include) {
  Json row = {{"cells", TableCells(kind, object, now)}};
  if (kind == Kind::kPod) {
    std::string phase = StringAt(object, {"status", "phase"});
    if (phase == "Succeeded" || phase == "Failed") {
      row["conditions"] =
          Json::array({{{"type", "Completed"},
                        {"status", "True"},
                        {"reason", phase},
                        {"message", phase == "Succeeded" ? "The pod has completed successfully."
                                                         : "The pod failed."}}});
    }
  }
  switch (include) {
    case IncludeObject::kNone:
      break;
    case IncludeObject::kMetadata:
      row["object"] = {{"kind", "PartialObjectMetadata"},
                       {"apiVersion", "meta.k8s.io/v1"},
                       {"metadata", ObjectAt(object, {"metadata"})}};
      break;
    case IncludeObject::kObject:
      row["object"] = object;
      break;
  }
  return row;
}

Json TableDocument(Kind kind, const std::vector<Json>& objects, std::string_view resource_version,
                   std::string_view continue_token, absl::Time now, IncludeObject include,
                   bool with_column_definitions) {
  Json metadata = {{"resourceVersion", std::string(resource_version)}};
  if (!continue_token.empty()) metadata["continue"] = std::string(continue_token);
  Json rows = Json::array();
  for (const Json& object : objects)
    rows.push_back(TableRow(kind, object, now, include));
  Json table = {{"kind", "Table"},
                {"apiVersion", "meta.k8s.io/v1"},
                {"metadata", std::move(metadata)},
                {"rows", std::move(rows)}};
  table["columnDefinitions"] =
      with_column_definitions ? TableColumnDefinitions(kind) : Json(nullptr);
  return table;
}

std::string HumanDuration(absl::Duration duration) {
  int64_t seconds = absl::ToInt64Seconds(duration);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return Cat(seconds, "s");
  int64_t minutes = seconds / 60;
  if (minutes < 10) {
    int64_t rest = seconds % 60;
    return rest == 0 ? Cat(minutes, "m") : Cat(minutes, "m", rest, "s");
  }
  if (minutes < 60 * 3) return Cat(minutes, "m");
  int64_t hours = minutes / 60;
  if (hours < 8) {
    int64_t rest = minutes % 60;
    return rest == 0 ? Cat(hours, "h") : Cat(hours, "h", rest, "m");
  }
  if (hours < 48) return Cat(hours, "h");
  if (hours < 24 * 8) {
    int64_t rest = hours % 24;
    return rest == 0 ? Cat(hours / 24, "d") : Cat(hours / 24, "d", rest, "h");
  }
  if (hours < 24 * 365 * 2) return Cat(hours / 24, "d");
  if (hours < 24 * 365 * 8) {
    int64_t days = (hours / 24) % 365;
    return days == 0 ? Cat(hours / 24 / 365, "y") : Cat(hours / 24 / 365, "y", days, "d");
  }
  return Cat(hours / 24 / 365, "y");
}

std::string AgeSince(const std::optional<absl::Time>& time, absl::Time now) {
  if (!time) return "<unknown>";
  return HumanDuration(now - *time);
}

}  // namespace orch::api
