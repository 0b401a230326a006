// orchestrator: runs a whole local cluster on this machine, each part its own process.
//
//   orchestrator up [--dir run] [--nodes 3] [--members 3] [--schedulers 1]
//                   [--controller-managers 1] [--api-port 6443] [--free-ports] [--fresh]
//                   [--no-restart[=KIND,...]]
//                   [--{apiserver,scheduler,controller-manager,kubelet}-flag=F]...
//
// Starts a raftkv cluster, the API server on it, the controller-manager, the scheduler and
// the kubelets; writes <dir>/kubeconfig (for orch and kubectl), <dir>/components.json (pids)
// and, once every node is Ready, <dir>/ready. Logs go to <dir>/logs/. Ctrl-C stops it all.
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "orchestrator/api/object.h"
#include "orchestrator/client/client.h"
#include "orchestrator/client/config.h"
#include "orchestrator/up/cluster_plan.h"
#include "orchestrator/up/component_supervisor.h"
#include "spdlog/spdlog.h"

namespace {

namespace fs = std::filesystem;
using orch::up::ClusterPlan;
using orch::up::Component;
using orch::up::ComponentKind;
using orch::up::UpOptions;

constexpr std::string_view kUsage =
    "usage: orchestrator up [--dir DIR] [--nodes N] [--members N] [--schedulers N]\n"
    "         [--controller-managers N] [--api-port PORT] [--free-ports] [--fresh]\n"
    "         [--no-restart[=member,apiserver,controller-manager,scheduler,kubelet]]\n"
    "         [--apiserver-flag F] [--scheduler-flag F] [--controller-manager-flag F]\n"
    "         [--kubelet-flag F]";

bool ParseInt(const std::string& text, int& out) {
  return absl::SimpleAtoi(text, &out);
}

// --name=value or --name value; false on anything unknown.
bool ParseFlags(int argc, char** argv, UpOptions& options) {
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    const size_t equals = arg.find('=');
    const std::string_view name = arg.substr(0, equals);
    if (name == "--free-ports") {
      options.free_ports = true;
      continue;
    }
    if (name == "--fresh") {
      options.fresh = true;
      continue;
    }
    if (arg == "--no-restart") {
      options.no_restart = {"member", "apiserver", "controller-manager", "scheduler", "kubelet"};
      continue;
    }
    std::string value;
    if (equals != std::string_view::npos) {
      value = std::string(arg.substr(equals + 1));
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return false;
    }
    int number = 0;
    if (name == "--dir")
      options.dir = value;
    else if (name == "--nodes" && ParseInt(value, number))
      options.nodes = number;
    else if (name == "--members" && ParseInt(value, number))
      options.members = number;
    else if (name == "--schedulers" && ParseInt(value, number))
      options.schedulers = number;
    else if (name == "--controller-managers" && ParseInt(value, number))
      options.controller_managers = number;
    else if (name == "--api-port" && ParseInt(value, number) && number > 0 && number < 65536)
      options.api_port = static_cast<uint16_t>(number);
    else if (name == "--no-restart")
      options.no_restart = absl::StrSplit(value, ',', absl::SkipEmpty());
    else if (name == "--apiserver-flag")
      options.apiserver_flags.push_back(value);
    else if (name == "--scheduler-flag")
      options.scheduler_flags.push_back(value);
    else if (name == "--controller-manager-flag")
      options.controller_manager_flags.push_back(value);
    else if (name == "--kubelet-flag")
      options.kubelet_flags.push_back(value);
    else
      return false;
  }
  return true;
}

// The images pods name (see docs/orchestrator-kubelet.md): links to local executables.
absl::Status MakeImageDir(const fs::path& dir, const fs::path& http_server) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) return absl::InternalError(absl::StrCat("cannot create ", dir.string()));
  const std::vector<std::pair<std::string, fs::path>> images = {{"http-server", http_server},
                                                                {"sh", "/bin/sh"},
                                                                {"bash", "/bin/bash"},
                                                                {"sleep", "/bin/sleep"},
                                                                {"python3", "/usr/bin/python3"}};
  for (const auto& [name, target] : images) {
    if (!fs::exists(target)) continue;
    fs::remove(dir / name, error);
    fs::create_symlink(target, dir / name, error);
    if (error) return absl::InternalError(absl::StrCat("cannot link ", (dir / name).string()));
  }
  return absl::OkStatus();
}

absl::StatusOr<orch::client::ClientConfig> ConfigFor(std::string_view url) {
  // "http://127.0.0.1:12381/health" -> the server part.
  const size_t path = url.find('/', url.find("//") + 2);
  return orch::client::ParseServerUrl(url.substr(0, path));
}

