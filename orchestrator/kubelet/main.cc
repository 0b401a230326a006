// orch-kubelet: the node agent of the orchestrator.
//
//   orch-kubelet --node-name node-1 [--server http://127.0.0.1:6443 | --kubeconfig PATH]
//                [--root-dir DIR] [--image-dir DIR] [--pod-cidr 127.1.0.0/16] [--port 0]
//                [--cpu 4] [--memory 8Gi] [--max-pods 110] [--node-labels k=v,...]
//                [--register-with-taints k=v:NoSchedule,...] [--node-lease-renew-interval 10s]
//                [--node-status-update-frequency 10s] [--crash-backoff-base 10s]
//                [--crash-backoff-max 5m] [--shim PATH]
//   orch-kubelet --hollow-nodes 1000 [--node-name-prefix hollow-] [--server ...]
//                [--hollow-heartbeat-workers 16] [--hollow-status-workers 16] ...
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "orchestrator/client/config.h"
#include "orchestrator/kubelet/hollow.h"
#include "orchestrator/kubelet/kubelet.h"
#include "spdlog/spdlog.h"

namespace {

constexpr char kUsage[] =
    "usage: orch-kubelet --node-name NAME [--server URL | --kubeconfig PATH] [--root-dir DIR]\n"
    "  [--image-dir DIR] [--pod-cidr CIDR] [--port N] [--cpu Q] [--memory Q] [--max-pods N]\n"
    "  [--node-labels k=v,...] [--register-with-taints k=v:Effect,...]\n"
    "  [--node-lease-renew-interval 10s] [--node-status-update-frequency 10s]\n"
    "  [--crash-backoff-base 10s] [--crash-backoff-max 5m] [--shim PATH]\n"
    "or: orch-kubelet --hollow-nodes N [--node-name-prefix hollow-] [--server URL] [--cpu Q]\n"
    "  [--memory Q] [--max-pods N] [--node-labels k=v,...] [--node-lease-renew-interval 10s]\n"
    "  [--node-status-update-frequency 10s] [--hollow-heartbeat-workers 16]\n"
    "  [--hollow-status-workers 16]";

const char* const kFlags[] = {"--server",
                              "--kubeconfig",
                              "--node-name",
                              "--root-dir",
                              "--image-dir",
                              "--pod-cidr",
                              "--port",
                              "--cpu",
                              "--memory",
                              "--max-pods",
                              "--node-labels",
                              "--register-with-taints",
                              "--node-lease-renew-interval",
                              "--node-status-update-frequency",
                              "--crash-backoff-base",
                              "--crash-backoff-max",
                              "--shim",
                              "--hollow-nodes",
                              "--node-name-prefix",
                              "--hollow-heartbeat-workers",
                              "--hollow-status-workers"};

// --name=value or --name value; false on an unknown flag or a missing value.
bool ParseFlags(int argc, char** argv, std::map<std::string, std::string>& flags) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    const size_t equals = arg.find('=');
    const std::string name(arg.substr(0, equals));
    if (std::find(std::begin(kFlags), std::end(kFlags), name) == std::end(kFlags)) return false;
    if (equals != std::string_view::npos) {
      flags[name] = std::string(arg.substr(equals + 1));
    } else if (i + 1 < argc) {
      flags[name] = argv[++i];
    } else {
      return false;
    }
  }
  return true;
}

std::string Flag(const std::map<std::string, std::string>& flags, const std::string& name,
                 const std::string& fallback = "") {
  auto found = flags.find(name);
  return found == flags.end() ? fallback : found->second;
}

// A thread count flag: 1 to 1024, or absent (the value is left alone).
bool ParseWorkersFlag(const std::map<std::string, std::string>& flags, const std::string& name,
                      int* value) {
  if (!flags.contains(name)) return true;
  if (absl::SimpleAtoi(Flag(flags, name), value) && *value >= 1 && *value <= 1024) return true;
  spdlog::error("kubelet: bad {} {} (a thread count, 1 to 1024)", name, Flag(flags, name));
  return false;
}

bool ParseDurationFlag(const std::map<std::string, std::string>& flags, const std::string& name,
                       absl::Duration* value) {
  if (!flags.contains(name)) return true;
  if (absl::ParseDuration(Flag(flags, name), value) && *value > absl::ZeroDuration()) return true;
  spdlog::error("kubelet: bad {} {} (a duration such as 10s)", name, Flag(flags, name));
  return false;
}

bool ParseQuantityFlag(const std::map<std::string, std::string>& flags, const std::string& name,
                       std::optional<orch::api::Quantity>* value) {
  if (!flags.contains(name)) return true;
  absl::StatusOr<orch::api::Quantity> parsed = orch::api::Quantity::Parse(Flag(flags, name));
  if (parsed.ok()) {
    *value = *parsed;
    return true;
  }
  spdlog::error("kubelet: bad {} {}: {}", name, Flag(flags, name),
                std::string(parsed.status().message()));
  return false;
}

// The directory of this executable: orch-container-shim is installed beside it.
std::string OwnDirectory() {
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? "." : self.parent_path().string();
}

