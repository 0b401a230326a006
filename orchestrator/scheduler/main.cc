// orch-scheduler: places pending pods on nodes through pods/binding.
//
//   orch-scheduler [--server http://127.0.0.1:6443 | --kubeconfig PATH]
//                  [--leader-elect=true] [--leader-elect-lease-duration 15s]
//                  [--leader-elect-renew-deadline 10s] [--leader-elect-retry-period 2s]
//                  [--scheduler-name default-scheduler] [--binder-threads 32] [-v]
// Several replicas may run; the holder of Lease kube-system/orch-scheduler schedules.
// SIGINT/SIGTERM: stop scheduling and release the Lease.
#include <unistd.h>

#include <csignal>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "orchestrator/client/client.h"
#include "orchestrator/client/config.h"
#include "orchestrator/scheduler/elected_scheduler.h"
#include "orchestrator/scheduler/scheduler.h"
#include "spdlog/spdlog.h"

namespace {

struct Flags {
  std::string server;
  std::string kubeconfig;
  bool leader_elect = true;
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
  std::string scheduler_name = "default-scheduler";
  int binder_threads = 32;
  bool verbose = false;
};

constexpr char kUsage[] =
    "usage: orch-scheduler [--server URL | --kubeconfig PATH] [--leader-elect=true|false] "
    "[--leader-elect-lease-duration 15s] [--leader-elect-renew-deadline 10s] "
    "[--leader-elect-retry-period 2s] [--scheduler-name NAME] [--binder-threads 32] [-v]";

bool ParseBool(std::string_view text, bool& out) {
  if (text == "true") out = true;
  if (text == "false") out = false;
  return text == "true" || text == "false";
}

bool ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-v" || arg == "--v") {
      flags.verbose = true;
      continue;
    }
    const size_t equals = arg.find('=');
    const std::string name(arg.substr(0, equals));
    std::string value;
    if (equals != std::string_view::npos) {
      value = std::string(arg.substr(equals + 1));
    } else if (name == "--leader-elect") {
      value = "true";
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return false;
    }
    bool ok = true;
    if (name == "--server") {
      flags.server = value;
    } else if (name == "--kubeconfig") {
      flags.kubeconfig = value;
    } else if (name == "--leader-elect") {
      ok = ParseBool(value, flags.leader_elect);
    } else if (name == "--leader-elect-lease-duration") {
      ok = absl::ParseDuration(value, &flags.lease_duration);
    } else if (name == "--leader-elect-renew-deadline") {
      ok = absl::ParseDuration(value, &flags.renew_deadline);
    } else if (name == "--leader-elect-retry-period") {
      ok = absl::ParseDuration(value, &flags.retry_period);
    } else if (name == "--scheduler-name") {
      flags.scheduler_name = value;
    } else if (name == "--binder-threads") {
      ok = absl::SimpleAtoi(value, &flags.binder_threads) && flags.binder_threads > 0;
    } else {
      ok = false;
    }
    if (!ok) return false;
  }
  return true;
}

std::string Identity() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return absl::StrCat(host, "_", getpid());
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) {
    spdlog::error(kUsage);
    return 2;
  }
  if (flags.verbose) spdlog::set_level(spdlog::level::debug);
  absl::StatusOr<orch::client::ClientConfig> config =
      orch::client::ResolveClientConfig(flags.server, flags.kubeconfig);
  if (!config.ok()) {
    spdlog::error("scheduler: {}", config.status().ToString());
    return 2;
  }
  config->user_agent = "orch-scheduler";

  // Signals are taken by sigwait below, on the main thread only.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  orch::client::Client client(*config);
  orch::scheduler::SchedulerOptions options;
  options.scheduler_name = flags.scheduler_name;
  options.binder_threads = flags.binder_threads;
  const std::string identity = Identity();
  spdlog::info("scheduler[{}]: starting against {}:{}", identity, config->host, config->port);

  int received = 0;
  if (flags.leader_elect) {
    orch::client::LeaderElectionConfig election;
    election.lease_namespace = "kube-system";
    election.lease_name = "orch-scheduler";
    election.identity = identity;
    election.lease_duration = flags.lease_duration;
    election.renew_deadline = flags.renew_deadline;
    election.retry_period = flags.retry_period;
    orch::scheduler::ElectedScheduler scheduler(client, options, std::move(election));
    scheduler.Start();
    sigwait(&signals, &received);
    spdlog::info("scheduler[{}]: signal {}, stopping", identity, received);
    scheduler.Stop();
    return 0;
  }
  orch::scheduler::Scheduler scheduler(client, options);
  if (absl::Status status = scheduler.Start(); !status.ok()) {
    spdlog::error("scheduler[{}]: {}", identity, status.ToString());
    return 1;
  }
  sigwait(&signals, &received);
  spdlog::info("scheduler[{}]: signal {}, stopping", identity, received);
  scheduler.Stop();
  return 0;
}
