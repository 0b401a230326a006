#include "orchestrator/cli/describe.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/table.h"
#include "orchestrator/api/text.h"

namespace orch::cli {
namespace {

using api::Cat;
using api::Json;

// kubectl's PrefixWriter: two spaces per level before each line.
class Out {
 public:
  void Line(int level, std::string_view text) {
    text_.append(static_cast<size_t>(level) * 2, ' ');
    api::Append(text_, text, "\n");
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

std::string OrNone(std::string value) {
  return value.empty() ? "<none>" : value;
}

std::string FormatTime(const std::optional<absl::Time>& time) {
  if (!time) return "<unset>";
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S %z", *time, absl::LocalTimeZone());
}

// "Labels:  a=b" then one line per further entry, aligned under the first.
void MapLines(Out& out, int level, std::string_view title, const Json& map) {
  if (!map.is_object() || map.empty()) {
    out.Line(level, Cat(title, ":\t<none>"));
    return;
  }
  bool first = true;
  for (const auto& [key, value] : map.items()) {
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    out.Line(level, Cat(first ? Cat(title, ":") : std::string(), "\t", key, "=", text));
    first = false;
  }
}

void AnnotationLines(Out& out, int level, const Json& annotations) {
  if (!annotations.is_object() || annotations.empty()) {
    out.Line(level, "Annotations:\t<none>");
    return;
  }
  bool first = true;
  for (const auto& [key, value] : annotations.items()) {
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    if (!text.empty() && text.back() == '\n') text.pop_back();
    out.Line(level, Cat(first ? "Annotations:" : "", "\t", key, ": ", text));
    first = false;
  }
}

std::string SelectorText(const Json& selector) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : api::ObjectAt(selector, {"matchLabels"}).items())
    parts.push_back(Cat(key, "=", value.is_string() ? value.get<std::string>() : value.dump()));
  for (const Json& expression : api::ArrayAt(selector, {"matchExpressions"})) {
    std::vector<std::string> values;
    for (const Json& v : api::ArrayAt(expression, {"values"}))
      values.push_back(v.is_string() ? v.get<std::string>() : v.dump());
    const std::string op = expression.value("operator", "");
    const std::string key = expression.value("key", "");
    if (op == "Exists")
      parts.push_back(key);
    else if (op == "DoesNotExist")
      parts.push_back(Cat("!", key));
    else
      parts.push_back(Cat(key, op == "In" ? " in (" : " notin (", absl::StrJoin(values, ","), ")"));
  }
  return parts.empty() ? "<none>" : absl::StrJoin(parts, ",");
}

std::string ResourceText(const Json& resources) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : resources.items())
    parts.push_back(Cat(key, ": ", value.is_string() ? value.get<std::string>() : value.dump()));
  return absl::StrJoin(parts, ", ");
}

void ContainerStateLines(Out& out, int level, std::string_view title, const Json& state) {
  if (const Json* running = api::Member(state, "running")) {
    out.Line(level, Cat(title, ":\tRunning"));
    out.Line(level + 1, Cat("Started:\t", FormatTime(api::TimestampAt(*running, {"startedAt"}))));
  } else if (const Json* waiting = api::Member(state, "waiting")) {
    out.Line(level, Cat(title, ":\tWaiting"));
    out.Line(level + 1, Cat("Reason:\t", waiting->value("reason", "")));
    if (!waiting->value("message", "").empty())
      out.Line(level + 1, Cat("Message:\t", waiting->value("message", "")));
  } else if (const Json* terminated = api::Member(state, "terminated")) {
    out.Line(level, Cat(title, ":\tTerminated"));
    out.Line(level + 1, Cat("Reason:\t", terminated->value("reason", "")));
    out.Line(level + 1, Cat("Exit Code:\t", api::IntAt(*terminated, {"exitCode"}).value_or(0)));
    out.Line(level + 1,
             Cat("Started:\t", FormatTime(api::TimestampAt(*terminated, {"startedAt"}))));
    out.Line(level + 1,
             Cat("Finished:\t", FormatTime(api::TimestampAt(*terminated, {"finishedAt"}))));
  } else {
    out.Line(level, Cat(title, ":\t<none>"));
  }
}