void WaitForTermination() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("kubelet: signal {} received, stopping", received);
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  if (!ParseFlags(argc, argv, flags)) {
    spdlog::error("{}", kUsage);
    return 2;
  }
  // Signals are taken by sigwait on the main thread; every thread started later inherits the
  // mask (child processes get a clean one from posix_spawn).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<orch::client::ClientConfig> client =
      orch::client::ResolveClientConfig(Flag(flags, "--server"), Flag(flags, "--kubeconfig"));
  if (!client.ok()) {
    spdlog::error("kubelet: {}", client.status().ToString());
    return 2;
  }
  client->user_agent = "orch-kubelet";
  int64_t max_pods = 110;
  if (flags.contains("--max-pods") &&
      (!absl::SimpleAtoi(Flag(flags, "--max-pods"), &max_pods) || max_pods < 1)) {
    spdlog::error("kubelet: bad --max-pods {}", Flag(flags, "--max-pods"));
    return 2;
  }
  absl::StatusOr<std::map<std::string, std::string>> labels =
      orch::kubelet::ParseLabels(Flag(flags, "--node-labels"));
  if (!labels.ok()) {
    spdlog::error("kubelet: --node-labels: {}", std::string(labels.status().message()));
    return 2;
  }

  if (flags.contains("--hollow-nodes")) {
    orch::kubelet::HollowConfig config;
    config.client = *client;
    config.max_pods = max_pods;
    config.node_labels = *labels;
    config.name_prefix = Flag(flags, "--node-name-prefix", "hollow-");
    if (!absl::SimpleAtoi(Flag(flags, "--hollow-nodes"), &config.count) || config.count < 1) {
      spdlog::error("kubelet: bad --hollow-nodes {}", Flag(flags, "--hollow-nodes"));
      return 2;
    }
    if (!ParseQuantityFlag(flags, "--cpu", &config.cpu) ||
        !ParseQuantityFlag(flags, "--memory", &config.memory) ||
        !ParseDurationFlag(flags, "--node-lease-renew-interval", &config.lease_renew_interval) ||
        !ParseDurationFlag(flags, "--node-status-update-frequency",
                           &config.status_update_interval) ||
        !ParseWorkersFlag(flags, "--hollow-heartbeat-workers", &config.heartbeat_workers) ||
        !ParseWorkersFlag(flags, "--hollow-status-workers", &config.pod_status_workers)) {
      return 2;
    }
    absl::StatusOr<std::unique_ptr<orch::kubelet::HollowNodes>> hollow =
        orch::kubelet::HollowNodes::Start(config);
    if (!hollow.ok()) {
      spdlog::error("kubelet: {}", hollow.status().ToString());
      return 1;
    }
    WaitForTermination();
    (*hollow)->Stop();
    return 0;
  }

  orch::kubelet::KubeletConfig config;
  config.client = *client;
  config.node_name = Flag(flags, "--node-name");
  if (config.node_name.empty()) {
    spdlog::error("{}", kUsage);
    return 2;
  }
  config.root_dir = Flag(flags, "--root-dir", "/tmp/orch-kubelet/" + config.node_name);
  config.image_dir = Flag(flags, "--image-dir", (config.root_dir / "images").string());
  config.pod_cidr = Flag(flags, "--pod-cidr", config.pod_cidr);
  config.max_pods = max_pods;
  config.node_labels = *labels;
  config.shim_path = Flag(flags, "--shim", OwnDirectory() + "/orch-container-shim");
  uint32_t port = 0;
  if (flags.contains("--port") &&
      (!absl::SimpleAtoi(Flag(flags, "--port"), &port) || port > 65535)) {
    spdlog::error("kubelet: bad --port {}", Flag(flags, "--port"));
    return 2;
  }
  config.port = static_cast<uint16_t>(port);
  absl::StatusOr<std::vector<orch::api::Taint>> taints =
      orch::kubelet::ParseTaints(Flag(flags, "--register-with-taints"));
  if (!taints.ok()) {
    spdlog::error("kubelet: --register-with-taints: {}", std::string(taints.status().message()));
    return 2;
  }
  config.register_with_taints = *taints;
  if (!ParseQuantityFlag(flags, "--cpu", &config.cpu) ||
      !ParseQuantityFlag(flags, "--memory", &config.memory) ||
      !ParseDurationFlag(flags, "--node-lease-renew-interval", &config.lease_renew_interval) ||
      !ParseDurationFlag(flags, "--node-status-update-frequency", &config.status_update_interval) ||
      !ParseDurationFlag(flags, "--crash-backoff-base", &config.backoff_base) ||
      !ParseDurationFlag(flags, "--crash-backoff-max", &config.backoff_max)) {
    return 2;
  }
  if (access(config.shim_path.c_str(), X_OK) != 0) {
    spdlog::error("kubelet: the container shim {} is not there (--shim)", config.shim_path);
    return 2;
  }
  std::error_code error;
  std::filesystem::create_directories(config.image_dir, error);
  absl::StatusOr<std::unique_ptr<orch::kubelet::Kubelet>> kubelet =
      orch::kubelet::Kubelet::Start(config);
  if (!kubelet.ok()) {
    spdlog::error("kubelet: {}", kubelet.status().ToString());
    return 1;
  }
  spdlog::info("[kubelet {}] serving on {}:{}, pods under {}, images from {}", config.node_name,
               config.address, (*kubelet)->port(), config.root_dir.string(),
               config.image_dir.string());
  WaitForTermination();
  (*kubelet)->Stop();
  return 0;
}
