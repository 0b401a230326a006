#include "orchestrator/up/cluster_plan.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace orch::up {
namespace {

namespace fs = std::filesystem;

uint16_t FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  uint16_t port = 0;
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  if (fd >= 0) close(fd);
  return port;
}

bool IsExecutable(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error) && access(path.c_str(), X_OK) == 0;
}

// `name` beside `self`, then in the build tree's `build_subdir` (relative to the build root,
// two levels above orchestrator/up/), then on PATH.
std::optional<fs::path> FindBinary(const fs::path& self, std::string_view name,
                                   std::string_view build_subdir) {
  const fs::path here = self.parent_path();
  const std::vector<fs::path> candidates = {here / name,
                                            here.parent_path().parent_path() / build_subdir / name};
  for (const fs::path& candidate : candidates)
    if (IsExecutable(candidate)) return fs::weakly_canonical(candidate);
  const char* path = std::getenv("PATH");
  for (absl::string_view dir :
       absl::StrSplit(path == nullptr ? "" : path, ':', absl::SkipEmpty())) {
    const fs::path candidate = fs::path(std::string(dir)) / name;
    if (IsExecutable(candidate)) return candidate;
  }
  return std::nullopt;
}

struct MemberPorts {
  uint16_t client, peer, metrics;
};

MemberPorts PortsOf(int member, bool free_ports) {
  if (free_ports) return {FreeLoopbackPort(), FreeLoopbackPort(), FreeLoopbackPort()};
  const int base = member * 10000;
  return {static_cast<uint16_t>(base + 2379), static_cast<uint16_t>(base + 2380),
          static_cast<uint16_t>(base + 2381)};
}

std::string Loopback(uint16_t port) {
  return absl::StrCat("http://127.0.0.1:", port);
}

void Append(std::vector<std::string>& argv, const std::vector<std::string>& extra) {
  argv.insert(argv.end(), extra.begin(), extra.end());
}

std::vector<Component> MemberComponents(const UpOptions& options, const Binaries& binaries,
                                        std::vector<std::string>& endpoints) {
  std::vector<MemberPorts> ports;
  std::vector<std::string> initial_cluster;
  for (int i = 1; i <= options.members; ++i) {
    ports.push_back(PortsOf(i, options.free_ports));
    initial_cluster.push_back(absl::StrCat("member-", i, "=", Loopback(ports.back().peer)));
  }
  std::vector<Component> members;
  for (int i = 1; i <= options.members; ++i) {
    const MemberPorts& port = ports[static_cast<size_t>(i - 1)];
    const std::string name = absl::StrCat("member-", i);
    endpoints.push_back(absl::StrCat("127.0.0.1:", port.client));
    members.push_back(Component{
        .kind = ComponentKind::kMember,
        .name = name,
        .argv = {binaries.raftkv.string(), "--name", name, "--data-dir",
                 (options.dir / "store" / name).string(), "--listen-client-urls",
                 Loopback(port.client), "--advertise-client-urls", Loopback(port.client),
                 "--listen-peer-urls", Loopback(port.peer), "--initial-advertise-peer-urls",
                 Loopback(port.peer), "--listen-metrics-urls", Loopback(port.metrics),
                 "--initial-cluster", absl::StrJoin(initial_cluster, ","),
                 "--initial-cluster-token", "orchestrator"},
        .log_file = options.dir / "logs" / (name + ".log"),
        .health_url = absl::StrCat(Loopback(port.metrics), "/health")});
  }
  return members;
}

}  // namespace

absl::StatusOr<Binaries> FindBinaries(const fs::path& self) {
  struct Wanted {
    fs::path Binaries::*field;
    std::string_view name;
    std::string_view build_subdir;
  };
  const Wanted wanted[] = {
      {&Binaries::raftkv, "raftkv", "raftkv/tools"},
      {&Binaries::apiserver, "orch-apiserver", "orchestrator/apiserver"},
      {&Binaries::scheduler, "orch-scheduler", "orchestrator/scheduler"},
      {&Binaries::controller_manager, "orch-controller-manager", "orchestrator/controllers"},
      {&Binaries::kubelet, "orch-kubelet", "orchestrator/kubelet"},
      {&Binaries::http_server, "orch-http-server", "orchestrator/kubelet"},
  };
  Binaries binaries;
  for (const Wanted& binary : wanted) {
    std::optional<fs::path> found = FindBinary(self, binary.name, binary.build_subdir);
    if (!found.has_value())
      return absl::NotFoundError(absl::StrCat("cannot find ", std::string(binary.name), " beside ",
                                              self.string(), ", in the build tree or on PATH"));
    binaries.*binary.field = *found;
  }
  return binaries;
}

