#include "orchestrator/kubelet/node_agent.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/registry.h"
#include "orchestrator/client/api_error.h"

namespace orch::kubelet {
namespace {

constexpr char kLeaseNamespace[] = "kube-node-lease";

std::string FirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string OsImage() {
  std::ifstream in("/etc/os-release");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("PRETTY_NAME=")) {
      std::string value = line.substr(12);
      if (value.size() >= 2 && value.front() == '"') value = value.substr(1, value.size() - 2);
      return value;
    }
  }
  return "Linux";
}

api::NodeInfo MachineInfo() {
  api::NodeInfo info;
  info.machine_id = FirstLine("/etc/machine-id");
  info.system_uuid = info.machine_id;
  info.boot_id = FirstLine("/proc/sys/kernel/random/boot_id");
  struct utsname names {};
  if (uname(&names) == 0) info.kernel_version = names.release;
  info.os_image = OsImage();
  info.container_runtime_version = "orch-shim://1.0";
  info.kubelet_version = "v1.32.0-orch";
  info.operating_system = "linux";
  info.architecture = "amd64";
  return info;
}

api::Condition NodeCondition(const std::string& type, const std::string& status,
                             const std::string& reason, const std::string& message,
                             const api::Json& previous, absl::Time now) {
  api::Condition condition;
  condition.type = type;
  condition.status = status;
  condition.reason = reason;
  condition.message = message;
  condition.last_heartbeat_time = now;
  condition.last_transition_time = now;
  const api::Json* old = api::FindCondition(api::ArrayAt(previous, {"conditions"}), type);
  if (old != nullptr && api::StringAt(*old, {"status"}) == status) {
    if (auto since = api::TimestampAt(*old, {"lastTransitionTime"})) {
      condition.last_transition_time = since;
    }
  }
  return condition;
}

const api::ResourceInfo& Nodes() {
  return api::ResourceFor(api::Kind::kNode);
}
const api::ResourceInfo& Leases() {
  return api::ResourceFor(api::Kind::kLease);
}
const api::ResourceInfo& Namespaces() {
  return api::ResourceFor(api::Kind::kNamespace);
}

}  // namespace

api::ResourceList MachineCapacity(const std::optional<api::Quantity>& cpu,
                                  const std::optional<api::Quantity>& memory, int64_t max_pods) {
  api::ResourceList capacity;
  capacity["cpu"] =
      cpu ? *cpu
          : api::Quantity::FromUnits(std::max<int64_t>(std::thread::hardware_concurrency(), 1));
  if (memory) {
    capacity["memory"] = *memory;
  } else {
    int64_t kibibytes = 0;
    std::ifstream in("/proc/meminfo");
    for (std::string line; std::getline(in, line);) {
      std::istringstream fields(line);
      std::string key;
      fields >> key;
      if (key == "MemTotal:") fields >> kibibytes;
    }
    capacity["memory"] = *api::Quantity::Parse(absl::StrCat(kibibytes, "Ki"));
  }
  capacity["pods"] = api::Quantity::FromUnits(max_pods);
  return capacity;
}

std::string FormatMicroTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
}

api::Json NodeStatusDocument(const NodeConfig& config, const api::Json& previous, absl::Time now) {
  api::NodeStatus status;
  status.capacity = config.capacity;
  status.allocatable = config.capacity;
  status.conditions = {NodeCondition("MemoryPressure", "False", "KubeletHasSufficientMemory",
                                     "kubelet has sufficient memory available", previous, now),
                       NodeCondition("DiskPressure", "False", "KubeletHasNoDiskPressure",
                                     "kubelet has no disk pressure", previous, now),
                       NodeCondition("PIDPressure", "False", "KubeletHasSufficientPID",
                                     "kubelet has sufficient PID available", previous, now),
                       NodeCondition("Ready", "True", "KubeletReady",
                                     "kubelet is posting ready status", previous, now)};
  status.addresses = {{"InternalIP", "127.0.0.1"}, {"Hostname", config.name}};
  status.kubelet_port = config.kubelet_port;
  static const api::NodeInfo kMachineInfo = MachineInfo();
  status.node_info = kMachineInfo;
  return status.ToJson();
}

api::Json NodeDocument(const NodeConfig& config, absl::Time now) {
  api::Json labels = {{"kubernetes.io/hostname", config.name},
                      {"kubernetes.io/os", "linux"},
                      {"kubernetes.io/arch", "amd64"},
                      {"beta.kubernetes.io/os", "linux"},
                      {"beta.kubernetes.io/arch", "amd64"}};
  for (const auto& [key, value] : config.labels)
    labels[key] = value;
  api::Json taints = api::Json::array();
  for (const api::Taint& taint : config.taints) {
    api::Json entry = {{"key", taint.key}, {"effect", taint.effect}};
    if (!taint.value.empty()) entry["value"] = taint.value;
    taints.push_back(std::move(entry));
  }
  api::Json spec = api::Json::object();
  if (!config.pod_cidr.empty()) {
    spec["podCIDR"] = config.pod_cidr;
    spec["podCIDRs"] = api::Json::array({config.pod_cidr});
  }
  if (!taints.empty()) spec["taints"] = std::move(taints);
  api::Json metadata = {{"name", config.name}, {"labels", std::move(labels)}};
  if (!config.limits_note.empty()) {
    metadata["annotations"] = {{"orch.raftkv.io/resource-limits", config.limits_note}};
  }
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata", std::move(metadata)},
          {"spec", std::move(spec)},
          {"status", NodeStatusDocument(config, api::Json::object(), now)}};
}