bool WaitHealthy(const Component& component, absl::Duration timeout) {
  absl::StatusOr<orch::client::ClientConfig> config = ConfigFor(component.health_url);
  if (!config.ok()) return false;
  config->request_timeout = absl::Seconds(2);
  orch::client::Client client(*config);
  const std::string path = component.health_url.substr(
      component.health_url.find('/', component.health_url.find("//") + 2));
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    absl::StatusOr<orch::client::HttpResult> result = client.Request("GET", path);
    if (result.ok() && result->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

int ReadyNodes(orch::client::Client& client) {
  absl::StatusOr<orch::api::Json> nodes =
      client.List(orch::api::ResourceFor(orch::api::Kind::kNode), "");
  if (!nodes.ok()) return 0;
  int ready = 0;
  for (const orch::api::Json& node : orch::api::ArrayAt(*nodes, {"items"}))
    if (orch::api::ConditionStatus(node, "Ready") == "True") ++ready;
  return ready;
}

void PrintSummary(const UpOptions& options, const ClusterPlan& plan) {
  const fs::path dir = fs::absolute(options.dir);
  std::cout << "\nThe orchestrator is up: " << options.members << " raftkv members ("
            << plan.store_endpoints << "), the API server at " << plan.api_url << ", "
            << options.controller_managers << " controller-manager(s), " << options.schedulers
            << " scheduler(s) and " << options.nodes << " kubelet(s) ("
            << absl::StrJoin(plan.node_names, ", ") << ").\n"
            << "Logs: " << (dir / "logs").string() << "/\n"
            << "Use it with orch or kubectl:\n"
            << "  export ORCHCONFIG=" << fs::absolute(plan.kubeconfig).string()
            << " KUBECONFIG=" << fs::absolute(plan.kubeconfig).string() << "\n"
            << "  orch get nodes\n  orch get pods -A -o wide\n"
            << "Ctrl-C stops everything.\n"
            << std::flush;
}

int Up(const UpOptions& options, const fs::path& self) {
  absl::StatusOr<orch::up::Binaries> binaries = orch::up::FindBinaries(self);
  if (!binaries.ok()) {
    spdlog::error("up: {}", binaries.status().ToString());
    return 1;
  }
  absl::StatusOr<ClusterPlan> plan = orch::up::PlanCluster(options, *binaries);
  if (!plan.ok()) {
    spdlog::error("up: {}", plan.status().ToString());
    return 2;
  }
  std::error_code error;
  if (options.fresh) fs::remove_all(options.dir, error);
  fs::create_directories(options.dir / "logs", error);
  fs::remove(options.dir / "ready", error);
  if (absl::Status status = MakeImageDir(plan->image_dir, binaries->http_server); !status.ok()) {
    spdlog::error("up: {}", status.ToString());
    return 1;
  }
  absl::StatusOr<orch::client::ClientConfig> api = orch::client::ParseServerUrl(plan->api_url);
  if (!api.ok() || !orch::client::WriteConfigFile(plan->kubeconfig.string(), *api).ok()) {
    spdlog::error("up: cannot write {}", plan->kubeconfig.string());
    return 1;
  }

  // Signals are taken by sigwait on this thread only; children get them unblocked.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  orch::up::ComponentSupervisor supervisor(options.dir / "components.json");
  for (const Component& component : plan->components) {
    if (absl::Status status = supervisor.Start(component); !status.ok()) {
      spdlog::error("up: {}", status.ToString());
      return 1;
    }
    // The API server needs the store, and the rest need the API server.
    const bool gate = component.kind == ComponentKind::kApiServer ||
                      (component.kind == ComponentKind::kMember &&
                       component.name == absl::StrCat("member-", options.members));
    if (!gate) continue;
    for (const Component& started : plan->components) {
      if (started.health_url.empty() || started.kind != component.kind) continue;
      if (!WaitHealthy(started, absl::Seconds(60))) {
        spdlog::error("up: {} did not become healthy ({}); see {}", started.name,
                      started.health_url, started.log_file.string());
        return 1;
      }
    }
  }
  orch::client::Client client(*api);
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (ReadyNodes(client) < options.nodes && absl::Now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  if (const int ready = ReadyNodes(client); ready < options.nodes)
    spdlog::warn("up: only {} of {} nodes are Ready after 60 s", ready, options.nodes);
  std::ofstream(options.dir / "ready") << plan->api_url << "\n";
  PrintSummary(options, *plan);

  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("up: signal {}, stopping every component", received);
  supervisor.StopAll(absl::Seconds(10));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  UpOptions options;
  if (argc < 2 || std::string_view(argv[1]) != "up" || !ParseFlags(argc, argv, options)) {
    std::cerr << kUsage << "\n";
    return 2;
  }
  return Up(options, fs::weakly_canonical(fs::path("/proc/self/exe")));
}
