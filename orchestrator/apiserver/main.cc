// orch-apiserver: the orchestrator's Kubernetes API server over a raftkv store.
//
//   orch-apiserver --store raftkv://127.0.0.1:2379 [--listen 127.0.0.1:6443]
//   orch-apiserver --store embedded:///var/lib/orch/store [--event-ttl 1h]
#include <csignal>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "orchestrator/apiserver/api_handler.h"
#include "orchestrator/apiserver/http_server.h"
#include "raftkv/open.h"
#include "spdlog/spdlog.h"

namespace {

struct Flags {
  std::string listen = "127.0.0.1:6443";
  std::string store;
  std::string event_ttl = "1h";
};

bool ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string* target = nullptr;
    std::string_view name = arg.substr(0, arg.find('='));
    if (name == "--listen") target = &flags.listen;
    if (name == "--store") target = &flags.store;
    if (name == "--event-ttl") target = &flags.event_ttl;
    if (target == nullptr) return false;
    if (arg.find('=') != std::string_view::npos) {
      *target = std::string(arg.substr(arg.find('=') + 1));
    } else if (i + 1 < argc) {
      *target = argv[++i];
    } else {
      return false;
    }
  }
  return !flags.store.empty();
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) {
    spdlog::error(
        "usage: orch-apiserver --store <raftkv://h:p,...|embedded:///dir> "
        "[--listen host:port] [--event-ttl 1h]");
    return 2;
  }
  const size_t colon = flags.listen.rfind(':');
  uint32_t port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(flags.listen.substr(colon + 1), &port) ||
      port > 65535) {
    spdlog::error("apiserver: bad --listen {}", flags.listen);
    return 2;
  }
  const std::string host = flags.listen.substr(0, colon);
  orch::apiserver::ApiHandlerOptions options;
  // Go durations ("1h", "30m0s", "90s") are what kube-apiserver's --event-ttl takes.
  if (!absl::ParseDuration(flags.event_ttl, &options.event_ttl) ||
      options.event_ttl < absl::Seconds(1)) {
    spdlog::error("apiserver: bad --event-ttl {} (a duration of at least 1s, e.g. 1h)",
                  flags.event_ttl);
    return 2;
  }

  // Signals are taken by sigwait below, on the main thread only.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto kv = raftkv::OpenKV(flags.store);
  if (!kv.ok()) {
    spdlog::error("apiserver: cannot open store {}: {}", flags.store, kv.status().ToString());
    return 1;
  }
  orch::apiserver::ApiHandler handler(**kv, flags.listen, options);
  if (absl::Status status = handler.EnsureDefaultNamespace(); !status.ok()) {
    spdlog::error("apiserver: cannot create the default namespace: {}", status.ToString());
    return 1;
  }
  auto server = orch::apiserver::HttpServer::Start(
      host, static_cast<uint16_t>(port),
      [&handler](const orch::apiserver::HttpRequest& request) { return handler.Handle(request); });
  if (!server.ok()) {
    spdlog::error("apiserver: {}", server.status().ToString());
    return 1;
  }
  spdlog::info("apiserver: serving on {}:{} with store {}", host, (*server)->port(), flags.store);
  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("apiserver: signal {}, stopping", received);
  (*server)->Stop();
  return 0;
}