void ListLines(Out& out, int level, std::string_view title, const Json& list) {
  if (list.empty()) return;
  out.Line(level, Cat(title, ":"));
  for (const Json& item : list)
    out.Line(level + 1, item.is_string() ? item.get<std::string>() : item.dump());
}

// The Containers: section of a pod or pod template; `statuses` only for pods.
void ContainerLines(Out& out, int level, const Json& containers, const Json* statuses) {
  out.Line(level, "Containers:");
  for (const Json& container : containers) {
    const std::string name = container.value("name", "");
    out.Line(level + 1, Cat(name, ":"));
    const int inner = level + 2;
    const Json* status = nullptr;
    if (statuses != nullptr)
      for (const Json& candidate : *statuses)
        if (candidate.value("name", "") == name) status = &candidate;
    if (statuses != nullptr)
      out.Line(inner, Cat("Container ID:\t", status ? status->value("containerID", "") : ""));
    out.Line(inner, Cat("Image:\t", container.value("image", "")));
    if (statuses != nullptr)
      out.Line(inner, Cat("Image ID:\t", status ? status->value("imageID", "") : ""));
    std::vector<std::string> ports, host_ports;
    for (const Json& port : api::ArrayAt(container, {"ports"})) {
      const std::string protocol = port.value("protocol", "TCP");
      ports.push_back(Cat(api::IntAt(port, {"containerPort"}).value_or(0), "/", protocol));
      host_ports.push_back(Cat(api::IntAt(port, {"hostPort"}).value_or(0), "/", protocol));
    }
    out.Line(inner, Cat(ports.size() > 1 ? "Ports:\t" : "Port:\t",
                        ports.empty() ? "<none>" : absl::StrJoin(ports, ", ")));
    out.Line(inner, Cat(host_ports.size() > 1 ? "Host Ports:\t" : "Host Port:\t",
                        host_ports.empty() ? "<none>" : absl::StrJoin(host_ports, ", ")));
    ListLines(out, inner, "Command", api::ArrayAt(container, {"command"}));
    ListLines(out, inner, "Args", api::ArrayAt(container, {"args"}));
    if (status != nullptr) {
      ContainerStateLines(out, inner, "State", api::ObjectAt(*status, {"state"}));
      if (!api::ObjectAt(*status, {"lastState"}).empty())
        ContainerStateLines(out, inner, "Last State", api::ObjectAt(*status, {"lastState"}));
      out.Line(inner, Cat("Ready:\t", api::BoolAt(*status, {"ready"}) ? "True" : "False"));
      out.Line(inner, Cat("Restart Count:\t", api::IntAt(*status, {"restartCount"}).value_or(0)));
    }
    const Json& limits = api::ObjectAt(container, {"resources", "limits"});
    const Json& requests = api::ObjectAt(container, {"resources", "requests"});
    if (!limits.empty()) out.Line(inner, Cat("Limits:\t", ResourceText(limits)));
    if (!requests.empty()) out.Line(inner, Cat("Requests:\t", ResourceText(requests)));
    const Json& env = api::ArrayAt(container, {"env"});
    if (env.empty()) {
      out.Line(inner, "Environment:\t<none>");
    } else {
      out.Line(inner, "Environment:");
      for (const Json& variable : env)
        out.Line(inner + 1, Cat(variable.value("name", ""), ":\t",
                                variable.contains("valueFrom") ? variable["valueFrom"].dump()
                                                               : variable.value("value", "")));
    }
    const Json& mounts = api::ArrayAt(container, {"volumeMounts"});
    if (mounts.empty()) {
      out.Line(inner, "Mounts:\t<none>");
    } else {
      out.Line(inner, "Mounts:");
      for (const Json& mount : mounts)
        out.Line(inner + 1, Cat(mount.value("mountPath", ""), " from ", mount.value("name", ""),
                                api::BoolAt(mount, {"readOnly"}) ? " (ro)" : " (rw)"));
    }
  }
}

