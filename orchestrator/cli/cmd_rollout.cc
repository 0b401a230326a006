// rollout status / history / undo for Deployments.
#include "absl/time/clock.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/text.h"
#include "orchestrator/cli/commands.h"
#include "orchestrator/cli/resource_names.h"
#include "orchestrator/cli/rollout.h"

namespace orch::cli {
namespace {

using api::Cat;
using api::Json;

absl::StatusOr<std::string> DeploymentName(Context& context) {
  absl::StatusOr<std::vector<ResourceRequest>> requests = ParseResourceArgs(context.Args(2));
  if (!requests.ok()) return requests.status();
  if (requests->size() != 1 || requests->front().names.size() != 1)
    return absl::InvalidArgumentError("required resource not specified: deployment NAME");
  if (requests->front().resource->id != api::Kind::kDeployment)
    return absl::InvalidArgumentError(
        Cat("no status viewer has been implemented for ", requests->front().resource->kind));
  return requests->front().names.front();
}

const api::ResourceInfo& Deployments() {
  return api::ResourceFor(api::Kind::kDeployment);
}

absl::StatusOr<std::map<int64_t, Json>> Revisions(Context& context, const Json& deployment) {
  absl::StatusOr<Json> replica_sets =
      context.client->ListAll(api::ResourceFor(api::Kind::kReplicaSet), context.namespace_name);
  if (!replica_sets.ok()) return replica_sets.status();
  return ReplicaSetsByRevision(deployment, api::ArrayAt(*replica_sets, {"items"}));
}

int Status(Context& context, const std::string& name) {
  absl::StatusOr<bool> watch = context.line.Switch("watch", true);
  if (!watch.ok()) return Fail(context, watch.status());
  absl::Duration timeout = absl::InfiniteDuration();
  if (context.line.Has("timeout")) {
    absl::StatusOr<absl::Duration> parsed = ParseDuration(context.line.Value("timeout"));
    if (!parsed.ok()) return Fail(context, parsed.status());
    if (*parsed > absl::ZeroDuration()) timeout = *parsed;
  }
  const absl::Time deadline = absl::Now() + timeout;
  std::string last_message;
  while (true) {
    absl::StatusOr<Json> deployment =
        context.client->Get(Deployments(), context.namespace_name, name);
    if (!deployment.ok()) return Fail(context, deployment.status());
    absl::StatusOr<RolloutStatus> status = DeploymentRolloutStatus(*deployment);
    if (!status.ok()) return Fail(context, status.status());
    if (status->message != last_message) context.streams.out << status->message << std::flush;
    last_message = status->message;
    if (status->done || !*watch) return 0;
    if (absl::Now() >= deadline)
      return Fail(context, absl::DeadlineExceededError("timed out waiting for the condition"));
    absl::SleepFor(absl::Milliseconds(200));
  }
}

int History(Context& context, const std::string& name) {
  absl::StatusOr<Json> deployment =
      context.client->Get(Deployments(), context.namespace_name, name);
  if (!deployment.ok()) return Fail(context, deployment.status());
  absl::StatusOr<std::map<int64_t, Json>> revisions = Revisions(context, *deployment);
  if (!revisions.ok()) return Fail(context, revisions.status());
  const std::string qualified = QualifiedName(Deployments(), name);
  if (revisions->empty()) {
    context.streams.out << qualified << " \nNo rollout history found.\n";
    return 0;
  }
  context.streams.out << qualified << " \n" << FormatHistory(*revisions) << "\n";
  return 0;
}

int Undo(Context& context, const std::string& name) {
  absl::StatusOr<int64_t> to_revision = context.line.Int("to-revision", 0);
  if (!to_revision.ok()) return Fail(context, to_revision.status());
  absl::StatusOr<Json> deployment =
      context.client->Get(Deployments(), context.namespace_name, name);
  if (!deployment.ok()) return Fail(context, deployment.status());
  if (api::BoolAt(*deployment, {"spec", "paused"}))
    return Fail(context, absl::FailedPreconditionError(
                             "you cannot rollback a paused deployment; resume it first with "
                             "'orch rollout resume' and try again"));
  absl::StatusOr<std::map<int64_t, Json>> revisions = Revisions(context, *deployment);
  if (!revisions.ok()) return Fail(context, revisions.status());
  absl::StatusOr<Json> target = RollbackTarget(*deployment, *revisions, *to_revision);
  if (!target.ok()) return Fail(context, target.status());
  const std::string qualified = QualifiedName(Deployments(), name);
  if (TemplateMatches(*deployment, *target)) {
    context.streams.out << qualified
                        << " skipped rollback (current template already matches revision "
                        << api::StringAt(*target, {"metadata", "annotations", kRevisionAnnotation})
                        << ")\n";
    return 0;
  }
  absl::StatusOr<Json> patched =
      context.client->Patch(Deployments(), context.namespace_name, name, client::PatchType::kJson,
                            RollbackPatch(*deployment, *target).dump());
  if (!patched.ok()) return Fail(context, patched.status());
  context.streams.out << qualified << " rolled back\n";
  return 0;
}

}  // namespace

int RunRollout(Context& context) {
  const std::vector<std::string> words = context.Args(1);
  if (words.empty())
    return Fail(context,
                absl::InvalidArgumentError("rollout needs a subcommand: status, history or undo"));
  absl::StatusOr<std::string> name = DeploymentName(context);
  if (!name.ok()) return Fail(context, name.status());
  if (words[0] == "status") return Status(context, *name);
  if (words[0] == "history") return History(context, *name);
  if (words[0] == "undo") return Undo(context, *name);
  return Fail(context, absl::InvalidArgumentError(
                           Cat("unknown command \"", words[0], "\" for \"orch rollout\"")));
}

}  // namespace orch::cli
