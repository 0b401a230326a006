#include "orchestrator/cli/rollout.h"

#include <charconv>
#include <set>
#include <vector>

#include "orchestrator/api/object.h"
#include "orchestrator/api/text.h"

namespace orch::cli {
namespace {

using api::Cat;
using api::Json;

constexpr std::string_view kPodTemplateHashLabel = "pod-template-hash";

const std::set<std::string, std::less<>>& AnnotationsToSkip() {
  static const auto* const kSkip =
      new std::set<std::string, std::less<>>{"kubectl.kubernetes.io/last-applied-configuration",
                                             "deployment.kubernetes.io/revision",
                                             "deployment.kubernetes.io/revision-history",
                                             "deployment.kubernetes.io/desired-replicas",
                                             "deployment.kubernetes.io/max-replicas",
                                             "deprecated.deployment.rollback.to"};
  return *kSkip;
}

std::optional<int64_t> RevisionOf(const Json& replica_set) {
  const std::string text =
      api::StringAt(replica_set, {"metadata", "annotations", kRevisionAnnotation});
  int64_t revision = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), revision);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return revision;
}

Json TemplateWithoutHash(const Json& object) {
  Json pod_template = api::ObjectAt(object, {"spec", "template"});
  if (Json* labels = pod_template.contains("metadata") && pod_template["metadata"].is_object() &&
                             pod_template["metadata"].contains("labels")
                         ? &pod_template["metadata"]["labels"]
                         : nullptr;
      labels != nullptr && labels->is_object()) {
    labels->erase(std::string(kPodTemplateHashLabel));
  }
  return pod_template;
}

}  // namespace

absl::StatusOr<RolloutStatus> DeploymentRolloutStatus(const Json& deployment) {
  const std::string name = api::NameOf(deployment);
  const int64_t observed = api::IntAt(deployment, {"status", "observedGeneration"}).value_or(0);
  if (api::GenerationOf(deployment) > observed)
    return RolloutStatus{"Waiting for deployment spec update to be observed...\n", false};
  const Json* progressing =
      api::FindCondition(api::ArrayAt(deployment, {"status", "conditions"}), "Progressing");
  if (progressing != nullptr && progressing->value("reason", "") == "ProgressDeadlineExceeded")
    return absl::FailedPreconditionError(
        Cat("deployment \"", name, "\" exceeded its progress deadline"));
  const std::optional<int64_t> desired = api::IntAt(deployment, {"spec", "replicas"});
  const int64_t updated = api::IntAt(deployment, {"status", "updatedReplicas"}).value_or(0);
  const int64_t replicas = api::IntAt(deployment, {"status", "replicas"}).value_or(0);
  const int64_t available = api::IntAt(deployment, {"status", "availableReplicas"}).value_or(0);
  const std::string waiting = Cat("Waiting for deployment \"", name, "\" rollout to finish: ");
  if (desired && updated < *desired)
    return RolloutStatus{
        Cat(waiting, updated, " out of ", *desired, " new replicas have been updated...\n"), false};
  if (replicas > updated)
    return RolloutStatus{
        Cat(waiting, replicas - updated, " old replicas are pending termination...\n"), false};
  if (available < updated)
    return RolloutStatus{
        Cat(waiting, available, " of ", updated, " updated replicas are available...\n"), false};
  return RolloutStatus{Cat("deployment \"", name, "\" successfully rolled out\n"), true};
}

std::map<int64_t, Json> ReplicaSetsByRevision(const Json& deployment, const Json& replica_sets) {
  std::map<int64_t, Json> revisions;
  const std::string uid = api::UidOf(deployment);
  for (const Json& replica_set : replica_sets) {
    const Json* owner = api::ControllerRefOf(replica_set);
    if (owner == nullptr || owner->value("uid", "") != uid) continue;
    if (std::optional<int64_t> revision = RevisionOf(replica_set))
      revisions[*revision] = replica_set;
  }
  return revisions;
}

std::string FormatHistory(const std::map<int64_t, Json>& revisions) {
  std::vector<std::vector<std::string>> rows = {{"REVISION", "CHANGE-CAUSE"}};
  for (const auto& [revision, replica_set] : revisions) {
    std::string cause =
        api::StringAt(replica_set, {"metadata", "annotations", kChangeCauseAnnotation});
    rows.push_back({std::to_string(revision), cause.empty() ? "<none>" : cause});
  }
  std::string out;
  size_t width = 0;
  for (const auto& row : rows)
    width = std::max(width, row[0].size() + 2);
  for (const auto& row : rows)
    out += Cat(row[0], std::string(width - row[0].size(), ' '), row[1], "\n");
  return out;
}

absl::StatusOr<Json> RollbackTarget(const Json& deployment,
                                    const std::map<int64_t, Json>& revisions, int64_t to_revision) {
  if (to_revision > 0) {
    auto it = revisions.find(to_revision);
    if (it == revisions.end())
      return absl::NotFoundError(
          Cat("unable to find specified revision ", to_revision, " in history"));
    return it->second;
  }
  if (revisions.size() < 2)
    return absl::NotFoundError(
        Cat("no rollout history found for deployment \"", api::NameOf(deployment), "\""));
  return std::prev(revisions.end(), 2)->second;
}

bool TemplateMatches(const Json& deployment, const Json& replica_set) {
  return TemplateWithoutHash(deployment) == TemplateWithoutHash(replica_set);
}

Json RollbackPatch(const Json& deployment, const Json& replica_set) {
  Json annotations = Json::object();
  for (const auto& [key, value] : api::AnnotationsOf(deployment).items())
    if (AnnotationsToSkip().contains(key)) annotations[key] = value;
  for (const auto& [key, value] : api::AnnotationsOf(replica_set).items())
    if (!AnnotationsToSkip().contains(key)) annotations[key] = value;
  return Json::array(
      {{{"op", "replace"}, {"path", "/spec/template"}, {"value", TemplateWithoutHash(replica_set)}},
       {{"op", "replace"}, {"path", "/metadata/annotations"}, {"value", annotations}}});
}

}  // namespace orch::cli