void PodTemplateLines(Out& out, const Json& pod_template) {
  out.Line(0, "Pod Template:");
  MapLines(out, 1, "Labels", api::ObjectAt(pod_template, {"metadata", "labels"}));
  const Json& annotations = api::ObjectAt(pod_template, {"metadata", "annotations"});
  if (!annotations.empty()) AnnotationLines(out, 1, annotations);
  ContainerLines(out, 1, api::ArrayAt(pod_template, {"spec", "containers"}), nullptr);
  const Json& volumes = api::ArrayAt(pod_template, {"spec", "volumes"});
  out.Line(1, volumes.empty() ? "Volumes:\t<none>" : "Volumes:");
  for (const Json& volume : volumes)
    out.Line(2, Cat(volume.value("name", ""), ":"));
}

void ConditionTable(Out& out, const Json& conditions, bool with_reason) {
  if (conditions.empty()) return;
  out.Line(0, "Conditions:");
  out.Line(1, with_reason ? "Type\tStatus\tReason" : "Type\tStatus");
  out.Line(1, with_reason ? "----\t------\t------" : "----\t------");
  for (const Json& condition : conditions)
    out.Line(1, Cat(condition.value("type", ""), " \t", condition.value("status", ""),
                    with_reason ? Cat("\t", condition.value("reason", "")) : " "));
}

std::string EventSource(const Json& event) {
  std::string component = api::StringAt(event, {"source", "component"});
  if (component.empty()) component = event.value("reportingComponent", "");
  const std::string host = api::StringAt(event, {"source", "host"});
  return host.empty() ? component : Cat(component, ", ", host);
}

void EventLines(Out& out, Json events, absl::Time now) {
  if (events.empty()) {
    out.Line(0, "Events:\t<none>");
    return;
  }
  auto last_time = [](const Json& event) {
    std::optional<absl::Time> time = api::TimestampAt(event, {"lastTimestamp"});
    if (!time) time = api::TimestampAt(event, {"eventTime"});
    if (!time) time = api::TimestampAt(event, {"metadata", "creationTimestamp"});
    return time.value_or(absl::InfinitePast());
  };
  std::stable_sort(events.begin(), events.end(),
                   [&](const Json& a, const Json& b) { return last_time(a) < last_time(b); });
  out.Line(0, "Events:");
  out.Line(1, "Type\tReason\tAge\tFrom\tMessage");
  out.Line(1, "----\t------\t----\t----\t-------");
  for (const Json& event : events) {
    std::optional<absl::Time> first = api::TimestampAt(event, {"firstTimestamp"});
    if (!first) first = api::TimestampAt(event, {"eventTime"});
    if (!first) first = api::TimestampAt(event, {"metadata", "creationTimestamp"});
    const int64_t count = api::IntAt(event, {"count"}).value_or(1);
    std::string age = api::AgeSince(first, now);
    if (count > 1)
      age = Cat(api::AgeSince(last_time(event), now), " (x", count, " over ", age, ")");
    std::string message = event.value("message", "");
    message.erase(std::remove(message.begin(), message.end(), '\n'), message.end());
    out.Line(1, Cat(event.value("type", ""), "\t", event.value("reason", ""), "\t", age, "\t",
                    EventSource(event), "\t", message));
  }
}

void CommonHeader(Out& out, const Json& object, bool namespaced) {
  out.Line(0, Cat("Name:\t", api::NameOf(object)));
  if (namespaced) out.Line(0, Cat("Namespace:\t", api::NamespaceOf(object)));
}

void ControlledBy(Out& out, const Json& object) {
  if (const Json* owner = api::ControllerRefOf(object))
    out.Line(0, Cat("Controlled By:\t", owner->value("kind", ""), "/", owner->value("name", "")));
}