std::string_view KindName(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::kMember:
      return "member";
    case ComponentKind::kApiServer:
      return "apiserver";
    case ComponentKind::kControllerManager:
      return "controller-manager";
    case ComponentKind::kScheduler:
      return "scheduler";
    case ComponentKind::kKubelet:
      return "kubelet";
  }
  return "";
}

absl::StatusOr<ClusterPlan> PlanCluster(const UpOptions& options, const Binaries& binaries) {
  if (options.members < 1) return absl::InvalidArgumentError("--members must be at least 1");
  if (!options.free_ports && options.members > 6)
    return absl::InvalidArgumentError("at most 6 members on the fixed ports; use --free-ports");
  if (options.nodes < 0 || options.nodes > 250)
    return absl::InvalidArgumentError("--nodes must be between 0 and 250");
  if (options.schedulers < 1 || options.controller_managers < 1)
    return absl::InvalidArgumentError("at least one scheduler and one controller-manager");
  for (const std::string& kind : options.no_restart) {
    const ComponentKind kinds[] = {ComponentKind::kMember, ComponentKind::kApiServer,
                                   ComponentKind::kControllerManager, ComponentKind::kScheduler,
                                   ComponentKind::kKubelet};
    if (std::none_of(std::begin(kinds), std::end(kinds),
                     [&kind](ComponentKind known) { return KindName(known) == kind; }))
      return absl::InvalidArgumentError(absl::StrCat("--no-restart: unknown kind \"", kind, "\""));
  }

  ClusterPlan plan;
  std::vector<std::string> endpoints;
  plan.components = MemberComponents(options, binaries, endpoints);
  plan.store_endpoints = absl::StrJoin(endpoints, ",");
  const uint16_t api_port = options.free_ports ? FreeLoopbackPort() : options.api_port;
  plan.api_url = Loopback(api_port);
  plan.kubeconfig = options.dir / "kubeconfig";
  plan.image_dir = options.dir / "images";

  Component apiserver{.kind = ComponentKind::kApiServer,
                      .name = "apiserver",
                      .argv = {binaries.apiserver.string(), "--store",
                               absl::StrCat("raftkv://", plan.store_endpoints), "--listen",
                               absl::StrCat("127.0.0.1:", api_port)},
                      .log_file = options.dir / "logs" / "apiserver.log",
                      .health_url = plan.api_url + "/readyz"};
  Append(apiserver.argv, options.apiserver_flags);
  plan.components.push_back(std::move(apiserver));

  for (int i = 1; i <= options.controller_managers; ++i) {
    const std::string name = absl::StrCat("controller-manager-", i);
    Component component{.kind = ComponentKind::kControllerManager,
                        .name = name,
                        .argv = {binaries.controller_manager.string(), "--server", plan.api_url},
                        .log_file = options.dir / "logs" / (name + ".log"),
                        .health_url = ""};
    Append(component.argv, options.controller_manager_flags);
    plan.components.push_back(std::move(component));
  }
  for (int i = 1; i <= options.schedulers; ++i) {
    const std::string name = absl::StrCat("scheduler-", i);
    Component component{.kind = ComponentKind::kScheduler,
                        .name = name,
                        .argv = {binaries.scheduler.string(), "--server", plan.api_url},
                        .log_file = options.dir / "logs" / (name + ".log"),
                        .health_url = ""};
    Append(component.argv, options.scheduler_flags);
    plan.components.push_back(std::move(component));
  }
  for (int i = 1; i <= options.nodes; ++i) {
    const std::string node = absl::StrCat("node-", i);
    plan.node_names.push_back(node);
    // Each node hands out pod addresses from its own part of 127.0.0.0/8.
    Component component{.kind = ComponentKind::kKubelet,
                        .name = "kubelet-" + node,
                        .argv = {binaries.kubelet.string(), "--server", plan.api_url, "--node-name",
                                 node, "--root-dir", (options.dir / "nodes" / node).string(),
                                 "--image-dir", plan.image_dir.string(), "--pod-cidr",
                                 absl::StrCat("127.", i, ".0.0/16"), "--port", "0"},
                        .log_file = options.dir / "logs" / ("kubelet-" + node + ".log"),
                        .health_url = ""};
    Append(component.argv, options.kubelet_flags);
    plan.components.push_back(std::move(component));
  }
  for (Component& component : plan.components)
    component.restart = std::find(options.no_restart.begin(), options.no_restart.end(),
                                  KindName(component.kind)) == options.no_restart.end();
  return plan;
}

}  // namespace orch::up
