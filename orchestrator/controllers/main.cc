// orch-controller-manager: the Deployment, ReplicaSet, node lifecycle, garbage collector and
// namespace controllers in one process. Several may run; one leads through the Lease
// kube-system/orch-controller-manager and only the leader runs controllers. A leader that
// loses its Lease exits (as kube-controller-manager does), so a supervisor restarts it clean.
//
//   orch-controller-manager [--server http://127.0.0.1:6443 | --kubeconfig PATH]
//       [--controllers '*'] [--node-monitor-grace-period 40s] [--pod-eviction-timeout 30s]
//       [--node-monitor-period 5s] [--workers 4] [--leader-elect=true]
//       [--leader-elect-lease-duration 15s] [--leader-elect-renew-deadline 10s]
//       [--leader-elect-retry-period 2s]
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "orchestrator/api/text.h"
#include "orchestrator/client/client.h"
#include "orchestrator/client/config.h"
#include "orchestrator/client/leader_election.h"
#include "orchestrator/controllers/controller_manager.h"
#include "spdlog/spdlog.h"

namespace {

constexpr std::string_view kUsage =
    "usage: orch-controller-manager [--server URL | --kubeconfig PATH] [--controllers LIST] "
    "[--node-monitor-grace-period D] [--pod-eviction-timeout D] [--node-monitor-period D] "
    "[--workers N] [--leader-elect=BOOL] [--leader-elect-lease-duration D] "
    "[--leader-elect-renew-deadline D] [--leader-elect-retry-period D]";

struct Flags {
  std::map<std::string, std::string, std::less<>> values = {
      {"--server", ""},
      {"--kubeconfig", ""},
      {"--controllers", "*"},
      {"--node-monitor-grace-period", "40s"},
      {"--pod-eviction-timeout", "30s"},
      {"--node-monitor-period", "5s"},
      {"--workers", "4"},
      {"--leader-elect", "true"},
      {"--leader-elect-lease-duration", "15s"},
      {"--leader-elect-renew-deadline", "10s"},
      {"--leader-elect-retry-period", "2s"},
  };

  absl::Duration Duration(std::string_view name, bool& ok) const {
    absl::Duration value;
    if (!absl::ParseDuration(values.find(name)->second, &value) || value <= absl::ZeroDuration()) {
      spdlog::error("controller-manager: bad {} {}", name, values.find(name)->second);
      ok = false;
    }
    return value;
  }
};

bool ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    const size_t equals = arg.find('=');
    auto it = flags.values.find(arg.substr(0, equals));
    if (it == flags.values.end()) return false;
    if (equals != std::string_view::npos) {
      it->second = std::string(arg.substr(equals + 1));
    } else if (it->first == "--leader-elect") {
      it->second = "true";
    } else if (i + 1 < argc) {
      it->second = argv[++i];
    } else {
      return false;
    }
  }
  return true;
}

std::string Identity() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return orch::api::Cat(host, "_", getpid());
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) {
    spdlog::error("{}", kUsage);
    return 2;
  }
  bool ok = true;
  orch::controllers::ControllerOptions options;
  options.node_monitor_grace_period = flags.Duration("--node-monitor-grace-period", ok);
  options.pod_eviction_timeout = flags.Duration("--pod-eviction-timeout", ok);
  options.node_monitor_period = flags.Duration("--node-monitor-period", ok);
  orch::client::LeaderElectionConfig election;
  election.lease_name = "orch-controller-manager";
  election.identity = Identity();
  election.lease_duration = flags.Duration("--leader-elect-lease-duration", ok);
  election.renew_deadline = flags.Duration("--leader-elect-renew-deadline", ok);
  election.retry_period = flags.Duration("--leader-elect-retry-period", ok);
  if (!absl::SimpleAtoi(flags.values["--workers"], &options.workers) || options.workers < 1) {
    spdlog::error("controller-manager: bad --workers {}", flags.values["--workers"]);
    ok = false;
  }
  bool leader_elect = true;
  if (!absl::SimpleAtob(flags.values["--leader-elect"], &leader_elect)) {
    spdlog::error("controller-manager: bad --leader-elect {}", flags.values["--leader-elect"]);
    ok = false;
  }
  absl::StatusOr<std::set<std::string>> enabled =
      orch::controllers::ParseControllerList(flags.values["--controllers"]);
  if (!enabled.ok()) {
    spdlog::error("controller-manager: {}", std::string(enabled.status().message()));
    ok = false;
  }
  absl::StatusOr<orch::client::ClientConfig> config = orch::client::ResolveClientConfig(
      flags.values.find("--server")->second, flags.values.find("--kubeconfig")->second);
  if (!config.ok()) {
    spdlog::error("controller-manager: {}", std::string(config.status().message()));
    ok = false;
  }
  if (!ok) return 2;
  config->user_agent = "orch-controller-manager";

  // Signals are taken by sigtimedwait below, on the main thread only.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  orch::client::Client client(*config);
  std::unique_ptr<orch::controllers::ControllerManager> manager;
  // The elector's callbacks only raise flags: its thread must stay free to renew the Lease.
  std::atomic<bool> leading{!leader_elect};
  std::atomic<bool> lost_lease{false};
  std::unique_ptr<orch::client::LeaderElector> elector;
  if (leader_elect) {
    election.on_started_leading = [&] {
      spdlog::info("controller-manager: {} leads; starting controllers", election.identity);
      leading = true;
    };
    election.on_stopped_leading = [&] { lost_lease = true; };
    election.on_new_leader = [&](const std::string& holder) {
      spdlog::info("controller-manager: leader is now {}", holder);
    };
    elector = std::make_unique<orch::client::LeaderElector>(client, election);
    elector->Start();
  }
  spdlog::info("controller-manager: {} running against {}:{} (controllers {})", election.identity,
               config->host, config->port, flags.values["--controllers"]);

  int exit_code = 0;
  const timespec poll = {0, 200'000'000};
  for (;;) {
    const int received = sigtimedwait(&signals, nullptr, &poll);
    if (received == SIGINT || received == SIGTERM) {
      spdlog::info("controller-manager: signal {}, stopping", received);
      break;
    }
    if (lost_lease) {
      spdlog::error("controller-manager: lost the lease; exiting");
      exit_code = 1;
      break;
    }
    if (leading && manager == nullptr) {
      manager = std::make_unique<orch::controllers::ControllerManager>(client, *enabled, options);
      if (absl::Status started = manager->Start(); !started.ok()) {
        spdlog::error("controller-manager: {}", started.ToString());
        exit_code = 1;
        break;
      }
    }
  }
  if (manager != nullptr) manager->Stop();
  if (elector != nullptr) elector->Stop();  // releases the Lease
  spdlog::info("controller-manager: stopped");
  return exit_code;
}
