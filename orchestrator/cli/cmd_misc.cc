// logs, version, cluster-info, config set-server.
#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_join.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/text.h"
#include "orchestrator/cli/commands.h"
#include "orchestrator/client/api_error.h"

namespace orch::cli {
namespace {

using api::Cat;
using api::Json;

absl::StatusOr<Json> ServerVersion(Context& context) {
  absl::StatusOr<client::HttpResult> result = context.client->Request("GET", "/version");
  if (!result.ok()) return result.status();
  if (result->status / 100 != 2) return client::ApiError(result->status, result->body);
  return api::ParseJson(result->body);
}

}  // namespace

int RunLogs(Context& context) {
  absl::StatusOr<bool> follow = context.line.Switch("follow");
  absl::StatusOr<bool> previous = context.line.Switch("previous");
  absl::StatusOr<bool> timestamps = context.line.Switch("timestamps");
  absl::StatusOr<int64_t> tail = context.line.Int("tail", -1);
  for (const absl::Status& status :
       {follow.status(), previous.status(), timestamps.status(), tail.status()})
    if (!status.ok()) return Fail(context, status);
  std::vector<std::string> words = context.Args(1);
  if (words.empty() || words.size() > 2)
    return Fail(context, absl::InvalidArgumentError(
                             "expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'."));
  std::string pod_name = words[0];
  if (pod_name.starts_with("pod/")) pod_name = pod_name.substr(4);
  if (pod_name.starts_with("pods/")) pod_name = pod_name.substr(5);
  std::string container = context.line.Value("container", words.size() == 2 ? words[1] : "");
  const api::ResourceInfo& pods = api::ResourceFor(api::Kind::kPod);
  absl::StatusOr<Json> pod = context.client->Get(pods, context.namespace_name, pod_name);
  if (!pod.ok()) return Fail(context, pod.status());
  if (container.empty()) {
    std::vector<std::string> names;
    for (const Json& each : api::ArrayAt(*pod, {"spec", "containers"}))
      names.push_back(each.value("name", ""));
    const std::string annotated =
        api::StringAt(*pod, {"metadata", "annotations", "kubectl.kubernetes.io/default-container"});
    container = !annotated.empty() ? annotated : names.empty() ? "" : names.front();
    if (names.size() > 1 && annotated.empty())
      context.streams.err << "Defaulted container \"" << container
                          << "\" out of: " << absl::StrJoin(names, ", ") << "\n";
  }
  std::string path = Cat(client::Client::ResourcePath(pods, context.namespace_name, pod_name),
                         "/log?container=", container);
  if (*follow) path += "&follow=true";
  if (*previous) path += "&previous=true";
  if (*timestamps) path += "&timestamps=true";
  if (*tail >= 0) path += Cat("&tailLines=", *tail);
  if (!*follow) {
    absl::StatusOr<client::HttpResult> result =
        context.client->Request("GET", path, "", "application/json", "*/*");
    if (!result.ok()) return Fail(context, result.status());
    if (result->status / 100 != 2)
      return Fail(context, client::ApiError(result->status, result->body));
    context.streams.out << result->body;
    return 0;
  }
  absl::StatusOr<std::unique_ptr<client::ByteStream>> stream = context.client->Stream(path);
  if (!stream.ok()) return Fail(context, stream.status());
  while (true) {
    absl::StatusOr<std::string> chunk = (*stream)->Read();
    if (!chunk.ok()) return Fail(context, chunk.status());
    if (chunk->empty()) return 0;
    context.streams.out << *chunk << std::flush;
  }
}

int RunVersion(Context& context) {
  context.streams.out << "Client Version: " << kClientVersion << "\n";
  absl::StatusOr<Json> server = ServerVersion(context);
  if (!server.ok()) return Fail(context, server.status());
  context.streams.out << "Server Version: " << server->value("gitVersion", "") << "\n";
  return 0;
}

int RunClusterInfo(Context& context) {
  absl::StatusOr<Json> server = ServerVersion(context);
  if (!server.ok()) return Fail(context, server.status());
  context.streams.out << "Kubernetes control plane is running at " << context.server_url << "\n";
  return 0;
}

int RunConfig(Context& context) {
  const std::vector<std::string> words = context.Args(1);
  if (words.size() != 2 || words[0] != "set-server")
    return Fail(context, absl::InvalidArgumentError("USAGE: orch config set-server URL"));
  absl::StatusOr<client::ClientConfig> config = client::ParseServerUrl(words[1]);
  if (!config.ok()) return Fail(context, config.status());
  std::string path = context.line.Value("kubeconfig");
  if (path.empty()) {
    const char* env = std::getenv("ORCHCONFIG");
    const char* home = std::getenv("HOME");
    if (env != nullptr && *env != '\0')
      path = env;
    else if (home != nullptr)
      path = Cat(home, "/.orch/config");
    else
      return Fail(context, absl::FailedPreconditionError("neither $ORCHCONFIG nor $HOME is set"));
  }
  std::error_code ignored;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ignored);
  if (absl::Status written = client::WriteConfigFile(path, *config); !written.ok())
    return Fail(context, written);
  context.streams.out << "Server set to http://" << config->host << ":" << config->port << " in "
                      << path << "\n";
  return 0;
}

}  // namespace orch::cli
