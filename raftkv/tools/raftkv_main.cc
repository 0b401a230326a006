// `raftkv`: one member of a raftkv cluster, started with etcd's flags and serving etcd's v3
// API over gRPC on its client URLs (and /health, /metrics, /version on its metrics URLs).
// Stops cleanly on SIGINT or SIGTERM.

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "raftkv/server/etcd_version.h"
#include "raftkv/server/grpc_server.h"
#include "raftkv/server/http_endpoints.h"
#include "raftkv/server/member.h"
#include "raftkv/server/server_options.h"
#include "raftkv/server/snapshot_file.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace raftkv {
namespace {

constexpr char kProgressNotifyFlag[] = "--experimental-watch-progress-notify-interval";

// Who is logging: the member id once known, the --name until then. Every log line of the
// process carries it (the %* flag below), so logs of several members can be interleaved.
std::atomic<uint64_t> logged_member_id{0};
std::string logged_member_name;  // set before any thread starts

class MemberIdFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const uint64_t id = logged_member_id.load(std::memory_order_relaxed);
    const std::string text = id != 0 ? absl::StrFormat("%x", id) : logged_member_name;
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return spdlog::details::make_unique<MemberIdFlag>();
  }
};

// etcd's --log-level values (debug, info, warn, error, panic, fatal) as spdlog levels.
spdlog::level::level_enum LogLevel(const std::string& name) {
  if (name == "debug") return spdlog::level::debug;
  if (name == "warn") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  if (name == "panic" || name == "fatal") return spdlog::level::critical;
  return spdlog::level::info;
}

void ConfigureLogging(const server::ServerOptions& options) {
  logged_member_name = options.name;
  auto logger = spdlog::stderr_color_mt("raftkv");
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<MemberIdFlag>('*').set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%-5l%$ member=%* %v");
  logger->set_formatter(std::move(formatter));
  logger->set_level(LogLevel(options.log_level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

// Removes etcd's --experimental-watch-progress-notify-interval (which ParseServerFlags does
// not know) from `args` and returns its value.
absl::StatusOr<std::optional<std::chrono::milliseconds>> TakeProgressNotifyFlag(
    std::vector<std::string>& args) {
  std::optional<std::string> value;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string prefix = absl::StrCat(kProgressNotifyFlag, "=");
    if (args[i].rfind(prefix, 0) == 0) {
      value = args[i].substr(prefix.size());
      args.erase(args.begin() + i);
      break;
    }
    if (args[i] == kProgressNotifyFlag && i + 1 < args.size()) {
      value = args[i + 1];
      args.erase(args.begin() + i, args.begin() + i + 2);
      break;
    }
  }
  if (!value) return std::nullopt;
  absl::Duration duration;
  if (!absl::ParseDuration(*value, &duration) || duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value \"", *value, "\" for flag -", kProgressNotifyFlag + 2));
  }
  return std::chrono::milliseconds(absl::ToInt64Milliseconds(duration));
}

bool WantsVersion(const std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--version" || args[i] == "-version") return true;
  }
  return false;
}

// Blocks SIGINT and SIGTERM in this thread and every thread started after, so that only
// WaitForStopSignal receives them.
sigset_t BlockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

// Waits for SIGINT or SIGTERM (returning it), or until the member was removed from its
// cluster (returning 0): a removed member stops, as etcd's does.
int WaitForStop(const sigset_t& signals, const server::Member& member) {
  const timespec poll{0, 200'000'000};
  for (;;) {
    int signal = sigtimedwait(&signals, nullptr, &poll);
    if (signal > 0) return signal;
    if (member.IsRemoved()) return 0;
  }
}