void DescribePod(Out& out, const Json& pod) {
  CommonHeader(out, pod, true);
  if (std::optional<int64_t> priority = api::IntAt(pod, {"spec", "priority"}))
    out.Line(0, Cat("Priority:\t", *priority));
  out.Line(0, Cat("Service Account:\t", api::StringAt(pod, {"spec", "serviceAccountName"})));
  const std::string node = api::StringAt(pod, {"spec", "nodeName"});
  const std::string host_ip = api::StringAt(pod, {"status", "hostIP"});
  out.Line(0, Cat("Node:\t", node.empty()      ? "<none>"
                             : host_ip.empty() ? node
                                               : Cat(node, "/", host_ip)));
  if (std::optional<absl::Time> start = api::TimestampAt(pod, {"status", "startTime"}))
    out.Line(0, Cat("Start Time:\t", FormatTime(start)));
  MapLines(out, 0, "Labels", api::LabelsOf(pod));
  AnnotationLines(out, 0, api::AnnotationsOf(pod));
  if (api::IsBeingDeleted(pod)) {
    out.Line(
        0, Cat("Status:\tTerminating (lasts ",
               api::AgeSince(api::TimestampAt(pod, {"metadata", "deletionTimestamp"}), absl::Now()),
               ")"));
    out.Line(0, Cat("Termination Grace Period:\t",
                    api::IntAt(pod, {"metadata", "deletionGracePeriodSeconds"}).value_or(0), "s"));
  } else {
    out.Line(0, Cat("Status:\t", api::StringAt(pod, {"status", "phase"})));
  }
  const std::string reason = api::StringAt(pod, {"status", "reason"});
  if (!reason.empty()) out.Line(0, Cat("Reason:\t", reason));
  const std::string message = api::StringAt(pod, {"status", "message"});
  if (!message.empty()) out.Line(0, Cat("Message:\t", message));
  out.Line(0, Cat("IP:\t", api::StringAt(pod, {"status", "podIP"})));
  const Json& ips = api::ArrayAt(pod, {"status", "podIPs"});
  if (ips.empty()) {
    out.Line(0, "IPs:\t<none>");
  } else {
    out.Line(0, "IPs:");
    for (const Json& ip : ips)
      out.Line(1, Cat("IP:\t", ip.value("ip", "")));
  }
  ControlledBy(out, pod);
  const Json& statuses = api::ArrayAt(pod, {"status", "containerStatuses"});
  ContainerLines(out, 0, api::ArrayAt(pod, {"spec", "containers"}), &statuses);
  ConditionTable(out, api::ArrayAt(pod, {"status", "conditions"}), false);
  const Json& volumes = api::ArrayAt(pod, {"spec", "volumes"});
  out.Line(0, volumes.empty() ? "Volumes:\t<none>" : "Volumes:");
  for (const Json& volume : volumes)
    out.Line(1, Cat(volume.value("name", ""), ":"));
  out.Line(0, Cat("QoS Class:\t", OrNone(api::StringAt(pod, {"status", "qosClass"}))));
  const Json& selectors = api::ObjectAt(pod, {"spec", "nodeSelector"});
  MapLines(out, 0, "Node-Selectors", selectors);
  const Json& tolerations = api::ArrayAt(pod, {"spec", "tolerations"});
  if (tolerations.empty()) out.Line(0, "Tolerations:\t<none>");
  bool first = true;
  for (const Json& toleration : tolerations) {
    std::string text = toleration.value("key", "");
    if (toleration.contains("value")) text = Cat(text, "=", toleration.value("value", ""));
    if (toleration.contains("effect")) text = Cat(text, ":", toleration.value("effect", ""));
    if (toleration.value("operator", "") == "Exists" && !toleration.contains("key"))
      text = "op=Exists";
    if (std::optional<int64_t> seconds = api::IntAt(toleration, {"tolerationSeconds"}))
      text = Cat(text, " for ", *seconds, "s");
    out.Line(0, Cat(first ? "Tolerations:" : "", "\t", text));
    first = false;
  }
}

