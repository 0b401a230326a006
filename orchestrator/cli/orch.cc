// The orch program: picks the verb, parses its flags, builds the client, runs the command.
#include <map>

#include "orchestrator/api/text.h"
#include "orchestrator/cli/commands.h"

namespace orch::cli {
namespace {

using api::Cat;

struct Verb {
  Command run;
  FlagSpec flags;
  bool needs_server;
};

FlagSpec Spec(std::set<std::string, std::less<>> with_value,
              std::set<std::string, std::less<>> switches,
              std::map<std::string, std::string, std::less<>> aliases) {
  return WithGlobalFlags({std::move(with_value), std::move(switches), std::move(aliases)});
}

const std::map<std::string, Verb, std::less<>>& Verbs() {
  static const auto* const kVerbs = new std::map<std::string, Verb, std::less<>>{
      {"get",
       {RunGet,
        Spec({"o", "output", "l", "selector", "field-selector"},
             {"A", "all-namespaces", "w", "watch"},
             {{"o", "output"}, {"l", "selector"}, {"A", "all-namespaces"}, {"w", "watch"}}),
        true}},
      {"describe", {RunDescribe, Spec({"l", "selector"}, {}, {{"l", "selector"}}), true}},
      {"apply", {RunApply, Spec({"f", "filename"}, {}, {{"f", "filename"}}), true}},
      {"delete",
       {RunDelete,
        Spec({"f", "filename", "l", "selector", "grace-period", "timeout"},
             {"wait", "force", "all", "ignore-not-found"}, {{"f", "filename"}, {"l", "selector"}}),
        true}},
      {"scale", {RunScale, Spec({"replicas"}, {}, {}), true}},
      {"create", {RunCreate, Spec({}, {}, {}), true}},
      {"rollout",
       {RunRollout, Spec({"to-revision", "timeout"}, {"w", "watch"}, {{"w", "watch"}}), true}},
      {"logs",
       {RunLogs,
        Spec({"c", "container", "tail"}, {"f", "follow", "p", "previous", "timestamps"},
             {{"c", "container"}, {"f", "follow"}, {"p", "previous"}}),
        true}},
      {"cordon", {RunCordon, Spec({}, {}, {}), true}},
      {"uncordon", {RunUncordon, Spec({}, {}, {}), true}},
      {"drain",
       {RunDrain,
        Spec({"grace-period", "timeout"},
             {"ignore-daemonsets", "force", "delete-emptydir-data", "disable-eviction"}, {}),
        true}},
      {"cluster-info", {RunClusterInfo, Spec({}, {}, {}), true}},
      {"version", {RunVersion, Spec({}, {}, {}), true}},
      {"config", {RunConfig, Spec({}, {}, {}), false}},
  };
  return *kVerbs;
}

constexpr std::string_view kUsage =
    "orch controls the orchestrator, as kubectl controls Kubernetes.\n\n"
    "Commands: apply, get, describe, delete, scale, rollout (status|history|undo), logs,\n"
    "  cordon, uncordon, drain, create namespace, cluster-info, version, config set-server\n\n"
    "Global flags: --server URL, --kubeconfig PATH, -n/--namespace NS, --request-timeout D\n";

}  // namespace

int RunOrch(const std::vector<std::string>& args, Streams streams) {
  const std::string verb_name = FindVerb(args);
  if (verb_name.empty() || verb_name == "help") {
    streams.out << kUsage;
    return verb_name.empty() ? 1 : 0;
  }
  auto verb = Verbs().find(verb_name);
  if (verb == Verbs().end()) {
    streams.err << "error: unknown command \"" << verb_name << "\" for \"orch\"\n";
    return 1;
  }
  absl::StatusOr<CommandLine> line = CommandLine::Parse(args, verb->second.flags);
  if (!line.ok()) {
    streams.err << "error: " << line.status().message() << "\n";
    return 1;
  }
  Context context{*std::move(line), nullptr, "default", false, streams, ""};
  context.namespace_given = context.line.Has("namespace");
  context.namespace_name = context.line.Value("namespace", "default");
  absl::StatusOr<client::ClientConfig> config = ConfigFor(context.line);
  if (!config.ok()) {
    if (verb->second.needs_server) {
      streams.err << "error: " << config.status().message() << "\n";
      return 1;
    }
    config = client::ClientConfig{};
  }
  context.server_url = Cat("http://", config->host, ":", config->port);
  context.client = std::make_unique<client::Client>(*config);
  return verb->second.run(context);
}

}  // namespace orch::cli