// `raftkv snapshot restore FILE [flags]`: the data of a new cluster's member from a file
// saved by the Maintenance Snapshot call (etcdctl snapshot save), as etcdctl's restore does.
int RestoreSnapshot(std::vector<std::string> args) {
  if (args.size() < 4) {
    std::fprintf(stderr,
                 "usage: raftkv snapshot restore FILE --name NAME --data-dir DIR "
                 "--initial-cluster ... --initial-advertise-peer-urls ...\n");
    return 2;
  }
  std::string file = args[3];
  args.erase(args.begin() + 1, args.begin() + 4);
  absl::StatusOr<server::ServerOptions> options = server::ParseServerFlags(args);
  if (!options.ok()) {
    std::fprintf(stderr, "raftkv: %s\n", std::string(options.status().message()).c_str());
    return 2;
  }
  if (auto s = server::RestoreSnapshot(file, *options); !s.ok()) {
    std::fprintf(stderr, "raftkv: snapshot restore: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("restored snapshot %s into %s as member %s of a new cluster\n", file.c_str(),
              options->data_dir.c_str(), options->name.c_str());
  return 0;
}

int Run(std::vector<std::string> args) {
  if (args.size() >= 3 && args[1] == "snapshot" && args[2] == "restore") {
    return RestoreSnapshot(std::move(args));
  }
  if (WantsVersion(args)) {
    std::printf("raftkv Version: %s\netcd Version: %s\netcd API Version: 3.4\n", "0.1.0",
                std::string(server::kEtcdServerVersion).c_str());
    return 0;
  }
  auto progress_interval = TakeProgressNotifyFlag(args);
  if (!progress_interval.ok()) {
    std::fprintf(stderr, "raftkv: %s\n", std::string(progress_interval.status().message()).c_str());
    return 2;
  }
  absl::StatusOr<server::ServerOptions> options = server::ParseServerFlags(args);
  if (!options.ok()) {
    if (absl::IsCancelled(options.status())) {  // --help: the message is the usage
      std::printf("%s\n", std::string(options.status().message()).c_str());
      return 0;
    }
    std::fprintf(stderr, "raftkv: %s\n", std::string(options.status().message()).c_str());
    return 2;
  }
  ConfigureLogging(*options);
  const sigset_t stop_signals = BlockStopSignals();

  spdlog::info("raftkv {} (etcd {} API) starting; data dir {}", "0.1.0",
               std::string(server::kEtcdServerVersion), options->data_dir);
  absl::StatusOr<std::unique_ptr<server::Member>> member = server::Member::Start(*options);
  if (!member.ok()) {
    spdlog::critical("cannot start member: {}", member.status().ToString());
    return 1;
  }
  logged_member_id.store((*member)->id());
  spdlog::info("member {:x} of cluster {:x} started", (*member)->id(), (*member)->cluster_id());

  if (!(*member)->WaitUntilPublished()) {
    spdlog::warn("no leader found within two election timeouts; serving clients anyway");
  }
  server::GrpcServerOptions grpc_options;
  if (*progress_interval) grpc_options.progress_notify_interval = **progress_interval;
  absl::StatusOr<std::unique_ptr<server::GrpcServer>> grpc =
      server::GrpcServer::Start(member->get(), *options, grpc_options);
  if (!grpc.ok()) {
    spdlog::critical("cannot serve clients: {}", grpc.status().ToString());
    return 1;
  }
  std::unique_ptr<server::HttpEndpoints> http;
  if (!options->listen_metrics_urls.empty()) {
    server::Member* raw_member = member->get();
    absl::StatusOr<std::unique_ptr<server::HttpEndpoints>> endpoints = server::HttpEndpoints::Start(
        options->listen_metrics_urls, {[raw_member] { return raw_member->IsHealthy(); },
                                       [raw_member] { return raw_member->MetricsText(); }});
    if (!endpoints.ok()) {
      spdlog::critical("cannot serve metrics: {}", endpoints.status().ToString());
      return 1;
    }
    http = std::move(*endpoints);
  }
  spdlog::info("ready to serve client requests");

  const int signal = WaitForStop(stop_signals, **member);
  if (signal == 0) {
    spdlog::warn("this member was removed from the cluster; shutting down");
  } else {
    spdlog::info("received {}, shutting down", signal == SIGINT ? "SIGINT" : "SIGTERM");
  }
  http.reset();
  (*grpc)->Shutdown(std::chrono::seconds(1));
  grpc->reset();
  member->reset();
  spdlog::info("stopped");
  spdlog::shutdown();
  return 0;
}

}  // namespace
}  // namespace raftkv

int main(int argc, char** argv) {
  // Debian builds abseil without NDEBUG, which turns on deadlock detection: every
  // absl::Mutex lock (gRPC's too) then updates a process-wide lock graph under one global
  // spin lock. Lock order is a property of the code, checked in tests, not in production.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return raftkv::Run(std::vector<std::string>(argv, argv + argc));
}