void DescribeDeployment(Out& out, const Json& deployment, const Json& replica_sets) {
  CommonHeader(out, deployment, true);
  out.Line(0, Cat("CreationTimestamp:\t",
                  FormatTime(api::TimestampAt(deployment, {"metadata", "creationTimestamp"}))));
  MapLines(out, 0, "Labels", api::LabelsOf(deployment));
  AnnotationLines(out, 0, api::AnnotationsOf(deployment));
  out.Line(0, Cat("Selector:\t", SelectorText(api::ObjectAt(deployment, {"spec", "selector"}))));
  auto status = [&](std::string_view field) {
    return api::IntAt(deployment, {"status", field}).value_or(0);
  };
  out.Line(0, Cat("Replicas:\t", api::IntAt(deployment, {"spec", "replicas"}).value_or(1),
                  " desired | ", status("updatedReplicas"), " updated | ", status("replicas"),
                  " total | ", status("availableReplicas"), " available | ",
                  status("unavailableReplicas"), " unavailable"));
  const std::string strategy = api::StringAt(deployment, {"spec", "strategy", "type"});
  out.Line(0, Cat("StrategyType:\t", strategy));
  out.Line(0, Cat("MinReadySeconds:\t",
                  api::IntAt(deployment, {"spec", "minReadySeconds"}).value_or(0)));
  if (strategy == "RollingUpdate") {
    auto text = [&](std::string_view field) {
      const Json* value = api::MemberAt(deployment, {"spec", "strategy", "rollingUpdate", field});
      if (value == nullptr) return std::string("<unset>");
      return value->is_string() ? value->get<std::string>() : value->dump();
    };
    out.Line(0, Cat("RollingUpdateStrategy:\t", text("maxUnavailable"), " max unavailable, ",
                    text("maxSurge"), " max surge"));
  }
  PodTemplateLines(out, api::ObjectAt(deployment, {"spec", "template"}));
  ConditionTable(out, api::ArrayAt(deployment, {"status", "conditions"}), true);
  const std::string revision =
      api::StringAt(deployment, {"metadata", "annotations", "deployment.kubernetes.io/revision"});
  std::vector<std::string> old_sets;
  std::string new_set = "<none>";
  for (const Json& replica_set : replica_sets) {
    const Json* owner = api::ControllerRefOf(replica_set);
    if (owner == nullptr || owner->value("uid", "") != api::UidOf(deployment)) continue;
    const std::string text = Cat(
        api::NameOf(replica_set), " (", api::IntAt(replica_set, {"status", "replicas"}).value_or(0),
        "/", api::IntAt(replica_set, {"spec", "replicas"}).value_or(0), " replicas created)");
    if (!revision.empty() &&
        api::StringAt(replica_set,
                      {"metadata", "annotations", "deployment.kubernetes.io/revision"}) == revision)
      new_set = text;
    else if (api::IntAt(replica_set, {"spec", "replicas"}).value_or(0) > 0)
      old_sets.push_back(text);
  }
  out.Line(0,
           Cat("OldReplicaSets:\t", old_sets.empty() ? "<none>" : absl::StrJoin(old_sets, ", ")));
  out.Line(0, Cat("NewReplicaSet:\t", new_set));
}

void DescribeReplicaSet(Out& out, const Json& replica_set, const Json& pods) {
  CommonHeader(out, replica_set, true);
  out.Line(0, Cat("Selector:\t", SelectorText(api::ObjectAt(replica_set, {"spec", "selector"}))));
  MapLines(out, 0, "Labels", api::LabelsOf(replica_set));
  AnnotationLines(out, 0, api::AnnotationsOf(replica_set));
  ControlledBy(out, replica_set);
  out.Line(
      0, Cat("Replicas:\t", api::IntAt(replica_set, {"status", "replicas"}).value_or(0),
             " current / ", api::IntAt(replica_set, {"spec", "replicas"}).value_or(1), " desired"));
  int running = 0, waiting = 0, succeeded = 0, failed = 0;
  for (const Json& pod : pods) {
    const std::string phase = api::StringAt(pod, {"status", "phase"});
    running += phase == "Running";
    waiting += phase == "Pending" || phase.empty();
    succeeded += phase == "Succeeded";
    failed += phase == "Failed";
  }
  out.Line(0, Cat("Pods Status:\t", running, " Running / ", waiting, " Waiting / ", succeeded,
                  " Succeeded / ", failed, " Failed"));
  PodTemplateLines(out, api::ObjectAt(replica_set, {"spec", "template"}));
  ConditionTable(out, api::ArrayAt(replica_set, {"status", "conditions"}), true);
}

