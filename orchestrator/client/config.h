// Where the orchestrator's components and CLI find the API server: a URL given on the command
// line, or a kubeconfig-style file (the subset kubectl's own config uses for a plain-HTTP server).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace orch::client {

struct ClientConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 6443;
  // A request that has not completed by then fails with DeadlineExceeded; watches and log
  // streams are not bound by it.
  absl::Duration request_timeout = absl::Seconds(30);
  // Sent as User-Agent; the API server logs it beside each request.
  std::string user_agent = "orch";
};

// "http://127.0.0.1:6443", "127.0.0.1:6443" or "localhost:6443". InvalidArgument otherwise
// (https is refused: the server has no TLS yet).
absl::StatusOr<ClientConfig> ParseServerUrl(std::string_view url);

// A kubeconfig file: current-context names a context whose cluster's `server` is used.
// InvalidArgument naming the file and what is missing when it cannot be used.
absl::StatusOr<ClientConfig> LoadConfigFile(const std::string& path);

// The config file a user means: $ORCHCONFIG, else ~/.orch/config; NotFound when neither exists.
absl::StatusOr<std::string> DefaultConfigPath();

// What every component and the CLI connect to: `server` (a URL) when given, else the
// kubeconfig file `kubeconfig` when given, else DefaultConfigPath() when it exists, else
// http://127.0.0.1:6443.
absl::StatusOr<ClientConfig> ResolveClientConfig(std::string_view server,
                                                 std::string_view kubeconfig);

// Writes a kubeconfig file naming `server` (http://host:port) as cluster "orch", context
// "orch", user "orch"; kubectl accepts the same file.
absl::Status WriteConfigFile(const std::string& path, const ClientConfig& config);

}  // namespace orch::client
