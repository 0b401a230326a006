// What `orchestrator up` runs: every process of a local cluster (raftkv members, API server,
// controller-manager, schedulers, kubelets) with its command line and log file, derived from
// the options alone so the plan can be checked without starting anything.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace orch::up {

struct UpOptions {
  std::filesystem::path dir = "run";  // data, logs, images, kubeconfig
  int members = 3;
  int nodes = 3;
  int schedulers = 1;
  int controller_managers = 1;
  uint16_t api_port = 6443;
  // Member i (1-based) listens on i*10000 + 2379 (client), + 2380 (peer), + 2381 (metrics).
  // With free_ports every port is picked free instead (tests).
  bool free_ports = false;
  bool fresh = false;  // wipe `dir` first
  // Kinds not started again when they die ("member", "apiserver", "controller-manager",
  // "scheduler", "kubelet"); every other component is restarted with back-off.
  std::vector<std::string> no_restart;
  // Extra flags appended to every process of one kind.
  std::vector<std::string> apiserver_flags;
  std::vector<std::string> scheduler_flags;
  std::vector<std::string> controller_manager_flags;
  std::vector<std::string> kubelet_flags;
};

// Where the binaries are (the build tree or an install prefix).
struct Binaries {
  std::filesystem::path raftkv;
  std::filesystem::path apiserver;
  std::filesystem::path scheduler;
  std::filesystem::path controller_manager;
  std::filesystem::path kubelet;
  std::filesystem::path http_server;  // the example image
};

// Finds each binary beside `self` (an install's bin/), in the build tree's component
// directories relative to it, or on PATH; NotFound naming the first one missing.
absl::StatusOr<Binaries> FindBinaries(const std::filesystem::path& self);

enum class ComponentKind { kMember, kApiServer, kControllerManager, kScheduler, kKubelet };

struct Component {
  ComponentKind kind;
  std::string name;  // "member-1", "apiserver", "scheduler-1", "kubelet-node-2", ...
  std::vector<std::string> argv;
  std::filesystem::path log_file;
  // A URL that answers 200 once the process serves ("" when there is none to poll).
  std::string health_url;
  bool restart = true;  // start it again when it dies
};

struct ClusterPlan {
  std::vector<Component> components;  // in start order; stopped in reverse
  std::string store_endpoints;        // "127.0.0.1:12379,..."
  std::string api_url;                // "http://127.0.0.1:6443"
  std::filesystem::path kubeconfig;
  std::filesystem::path image_dir;
  std::vector<std::string> node_names;
};

// "member", "apiserver", "controller-manager", "scheduler", "kubelet".
std::string_view KindName(ComponentKind kind);

// InvalidArgument for impossible options (no members, an even count is allowed but warned
// by the caller, more than 6 members with fixed ports, ...).
absl::StatusOr<ClusterPlan> PlanCluster(const UpOptions& options, const Binaries& binaries);

}  // namespace orch::up