void DescribeNode(Out& out, const Json& node, const Json& pods, absl::Time now) {
  CommonHeader(out, node, false);
  std::vector<std::string> roles;
  for (const auto& [key, value] : api::LabelsOf(node).items())
    if (key.starts_with("node-role.kubernetes.io/"))
      roles.push_back(key.substr(std::string_view("node-role.kubernetes.io/").size()));
  out.Line(0, Cat("Roles:\t", roles.empty() ? "<none>" : absl::StrJoin(roles, ",")));
  MapLines(out, 0, "Labels", api::LabelsOf(node));
  AnnotationLines(out, 0, api::AnnotationsOf(node));
  out.Line(0, Cat("CreationTimestamp:\t",
                  FormatTime(api::TimestampAt(node, {"metadata", "creationTimestamp"}))));
  const Json& taints = api::ArrayAt(node, {"spec", "taints"});
  if (taints.empty()) out.Line(0, "Taints:\t<none>");
  bool first = true;
  for (const Json& taint : taints) {
    std::string text = taint.value("key", "");
    if (!taint.value("value", "").empty()) text = Cat(text, "=", taint.value("value", ""));
    out.Line(0, Cat(first ? "Taints:" : "", "\t", text, ":", taint.value("effect", "")));
    first = false;
  }
  out.Line(
      0, Cat("Unschedulable:\t", api::BoolAt(node, {"spec", "unschedulable"}) ? "true" : "false"));
  const Json& conditions = api::ArrayAt(node, {"status", "conditions"});
  out.Line(0, "Conditions:");
  out.Line(1, "Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage");
  out.Line(1, "----\t------\t-----------------\t------------------\t------\t-------");
  for (const Json& condition : conditions)
    out.Line(1, Cat(condition.value("type", ""), " \t", condition.value("status", ""), " \t",
                    FormatTime(api::TimestampAt(condition, {"lastHeartbeatTime"})), " \t",
                    FormatTime(api::TimestampAt(condition, {"lastTransitionTime"})), " \t",
                    condition.value("reason", ""), " \t", condition.value("message", "")));
  out.Line(0, "Addresses:");
  for (const Json& address : api::ArrayAt(node, {"status", "addresses"}))
    out.Line(1, Cat(address.value("type", ""), ":\t", address.value("address", "")));
  for (std::string_view section : {"capacity", "allocatable"}) {
    out.Line(0, section == "capacity" ? "Capacity:" : "Allocatable:");
    for (const auto& [key, value] : api::ObjectAt(node, {"status", section}).items())
      out.Line(1, Cat(key, ":", "\t", value.is_string() ? value.get<std::string>() : value.dump()));
  }
  const Json& info = api::ObjectAt(node, {"status", "nodeInfo"});
  out.Line(0, "System Info:");
  for (const auto& [title, field] : std::vector<std::pair<std::string, std::string>>{
           {"Machine ID", "machineID"},
           {"System UUID", "systemUUID"},
           {"Boot ID", "bootID"},
           {"Kernel Version", "kernelVersion"},
           {"OS Image", "osImage"},
           {"Operating System", "operatingSystem"},
           {"Architecture", "architecture"},
           {"Container Runtime Version", "containerRuntimeVersion"},
           {"Kubelet Version", "kubeletVersion"}})
    out.Line(1, Cat(title, ":\t", info.value(field, "")));
  const std::string cidr = api::StringAt(node, {"spec", "podCIDR"});
  if (!cidr.empty()) out.Line(0, Cat("PodCIDR:\t", cidr));
  int active = 0;
  for (const Json& pod : pods) {
    const std::string phase = api::StringAt(pod, {"status", "phase"});
    active += phase != "Succeeded" && phase != "Failed";
  }
  out.Line(0, Cat("Non-terminated Pods:\t(", active, " in total)"));
  out.Line(1, "Namespace\tName\tAge");
  out.Line(1, "---------\t----\t---");
  for (const Json& pod : pods) {
    const std::string phase = api::StringAt(pod, {"status", "phase"});
    if (phase == "Succeeded" || phase == "Failed") continue;
    out.Line(1, Cat(api::NamespaceOf(pod), "\t", api::NameOf(pod), "\t",
                    api::AgeSince(api::TimestampAt(pod, {"metadata", "creationTimestamp"}), now)));
  }
}