NodeAgent::NodeAgent(client::Client& client, NodeConfig config)
    : client_(client), config_(std::move(config)) {}

absl::Status NodeAgent::Register() {
  const absl::Time now = absl::Now();
  api::Json node = NodeDocument(config_, now);
  absl::StatusOr<api::Json> created = client_.Create(Nodes(), "", node);
  if (created.ok()) {
    node_uid_ = api::UidOf(*created);
  } else if (client::IsAlreadyExists(created.status())) {
    // Re-registration: our labels, CIDR and annotation; taints and unschedulable stay as
    // others (kubectl taint/cordon, the node controller) left them.
    absl::StatusOr<api::Json> existing = client_.Get(Nodes(), "", config_.name);
    if (!existing.ok()) return existing.status();
    api::Json updated = *existing;
    for (const auto& [key, value] : node["metadata"]["labels"].items()) {
      updated["metadata"]["labels"][key] = value;
    }
    if (node["metadata"].contains("annotations")) {
      for (const auto& [key, value] : node["metadata"]["annotations"].items()) {
        updated["metadata"]["annotations"][key] = value;
      }
    }
    if (node["spec"].contains("podCIDR")) {
      updated["spec"]["podCIDR"] = node["spec"]["podCIDR"];
      updated["spec"]["podCIDRs"] = node["spec"]["podCIDRs"];
    }
    absl::StatusOr<api::Json> written = client_.Update(Nodes(), updated);
    if (!written.ok()) return written.status();
    node_uid_ = api::UidOf(*written);
    last_status_ = api::ObjectAt(*written, {"status"});
  } else {
    return created.status();
  }
  registered_ = true;
  return UpdateStatus();
}

absl::Status NodeAgent::UpdateStatus() {
  api::Json status = NodeStatusDocument(config_, last_status_, absl::Now());
  api::Json patch = {{"status", status}};
  client::PatchOptions options;
  options.subresource = "status";
  absl::StatusOr<api::Json> patched =
      client_.Patch(Nodes(), "", config_.name, client::PatchType::kMerge, patch.dump(), options);
  if (!patched.ok()) {
    if (client::IsNotFound(patched.status())) registered_ = false;  // deleted: register again
    return patched.status();
  }
  last_status_ = std::move(status);
  return absl::OkStatus();
}

absl::Status NodeAgent::RenewLease() {
  const std::string renew_time = FormatMicroTime(absl::Now());
  if (lease_) {
    api::Json renewed = *lease_;
    renewed["spec"]["renewTime"] = renew_time;
    renewed["spec"]["holderIdentity"] = config_.name;
    absl::StatusOr<api::Json> written = client_.Update(Leases(), renewed);
    if (written.ok()) {
      lease_ = *std::move(written);
      return absl::OkStatus();
    }
    lease_.reset();  // conflict or gone: read it again below
    if (!client::IsConflict(written.status()) && !client::IsNotFound(written.status())) {
      return written.status();
    }
  }
  absl::StatusOr<api::Json> existing = client_.Get(Leases(), kLeaseNamespace, config_.name);
  if (existing.ok()) {
    api::Json renewed = *existing;
    renewed["spec"]["renewTime"] = renew_time;
    renewed["spec"]["holderIdentity"] = config_.name;
    renewed["spec"]["leaseDurationSeconds"] = config_.lease_duration_seconds;
    absl::StatusOr<api::Json> written = client_.Update(Leases(), renewed);
    if (!written.ok()) return written.status();
    lease_ = *std::move(written);
    return absl::OkStatus();
  }
  if (!client::IsNotFound(existing.status())) return existing.status();
  api::Json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                     {"kind", "Lease"},
                     {"metadata", {{"name", config_.name}, {"namespace", kLeaseNamespace}}},
                     {"spec",
                      {{"holderIdentity", config_.name},
                       {"leaseDurationSeconds", config_.lease_duration_seconds},
                       {"renewTime", renew_time}}}};
  if (!node_uid_.empty()) {
    lease["metadata"]["ownerReferences"] = api::Json::array(
        {{{"apiVersion", "v1"}, {"kind", "Node"}, {"name", config_.name}, {"uid", node_uid_}}});
  }
  absl::StatusOr<api::Json> created = client_.Create(Leases(), kLeaseNamespace, lease);
  if (!created.ok() && client::IsNotFound(created.status())) {
    // The namespace is missing (a server that does not create it): make it, then retry.
    api::Json ns = {
        {"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", kLeaseNamespace}}}};
    absl::StatusOr<api::Json> made = client_.Create(Namespaces(), "", ns);
    if (!made.ok() && !client::IsAlreadyExists(made.status())) return made.status();
    created = client_.Create(Leases(), kLeaseNamespace, lease);
  }
  if (!created.ok()) return created.status();
  lease_ = *std::move(created);
  return absl::OkStatus();
}

}  // namespace orch::kubelet
