#include "orchestrator/client/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/numbers.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/text.h"
#include "orchestrator/api/yaml.h"

namespace orch::client {
namespace {

constexpr std::string_view kHttpScheme = "http://";
constexpr std::string_view kHttpsScheme = "https://";
// The names WriteConfigFile gives the cluster, context and user.
constexpr std::string_view kConfigName = "orch";

// The element of a kubeconfig list (clusters, contexts) with `name`, or null.
const api::Json* NamedEntry(const api::Json& config, std::string_view list, std::string_view name) {
  for (const api::Json& entry : api::ArrayAt(config, {list})) {
    if (api::StringAt(entry, {"name"}) == name) return &entry;
  }
  return nullptr;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(api::Cat("cannot read ", path));
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

}  // namespace

absl::StatusOr<ClientConfig> ParseServerUrl(std::string_view url) {
  std::string_view rest = url;
  if (rest.starts_with(kHttpsScheme)) {
    return absl::InvalidArgumentError(
        api::Cat("server ", url, ": https is not supported (the API server has no TLS yet)"));
  }
  if (rest.starts_with(kHttpScheme)) rest.remove_prefix(kHttpScheme.size());
  if (rest.find("://") != std::string_view::npos) {
    return absl::InvalidArgumentError(api::Cat("server ", url, ": only http:// is supported"));
  }
  while (rest.ends_with('/'))
    rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) {
    return absl::InvalidArgumentError(api::Cat("server ", url, ": a path is not supported"));
  }
  std::string_view host;
  std::string_view port_text;
  if (rest.starts_with('[')) {  // [::1]:6443
    const size_t close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      return absl::InvalidArgumentError(api::Cat("server ", url, ": expected [address]:port"));
    }
    host = rest.substr(1, close - 1);
    port_text = rest.substr(close + 2);
  } else {
    const size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
      return absl::InvalidArgumentError(api::Cat("server ", url, ": expected host:port"));
    }
    host = rest.substr(0, colon);
    port_text = rest.substr(colon + 1);
  }
  uint32_t port = 0;
  if (host.empty() ||
      !absl::SimpleAtoi(absl::string_view(port_text.data(), port_text.size()), &port) ||
      port == 0 || port > 65535) {
    return absl::InvalidArgumentError(api::Cat("server ", url, ": expected host:port"));
  }
  ClientConfig config;
  config.host = std::string(host);
  config.port = static_cast<uint16_t>(port);
  return config;
}

absl::StatusOr<ClientConfig> LoadConfigFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<api::Json> config = api::YamlToJson(*text);
  if (!config.ok()) {
    return absl::InvalidArgumentError(api::Cat(path, ": ", config.status().message()));
  }
  const std::string current = api::StringAt(*config, {"current-context"});
  if (current.empty()) return absl::InvalidArgumentError(api::Cat(path, ": no current-context"));
  const api::Json* context = NamedEntry(*config, "contexts", current);
  if (context == nullptr) {
    return absl::InvalidArgumentError(api::Cat(path, ": no context named \"", current, "\""));
  }
  const std::string cluster_name = api::StringAt(*context, {"context", "cluster"});
  const api::Json* cluster = NamedEntry(*config, "clusters", cluster_name);
  if (cluster == nullptr) {
    return absl::InvalidArgumentError(api::Cat(
        path, ": context \"", current, "\" names no known cluster (\"", cluster_name, "\")"));
  }
  const std::string server = api::StringAt(*cluster, {"cluster", "server"});
  if (server.empty()) {
    return absl::InvalidArgumentError(
        api::Cat(path, ": cluster \"", cluster_name, "\" has no server"));
  }
  absl::StatusOr<ClientConfig> parsed = ParseServerUrl(server);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(api::Cat(path, ": ", parsed.status().message()));
  }
  return parsed;
}

absl::StatusOr<std::string> DefaultConfigPath() {
  std::error_code error;
  const char* explicit_path = std::getenv("ORCHCONFIG");
  if (explicit_path != nullptr && *explicit_path != '\0' &&
      std::filesystem::exists(explicit_path, error)) {
    return std::string(explicit_path);
  }
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0') {
    const std::filesystem::path in_home = std::filesystem::path(home) / ".orch" / "config";
    if (std::filesystem::exists(in_home, error)) return in_home.string();
  }
  return absl::NotFoundError("no config file: $ORCHCONFIG and ~/.orch/config do not exist");
}

absl::Status WriteConfigFile(const std::string& path, const ClientConfig& config) {
  const std::string name(kConfigName);
  const bool bracketed = config.host.find(':') != std::string::npos;  // an IPv6 address
  const std::string server = api::Cat(kHttpScheme, bracketed ? "[" : "", config.host,
                                      bracketed ? "]" : "", ":", config.port);
  const api::Json document = {
      {"apiVersion", "v1"},
      {"kind", "Config"},
      {"clusters", {{{"name", name}, {"cluster", {{"server", server}}}}}},
      {"contexts", {{{"name", name}, {"context", {{"cluster", name}, {"user", name}}}}}},
      {"current-context", name},
      {"users", {{{"name", name}, {"user", api::Json::object()}}}},
      {"preferences", api::Json::object()}};
  const std::filesystem::path target(path);
  std::error_code error;
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), error);
  if (error) return absl::InternalError(api::Cat("cannot create the directory of ", path));
  // Written beside, then renamed over: a reader never sees half a file.
  const std::filesystem::path temporary = api::Cat(path, ".tmp");
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    file << api::JsonToYaml(document);
    if (!file) return absl::InternalError(api::Cat("cannot write ", temporary.string()));
  }
  std::filesystem::rename(temporary, target, error);
  if (error) return absl::InternalError(api::Cat("cannot write ", path, ": ", error.message()));
  return absl::OkStatus();
}

absl::StatusOr<ClientConfig> ResolveClientConfig(std::string_view server,
                                                 std::string_view kubeconfig) {
  if (!server.empty()) return ParseServerUrl(server);
  if (!kubeconfig.empty()) return LoadConfigFile(std::string(kubeconfig));
  if (absl::StatusOr<std::string> path = DefaultConfigPath(); path.ok()) {
    return LoadConfigFile(*path);
  }
  return ClientConfig{};
}

}  // namespace orch::client