void DescribeNamespace(Out& out, const Json& ns) {
  CommonHeader(out, ns, false);
  MapLines(out, 0, "Labels", api::LabelsOf(ns));
  AnnotationLines(out, 0, api::AnnotationsOf(ns));
  out.Line(0, Cat("Status:\t", api::StringAt(ns, {"status", "phase"}, "Active")));
  out.Line(0, "");
  out.Line(0, "No resource quota.");
  out.Line(0, "");
  out.Line(0, "No LimitRange resource.");
}

struct Cell {
  std::string text;
  bool terminated;  // followed by a tab
};

class TabFormatter {
 public:
  TabFormatter(std::vector<std::vector<Cell>> lines, size_t min_width, size_t padding)
      : lines_(std::move(lines)), min_width_(min_width), padding_(padding) {}

  std::string Run() {
    Format(0, lines_.size());
    return out_;
  }

 private:
  // Go's tabwriter.format: a column block is a run of lines with a cell in this column.
  void Format(size_t line0, size_t line1) {
    const size_t column = widths_.size();
    for (size_t line = line0; line < line1; ++line) {
      if (column + 1 >= lines_[line].size()) continue;
      WriteLines(line0, line);
      line0 = line;
      size_t width = min_width_;
      for (; line < line1 && column + 1 < lines_[line].size(); ++line)
        width = std::max(width, lines_[line][column].text.size() + padding_);
      widths_.push_back(width);
      Format(line0, line);
      widths_.pop_back();
      line0 = line;
      --line;
    }
    WriteLines(line0, line1);
  }

  void WriteLines(size_t line0, size_t line1) {
    for (size_t i = line0; i < line1; ++i) {
      const std::vector<Cell>& cells = lines_[i];
      for (size_t j = 0; j < cells.size(); ++j) {
        out_ += cells[j].text;
        if (j < widths_.size() && j + 1 < cells.size())
          out_.append(widths_[j] - std::min(widths_[j], cells[j].text.size()), ' ');
      }
      out_ += "\n";
    }
  }

  std::vector<std::vector<Cell>> lines_;
  size_t min_width_;
  size_t padding_;
  std::vector<size_t> widths_;
  std::string out_;
};

}  // namespace

std::string AlignTabs(std::string_view text, size_t min_width, size_t padding) {
  std::vector<std::vector<Cell>> lines;
  std::vector<std::string> raw = absl::StrSplit(std::string(text), '\n');
  if (!raw.empty() && raw.back().empty()) raw.pop_back();
  for (const std::string& line : raw) {
    std::vector<std::string> parts = absl::StrSplit(line, '\t');
    std::vector<Cell> cells;
    for (size_t i = 0; i < parts.size(); ++i)
      cells.push_back({parts[i], i + 1 < parts.size()});
    lines.push_back(std::move(cells));
  }
  return TabFormatter(std::move(lines), min_width, padding).Run();
}

std::string Describe(api::Kind kind, const DescribeInput& input, absl::Time now) {
  Out out;
  switch (kind) {
    case api::Kind::kPod:
      DescribePod(out, input.object);
      break;
    case api::Kind::kDeployment:
      DescribeDeployment(out, input.object, input.related);
      break;
    case api::Kind::kReplicaSet:
      DescribeReplicaSet(out, input.object, input.related);
      break;
    case api::Kind::kNode:
      DescribeNode(out, input.object, input.related, now);
      break;
    case api::Kind::kNamespace:
      DescribeNamespace(out, input.object);
      break;
    default:
      CommonHeader(out, input.object, !api::NamespaceOf(input.object).empty());
      MapLines(out, 0, "Labels", api::LabelsOf(input.object));
      AnnotationLines(out, 0, api::AnnotationsOf(input.object));
      break;
  }
  if (kind != api::Kind::kNamespace) EventLines(out, input.events, now);
  return AlignTabs(out.text(), 0, 2);
}

}  // namespace orch::cli
