// cordon, uncordon, drain.
#include "absl/strings/str_join.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/text.h"
#include "orchestrator/cli/commands.h"
#include "orchestrator/client/api_error.h"

namespace orch::cli {
namespace {

using api::Cat;
using api::Json;

const api::ResourceInfo& Nodes() {
  return api::ResourceFor(api::Kind::kNode);
}
const api::ResourceInfo& Pods() {
  return api::ResourceFor(api::Kind::kPod);
}

// Sets spec.unschedulable; prints kubectl's "node/x cordoned" or "already cordoned".
absl::Status SetUnschedulable(Context& context, const std::string& node, bool unschedulable) {
  absl::StatusOr<Json> live = context.client->Get(Nodes(), "", node);
  if (!live.ok()) return live.status();
  const std::string done = unschedulable ? "cordoned" : "uncordoned";
  if (api::BoolAt(*live, {"spec", "unschedulable"}) == unschedulable) {
    context.streams.out << "node/" << node << " already " << done << "\n";
    return absl::OkStatus();
  }
  const Json patch = {{"spec", {{"unschedulable", unschedulable ? Json(true) : Json(nullptr)}}}};
  absl::StatusOr<Json> patched =
      context.client->Patch(Nodes(), "", node, client::PatchType::kStrategicMerge, patch.dump());
  if (!patched.ok()) return patched.status();
  context.streams.out << "node/" << node << " " << done << "\n";
  return absl::OkStatus();
}

int ForEachNode(Context& context, bool unschedulable) {
  std::vector<std::string> nodes = context.Args(1);
  if (nodes.empty())
    return Fail(context, absl::InvalidArgumentError("USAGE: orch cordon|uncordon NODE"));
  int exit_code = 0;
  for (std::string node : nodes) {
    if (node.starts_with("node/")) node = node.substr(5);
    absl::Status status = SetUnschedulable(context, node, unschedulable);
    if (!status.ok()) exit_code = Fail(context, status);
  }
  return exit_code;
}

std::string PodName(const Json& pod) {
  return Cat(api::NamespaceOf(pod), "/", api::NameOf(pod));
}

}  // namespace

int RunCordon(Context& context) {
  return ForEachNode(context, true);
}
int RunUncordon(Context& context) {
  return ForEachNode(context, false);
}

int RunDrain(Context& context) {
  absl::StatusOr<bool> ignore_daemonsets = context.line.Switch("ignore-daemonsets");
  absl::StatusOr<bool> force = context.line.Switch("force");
  absl::StatusOr<bool> disable_eviction = context.line.Switch("disable-eviction");
  absl::StatusOr<int64_t> grace = context.line.Int("grace-period", -1);
  for (const absl::Status& status :
       {ignore_daemonsets.status(), force.status(), disable_eviction.status(), grace.status()})
    if (!status.ok()) return Fail(context, status);
  absl::Duration timeout = absl::InfiniteDuration();
  if (context.line.Has("timeout")) {
    absl::StatusOr<absl::Duration> parsed = ParseDuration(context.line.Value("timeout"));
    if (!parsed.ok()) return Fail(context, parsed.status());
    if (*parsed > absl::ZeroDuration()) timeout = *parsed;
  }
  std::vector<std::string> nodes = context.Args(1);
  if (nodes.size() != 1) return Fail(context, absl::InvalidArgumentError("USAGE: orch drain NODE"));
  std::string node = nodes[0];
  if (node.starts_with("node/")) node = node.substr(5);
  if (absl::Status cordoned = SetUnschedulable(context, node, true); !cordoned.ok())
    return Fail(context, cordoned);

  client::ListOptions on_node;
  on_node.field_selector = Cat("spec.nodeName=", node);
  absl::StatusOr<Json> pods = context.client->ListAll(Pods(), "", on_node);
  if (!pods.ok()) return Fail(context, pods.status());
  std::vector<Json> to_evict;
  std::vector<std::string> daemon_pods, unowned, refused_daemon, refused_unowned;
  for (const Json& pod : api::ArrayAt(*pods, {"items"})) {
    const std::string phase = api::StringAt(pod, {"status", "phase"});
    const bool finished = phase == "Succeeded" || phase == "Failed";
    const Json* owner = api::ControllerRefOf(pod);
    if (owner != nullptr && owner->value("kind", "") == "DaemonSet" && !finished) {
      (*ignore_daemonsets ? daemon_pods : refused_daemon).push_back(PodName(pod));
      continue;
    }
    if (owner == nullptr && !finished) (*force ? unowned : refused_unowned).push_back(PodName(pod));
    to_evict.push_back(pod);
  }
  std::vector<std::string> problems;
  if (!refused_daemon.empty())
    problems.push_back(
        Cat("cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ",
            absl::StrJoin(refused_daemon, ", ")));
  if (!refused_unowned.empty())
    problems.push_back(
        Cat("cannot delete Pods that declare no controller (use --force to override): ",
            absl::StrJoin(refused_unowned, ", ")));
  if (!problems.empty()) {
    context.streams.err << "error: unable to drain node \"" << node
                        << "\" due to error: " << absl::StrJoin(problems, ", ")
                        << ", continuing command...\n"
                        << "There are pending nodes to be drained:\n " << node << "\n";
    for (const std::string& problem : problems)
      context.streams.err << "error: " << problem << "\n";
    return 1;
  }
  if (!daemon_pods.empty())
    context.streams.err << "Warning: ignoring DaemonSet-managed Pods: "
                        << absl::StrJoin(daemon_pods, ", ") << "\n";
  if (!unowned.empty())
    context.streams.err << "Warning: deleting Pods that declare no controller: "
                        << absl::StrJoin(unowned, ", ") << "\n";
  client::DeleteOptions options;
  if (*grace >= 0) options.grace_period_seconds = *grace;
  for (const Json& pod : to_evict) {
    context.streams.out << "evicting pod " << PodName(pod) << "\n" << std::flush;
    absl::Status evicted =
        *disable_eviction
            ? context.client->Delete(Pods(), api::NamespaceOf(pod), api::NameOf(pod), options)
                  .status()
            : context.client->Evict(api::NamespaceOf(pod), api::NameOf(pod), options);
    if (!evicted.ok() && !client::IsNotFound(evicted)) return Fail(context, evicted);
  }
  for (const Json& pod : to_evict) {
    absl::Status gone = WaitUntilDeleted(context, Pods(), api::NamespaceOf(pod), api::NameOf(pod),
                                         api::UidOf(pod), timeout);
    if (!gone.ok()) return Fail(context, gone);
    context.streams.out << "pod/" << api::NameOf(pod) << " evicted\n" << std::flush;
  }
  context.streams.out << "node/" << node << " drained\n";
  return 0;
}

}  // namespace orch::cli
