#include "orchestrator/cli/context.h"

#include "absl/time/clock.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/text.h"
#include "orchestrator/client/api_error.h"

namespace orch::cli {

using api::Cat;

std::vector<std::string> Context::Args(size_t verb_words) const {
  const std::vector<std::string>& words = line.positional();
  if (words.size() <= verb_words) return {};
  return {words.begin() + static_cast<long>(verb_words), words.end()};
}

absl::StatusOr<client::ClientConfig> ConfigFor(const CommandLine& line) {
  absl::StatusOr<client::ClientConfig> config =
      client::ResolveClientConfig(line.Has("server") ? line.Value("server") : "",
                                  line.Has("kubeconfig") ? line.Value("kubeconfig") : "");
  if (!config.ok()) return config.status();
  config->user_agent = Cat("orch/", kClientVersion);
  if (line.Has("request-timeout")) {
    absl::StatusOr<absl::Duration> timeout = ParseDuration(line.Value("request-timeout"));
    if (!timeout.ok()) return timeout.status();
    // 0 means no timeout, as in kubectl.
    config->request_timeout =
        *timeout == absl::ZeroDuration() ? absl::InfiniteDuration() : *timeout;
  }
  return config;
}

std::string ErrorLine(const absl::Status& status, std::string_view server_url) {
  const int code = client::HttpCodeOf(status);
  if (code == 0 && status.code() == absl::StatusCode::kUnavailable) {
    std::string_view host = server_url;
    if (size_t scheme = host.find("://"); scheme != std::string_view::npos)
      host = host.substr(scheme + 3);
    return Cat("The connection to the server ", host,
               " was refused - did you specify the right host or port?");
  }
  if (code == 0) return Cat("error: ", status.message());
  std::string reason = client::ReasonOf(status);
  std::string message(status.message());
  if (std::optional<api::Json> object = client::StatusObjectOf(status))
    if (object->contains("message") && (*object)["message"].is_string())
      message = (*object)["message"].get<std::string>();
  if (reason.empty()) reason = code == 404 ? "NotFound" : Cat("Code ", code);
  return Cat("Error from server (", reason, "): ", message);
}

}  // namespace orch::cli

namespace orch::cli {

int Fail(Context& context, const absl::Status& status) {
  context.streams.err << ErrorLine(status, context.server_url) << "\n";
  return 1;
}

std::string NamespaceFor(const Context& context, const api::ResourceInfo& resource,
                         bool all_namespaces) {
  if (!resource.namespaced || all_namespaces) return "";
  return context.namespace_name;
}

absl::Status WaitUntilDeleted(Context& context, const api::ResourceInfo& resource,
                              std::string_view namespace_name, std::string_view name,
                              std::string_view uid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    absl::StatusOr<api::Json> object = context.client->Get(resource, namespace_name, name);
    if (client::IsNotFound(object.status())) return absl::OkStatus();
    if (!object.ok()) return object.status();
    if (!uid.empty() && api::UidOf(*object) != uid) return absl::OkStatus();
    if (absl::Now() >= deadline)
      return absl::DeadlineExceededError(
          Cat("timed out waiting for the condition on ", resource.plural, "/", name));
    absl::SleepFor(absl::Milliseconds(100));
  }
}

}  // namespace orch::cli
