#include "orchestrator/controllers/deployment_controller.h"

#include <algorithm>

#include "orchestrator/api/object.h"
#include "orchestrator/api/selector.h"
#include "orchestrator/api/text.h"
#include "orchestrator/client/api_error.h"
#include "orchestrator/controllers/pod_template_hash.h"
#include "orchestrator/controllers/replica_set_logic.h"
#include "spdlog/spdlog.h"

namespace orch::controllers {
namespace {

using api::Json;

const api::ResourceInfo& Deployments() {
  return api::ResourceFor(api::Kind::kDeployment);
}
const api::ResourceInfo& ReplicaSetResource() {
  return api::ResourceFor(api::Kind::kReplicaSet);
}

// List items may come without apiVersion and kind; owner references and events need them.
Json WithKind(Json object, const api::ResourceInfo& resource) {
  object["apiVersion"] = resource.ApiVersion();
  object["kind"] = std::string(resource.kind);
  return object;
}

api::DeploymentSpec SpecOf(const Json& deployment) {
  return api::DeploymentSpec::FromJson(api::ObjectAt(deployment, {"spec"}));
}

std::vector<ReplicaSetView> Views(const std::vector<Json>& replica_sets) {
  std::vector<ReplicaSetView> views;
  for (const Json& rs : replica_sets)
    views.push_back(ReplicaSetView::FromJson(rs));
  return views;
}

std::vector<Json> Active(const std::vector<Json>& replica_sets) {
  std::vector<Json> active;
  for (const Json& rs : replica_sets) {
    if (api::IntAt(rs, {"spec", "replicas"}).value_or(1) > 0) active.push_back(rs);
  }
  return active;
}

bool OlderFirst(const Json& a, const Json& b) {
  const ReplicaSetView va = ReplicaSetView::FromJson(a), vb = ReplicaSetView::FromJson(b);
  if (va.created != vb.created) return va.created < vb.created;
  return va.name < vb.name;
}

// The deployment with `status` written over the fields the controller manages.
Json WithStatus(const Json& deployment, const api::WorkloadStatus& status) {
  Json updated = deployment;
  Json& target = api::EnsureObject(updated, "status");
  for (const char* field :
       {"observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas",
        "unavailableReplicas", "collisionCount", "conditions"}) {
    target.erase(field);
  }
  target.update(status.ToDeploymentJson());
  return updated;
}

api::WorkloadStatus StatusOf(const Json& deployment) {
  return api::WorkloadStatus::FromJson(api::ObjectAt(deployment, {"status"}));
}

bool HasProgressDeadline(const Json& deployment) {
  return api::IntAt(deployment, {"spec", "progressDeadlineSeconds"}).has_value();
}

}  // namespace

std::vector<Json> DeploymentController::ReplicaSets::All() const {
  std::vector<Json> all = old;
  if (new_rs.has_value()) all.push_back(*new_rs);
  return all;
}

DeploymentController::DeploymentController(ControllerContext context)
    : context_(context),
      deployments_(context.informers.For(api::Kind::kDeployment)),
      replica_sets_(context.informers.For(api::Kind::kReplicaSet)),
      pods_(context.informers.For(api::Kind::kPod)),
      workers_("deployment", queue_, [this](const std::string& key) { return Sync(key); }) {
  auto enqueue = [this](const Json& deployment) { queue_.Add(client::ObjectCacheKey(deployment)); };
  deployments_.AddHandlers(
      {.on_add = enqueue,
       .on_update = [enqueue](const Json&, const Json& deployment) { enqueue(deployment); },
       .on_delete = enqueue});
  replica_sets_.AddHandlers({.on_add = [this](const Json& rs) { EnqueueOwnerOf(rs); },
                             .on_update =
                                 [this](const Json& old_rs, const Json& rs) {
                                   EnqueueOwnerOf(rs);
                                   if (api::LabelsOf(old_rs) != api::LabelsOf(rs))
                                     EnqueueOwnerOf(old_rs);
                                 },
                             .on_delete = [this](const Json& rs) { EnqueueOwnerOf(rs); }});
  // Recreate waits for the old pods to be gone.
  pods_.AddHandlers({.on_add = nullptr, .on_update = nullptr, .on_delete = [this](const Json& pod) {
                       const Json* reference = api::ControllerRefOf(pod);
                       if (reference == nullptr ||
                           api::StringAt(*reference, {"kind"}) != "ReplicaSet")
                         return;
                       client::Informer::SharedObject rs = replica_sets_.GetShared(api::Cat(
                           api::NamespaceOf(pod), "/", api::StringAt(*reference, {"name"})));
                       if (rs != nullptr) EnqueueOwnerOf(*rs);
                     }});
}

DeploymentController::~DeploymentController() {
  Stop();
}

void DeploymentController::Run() {
  workers_.Start(context_.options.workers);
}

void DeploymentController::Stop() {
  workers_.Stop();
}

void DeploymentController::EnqueueOwnerOf(const Json& replica_set) {
  const Json* reference = api::ControllerRefOf(replica_set);
  if (reference != nullptr) {
    if (api::StringAt(*reference, {"kind"}) == "Deployment") {
      queue_.Add(api::Cat(api::NamespaceOf(replica_set), "/", api::StringAt(*reference, {"name"})));
    }
    return;
  }
  for (const client::Informer::SharedObject& deployment :
       deployments_.ByIndexShared(kNamespaceIndex, api::NamespaceOf(replica_set))) {
    absl::StatusOr<api::LabelSelector> selector =
        api::LabelSelector::FromObject(api::MemberAt(*deployment, {"spec", "selector"}));
    if (selector.ok() && selector->Matches(api::LabelsOf(replica_set))) {
      queue_.Add(client::ObjectCacheKey(*deployment));
    }
  }
}

absl::Status DeploymentController::Sync(const std::string& key) {
  std::optional<Json> cached = deployments_.Get(key);
  if (!cached.has_value()) return absl::OkStatus();
  Json deployment = WithKind(*std::move(cached), Deployments());
  absl::StatusOr<api::LabelSelector> selector =
      api::LabelSelector::FromObject(api::MemberAt(deployment, {"spec", "selector"}));
  if (!selector.ok()) {
    spdlog::warn("controller-manager: deployment {} has an invalid selector: {}", key,
                 std::string(selector.status().message()));
    return absl::OkStatus();
  }
  if (selector->MatchesEverything()) {
    context_.events.Record(deployment, "Warning", "SelectingAll",
                           "This deployment is selecting all pods. A non-empty selector is "
                           "required.");
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<Json>> owned = ClaimReplicaSets(deployment);
  if (!owned.ok()) return owned.status();
  if (api::IsBeingDeleted(deployment)) {
    absl::StatusOr<ReplicaSets> sets = GetReplicaSetsAndSyncRevision(deployment, *owned, false);
    if (!sets.ok()) return sets.status();
    return SyncStatus(key, deployment, *sets, /*rollout=*/false);
  }
  if (absl::Status paused = CheckPausedConditions(deployment); !paused.ok()) return paused;
  if (SpecOf(deployment).paused || IsScalingEvent(deployment, *owned)) {
    return SyncScale(deployment, *owned);
  }
  if (SpecOf(deployment).strategy_type == "Recreate") return RolloutRecreate(deployment, *owned);
  return RolloutRolling(deployment, *owned);
}

absl::StatusOr<std::vector<Json>> DeploymentController::ClaimReplicaSets(const Json& deployment) {
  absl::StatusOr<api::LabelSelector> selector =
      api::LabelSelector::FromObject(api::MemberAt(deployment, {"spec", "selector"}));
  if (!selector.ok()) return selector.status();
  std::vector<Json> owned;
  for (Json& rs : replica_sets_.ByIndex(kNamespaceIndex, api::NamespaceOf(deployment))) {
    rs = WithKind(std::move(rs), ReplicaSetResource());
    const ClaimAction action = DecideClaim(deployment, *selector, rs);
    if (action == ClaimAction::kOwned) owned.push_back(std::move(rs));
    if (action != ClaimAction::kAdopt && action != ClaimAction::kRelease) continue;
    const std::string patch = action == ClaimAction::kAdopt
                                  ? AdoptionPatch(deployment, rs)
                                  : ReleasePatch(api::UidOf(deployment), rs);
    absl::StatusOr<Json> patched =
        context_.client.Patch(ReplicaSetResource(), api::NamespaceOf(rs), api::NameOf(rs),
                              client::PatchType::kStrategicMerge, patch);
    if (!patched.ok()) {
      if (client::IsNotFound(patched.status()) || client::IsInvalid(patched.status())) continue;
      return patched.status();
    }
    spdlog::info("controller-manager: deployment {} {} replicaset {}",
                 client::ObjectCacheKey(deployment),
                 action == ClaimAction::kAdopt ? "adopted" : "released", api::NameOf(rs));
    if (action == ClaimAction::kAdopt)
      owned.push_back(WithKind(*std::move(patched), ReplicaSetResource()));
  }
  std::sort(owned.begin(), owned.end(), OlderFirst);
  return owned;
}

absl::StatusOr<DeploymentController::ReplicaSets>
DeploymentController::GetReplicaSetsAndSyncRevision(Json& deployment,
                                                    const std::vector<Json>& owned,
                                                    bool create_if_missing) {
  ReplicaSets sets;
  const Json& pod_template = api::ObjectAt(deployment, {"spec", "template"});
  for (const Json& rs : owned) {
    if (!sets.new_rs.has_value() &&
        TemplatesEqualIgnoringHash(api::ObjectAt(rs, {"spec", "template"}), pod_template)) {
      sets.new_rs = rs;
    } else {
      sets.old.push_back(rs);
    }
  }
  const int64_t revision = NextRevision(Views(sets.old));
  if (sets.new_rs.has_value()) {
    Json updated = *sets.new_rs;
    bool changed = SetNewReplicaSetAnnotations(deployment, updated, revision, /*exists=*/true);
    const int64_t min_ready = SpecOf(deployment).min_ready_seconds;
    if (api::IntAt(updated, {"spec", "minReadySeconds"}).value_or(0) != min_ready) {
      updated["spec"]["minReadySeconds"] = min_ready;
      changed = true;
    }
    if (changed) {
      absl::StatusOr<Json> written = context_.client.Update(ReplicaSetResource(), updated);
      if (!written.ok()) return written.status();
      sets.new_rs = WithKind(*std::move(written), ReplicaSetResource());
    }
    if (absl::Status status = SetDeploymentRevision(
            deployment, api::StringAt(api::AnnotationsOf(*sets.new_rs), {kRevisionAnnotation}));
        !status.ok()) {
      return status;
    }
    api::WorkloadStatus status = StatusOf(deployment);
    if (HasProgressDeadline(deployment) &&
        FindWorkloadCondition(status, "Progressing") == nullptr) {
      SetWorkloadCondition(status, NewCondition("Progressing", "True", "FoundNewReplicaSet",
                                                api::Cat("Found new replica set \"",
                                                         api::NameOf(*sets.new_rs), "\""),
                                                absl::Now()));
      absl::StatusOr<Json> written =
          context_.client.UpdateStatus(Deployments(), WithStatus(deployment, status));
      if (!written.ok()) return written.status();
      deployment = WithKind(*std::move(written), Deployments());
    }
    return sets;
  }
  if (!create_if_missing) return sets;
  absl::StatusOr<Json> created = CreateNewReplicaSet(deployment, sets.old, revision);
  if (!created.ok()) return created.status();
  sets.new_rs = WithKind(*std::move(created), ReplicaSetResource());
  return sets;
}

absl::StatusOr<Json> DeploymentController::CreateNewReplicaSet(Json& deployment,
                                                               const std::vector<Json>& old,
                                                               int64_t revision) {
  const api::DeploymentSpec spec = SpecOf(deployment);
  api::WorkloadStatus status = StatusOf(deployment);
  const std::string hash = ComputePodTemplateHash(spec.pod_template, status.collision_count);
  Json pod_template = spec.pod_template;
  api::EnsureObject(api::EnsureObject(pod_template, "metadata"), "labels")[kPodTemplateHashLabel] =
      hash;
  Json selector = spec.selector;
  api::EnsureObject(selector, "matchLabels")[kPodTemplateHashLabel] = hash;
  const std::string name = api::Cat(api::NameOf(deployment), "-", hash);
  Json rs = {{"apiVersion", "apps/v1"},
             {"kind", "ReplicaSet"},
             {"metadata",
              {{"name", name},
               {"namespace", api::NamespaceOf(deployment)},
               {"labels", pod_template["metadata"]["labels"]},
               {"ownerReferences", Json::array({ControllerReferenceTo(deployment)})}}},
             {"spec",
              {{"replicas", 0},
               {"minReadySeconds", spec.min_ready_seconds},
               {"selector", selector},
               {"template", pod_template}}}};
  std::vector<ReplicaSetView> all = Views(old);
  all.push_back(ReplicaSetView::FromJson(rs));
  const int64_t size = NewReplicaSetSize(spec, all, all.back());
  rs["spec"]["replicas"] = size;
  SetNewReplicaSetAnnotations(deployment, rs, revision, /*exists=*/false);

  bool already_exists = false;
  absl::StatusOr<Json> created =
      context_.client.Create(ReplicaSetResource(), api::NamespaceOf(deployment), rs);
  if (client::IsAlreadyExists(created.status())) {
    // Our cache was behind, or another template hashed to the same name.
    created = context_.client.Get(ReplicaSetResource(), api::NamespaceOf(deployment), name);
    if (!created.ok()) return created.status();
    const Json* owner = api::ControllerRefOf(*created);
    if (owner == nullptr || api::StringAt(*owner, {"uid"}) != api::UidOf(deployment) ||
        !TemplatesEqualIgnoringHash(api::ObjectAt(*created, {"spec", "template"}),
                                    spec.pod_template)) {
      status.collision_count = status.collision_count.value_or(0) + 1;
      spdlog::warn("controller-manager: deployment {} hash collision on {}, collisionCount {}",
                   client::ObjectCacheKey(deployment), name, *status.collision_count);
      absl::Status written =
          context_.client.UpdateStatus(Deployments(), WithStatus(deployment, status)).status();
      return written.ok() ? absl::AbortedError("pod-template-hash collision; retrying") : written;
    }
    already_exists = true;
  } else if (!created.ok()) {
    const std::string message =
        api::Cat("Failed to create new replica set \"", name, "\": ", created.status().message());
    context_.events.Record(deployment, "Warning", "FailedCreate", message);
    if (HasProgressDeadline(deployment)) {
      SetWorkloadCondition(status, NewCondition("Progressing", "False", "ReplicaSetCreateError",
                                                message, absl::Now()));
      (void)context_.client.UpdateStatus(Deployments(), WithStatus(deployment, status));
    }
    return created.status();
  }
  if (!already_exists) {
    spdlog::info(
        "controller-manager: deployment {} created replicaset {} (revision {}, {} replicas)",
        client::ObjectCacheKey(deployment), name, revision, size);
    if (size > 0) {
      context_.events.Record(deployment, "Normal", "ScalingReplicaSet",
                             api::Cat("Scaled up replica set ", name, " to ", size));
    }
  }
  if (absl::Status status_written = SetDeploymentRevision(deployment, std::to_string(revision));
      !status_written.ok()) {
    return status_written;
  }
  if (!already_exists && HasProgressDeadline(deployment)) {
    api::WorkloadStatus current = StatusOf(deployment);
    SetWorkloadCondition(
        current, NewCondition("Progressing", "True", "NewReplicaSetCreated",
                              api::Cat("Created new replica set \"", name, "\""), absl::Now()));
    absl::StatusOr<Json> written =
        context_.client.UpdateStatus(Deployments(), WithStatus(deployment, current));
    if (!written.ok()) return written.status();
    deployment = WithKind(*std::move(written), Deployments());
  }
  return created;
}

absl::Status DeploymentController::SetDeploymentRevision(Json& deployment,
                                                         const std::string& revision) {
  if (revision.empty() ||
      api::StringAt(api::AnnotationsOf(deployment), {kRevisionAnnotation}) == revision) {
    return absl::OkStatus();
  }
  Json updated = deployment;
  api::EnsureObject(api::EnsureObject(updated, "metadata"), "annotations")[kRevisionAnnotation] =
      revision;
  absl::StatusOr<Json> written = context_.client.Update(Deployments(), updated);
  if (!written.ok()) return written.status();
  deployment = WithKind(*std::move(written), Deployments());
  return absl::OkStatus();
}

absl::StatusOr<Json> DeploymentController::ScaleReplicaSet(const Json& replica_set, int64_t size,
                                                           const Json& deployment) {
  const api::DeploymentSpec spec = SpecOf(deployment);
  const int64_t old_size = api::IntAt(replica_set, {"spec", "replicas"}).value_or(1);
  Json updated = replica_set;
  updated["spec"]["replicas"] = size;
  const bool annotations_changed =
      SetReplicasAnnotations(updated, spec.replicas, spec.replicas + MaxSurge(spec));
  if (old_size == size && !annotations_changed) return replica_set;
  absl::StatusOr<Json> written = context_.client.Update(ReplicaSetResource(), updated);
  if (!written.ok()) return written.status();
  if (old_size != size) {
    const std::string message = api::Cat("Scaled ", size > old_size ? "up" : "down",
                                         " replica set ", api::NameOf(replica_set), " to ", size);
    spdlog::info("controller-manager: deployment {}: {} (from {})",
                 client::ObjectCacheKey(deployment), message, old_size);
    context_.events.Record(deployment, "Normal", "ScalingReplicaSet", message);
  }
  return WithKind(*std::move(written), ReplicaSetResource());
}

absl::Status DeploymentController::ScaleNamed(ReplicaSets& sets,
                                              const std::map<std::string, int64_t>& sizes,
                                              const Json& deployment) {
  auto scale = [&](Json& rs) -> absl::Status {
    auto size = sizes.find(api::NameOf(rs));
    if (size == sizes.end()) return absl::OkStatus();
    absl::StatusOr<Json> scaled = ScaleReplicaSet(rs, size->second, deployment);
    if (!scaled.ok()) return scaled.status();
    rs = *std::move(scaled);
    return absl::OkStatus();
  };
  for (Json& rs : sets.old) {
    if (absl::Status status = scale(rs); !status.ok()) return status;
  }
  if (sets.new_rs.has_value()) return scale(*sets.new_rs);
  return absl::OkStatus();
}

absl::Status DeploymentController::RolloutRolling(Json& deployment,
                                                  const std::vector<Json>& owned) {
  const std::string key = client::ObjectCacheKey(deployment);
  absl::StatusOr<ReplicaSets> sets = GetReplicaSetsAndSyncRevision(deployment, owned, true);
  if (!sets.ok()) return sets.status();
  const api::DeploymentSpec spec = SpecOf(deployment);
  const ReplicaSetView new_view = ReplicaSetView::FromJson(*sets->new_rs);
  // Scale up the new ReplicaSet, if the surge allows.
  if (new_view.spec_replicas != spec.replicas) {
    const int64_t target = new_view.spec_replicas > spec.replicas
                               ? spec.replicas
                               : NewReplicaSetSize(spec, Views(sets->All()), new_view);
    if (target != new_view.spec_replicas) {
      absl::Status scaled = ScaleNamed(*sets, {{new_view.name, target}}, deployment);
      if (!scaled.ok()) return scaled;
      return SyncStatus(key, deployment, *sets, /*rollout=*/true);
    }
  }
  // Scale down old ones, if availability allows.
  const std::map<std::string, int64_t> sizes =
      ScaleDownOldReplicaSets(spec, Views(Active(sets->old)), new_view);
  if (!sizes.empty()) {
    absl::Status scaled = ScaleNamed(*sets, sizes, deployment);
    if (!scaled.ok()) return scaled;
    return SyncStatus(key, deployment, *sets, /*rollout=*/true);
  }
  if (DeploymentComplete(deployment, StatusOf(deployment))) {
    if (absl::Status cleaned = CleanupHistory(deployment, sets->old); !cleaned.ok()) return cleaned;
  }
  return SyncStatus(key, deployment, *sets, /*rollout=*/true);
}

absl::Status DeploymentController::RolloutRecreate(Json& deployment,
                                                   const std::vector<Json>& owned) {
  const std::string key = client::ObjectCacheKey(deployment);
  absl::StatusOr<ReplicaSets> sets = GetReplicaSetsAndSyncRevision(deployment, owned, false);
  if (!sets.ok()) return sets.status();
  std::map<std::string, int64_t> to_zero;
  for (const Json& rs : Active(sets->old))
    to_zero[api::NameOf(rs)] = 0;
  if (!to_zero.empty()) {
    absl::Status scaled = ScaleNamed(*sets, to_zero, deployment);
    if (!scaled.ok()) return scaled;
    return SyncStatus(key, deployment, *sets, /*rollout=*/true);
  }
  if (OldPodsRunning(*sets)) return SyncStatus(key, deployment, *sets, /*rollout=*/true);
  if (!sets->new_rs.has_value()) {
    sets = GetReplicaSetsAndSyncRevision(deployment, owned, true);
    if (!sets.ok()) return sets.status();
  }
  const int64_t replicas = SpecOf(deployment).replicas;
  absl::Status scaled = ScaleNamed(*sets, {{api::NameOf(*sets->new_rs), replicas}}, deployment);
  if (!scaled.ok()) return scaled;
  if (DeploymentComplete(deployment, StatusOf(deployment))) {
    if (absl::Status cleaned = CleanupHistory(deployment, sets->old); !cleaned.ok()) return cleaned;
  }
  return SyncStatus(key, deployment, *sets, /*rollout=*/true);
}

absl::Status DeploymentController::SyncScale(Json& deployment, const std::vector<Json>& owned) {
  absl::StatusOr<ReplicaSets> sets = GetReplicaSetsAndSyncRevision(deployment, owned, false);
  if (!sets.ok()) return sets.status();
  if (absl::Status scaled = Scale(deployment, *sets); !scaled.ok()) return scaled;
  if (SpecOf(deployment).paused) {
    if (absl::Status cleaned = CleanupHistory(deployment, sets->old); !cleaned.ok()) return cleaned;
  }
  return SyncStatus(client::ObjectCacheKey(deployment), deployment, *sets, /*rollout=*/false);
}

absl::Status DeploymentController::Scale(const Json& deployment, ReplicaSets& sets) {
  const api::DeploymentSpec spec = SpecOf(deployment);
  const std::vector<Json> active = Active(sets.All());
  // One active ReplicaSet (or none: the newest) takes the whole count.
  if (active.size() <= 1) {
    std::optional<Json> target;
    if (active.size() == 1) {
      target = active.front();
    } else if (sets.new_rs.has_value()) {
      target = sets.new_rs;
    } else if (!sets.old.empty()) {
      target = *std::max_element(sets.old.begin(), sets.old.end(), OlderFirst);
    }
    if (!target.has_value()) return absl::OkStatus();
    return ScaleNamed(sets, {{api::NameOf(*target), spec.replicas}}, deployment);
  }
  if (sets.new_rs.has_value() && IsSaturated(spec, ReplicaSetView::FromJson(*sets.new_rs))) {
    std::map<std::string, int64_t> to_zero;
    for (const Json& rs : Active(sets.old))
      to_zero[api::NameOf(rs)] = 0;
    return ScaleNamed(sets, to_zero, deployment);
  }
  if (spec.strategy_type != "RollingUpdate") return absl::OkStatus();
  return ScaleNamed(sets, ProportionalSizes(spec, StatusOf(deployment).replicas, Views(active)),
                    deployment);
}

bool DeploymentController::IsScalingEvent(const Json& deployment, const std::vector<Json>& owned) {
  const int64_t replicas = SpecOf(deployment).replicas;
  for (const Json& rs : Active(owned)) {
    std::optional<int64_t> desired = ReplicaSetView::FromJson(rs).desired_replicas_annotation;
    if (desired.has_value() && *desired != replicas) return true;
  }
  return false;
}

absl::Status DeploymentController::CheckPausedConditions(Json& deployment) {
  if (!HasProgressDeadline(deployment)) return absl::OkStatus();
  api::WorkloadStatus status = StatusOf(deployment);
  const api::Condition* progressing = FindWorkloadCondition(status, "Progressing");
  if (progressing != nullptr && progressing->reason == "ProgressDeadlineExceeded") {
    return absl::OkStatus();
  }
  const bool paused_recorded = progressing != nullptr && progressing->reason == "DeploymentPaused";
  const bool paused = SpecOf(deployment).paused;
  if (paused == paused_recorded) return absl::OkStatus();
  SetWorkloadCondition(status, paused ? NewCondition("Progressing", "Unknown", "DeploymentPaused",
                                                     "Deployment is paused", absl::Now())
                                      : NewCondition("Progressing", "Unknown", "DeploymentResumed",
                                                     "Deployment is resumed", absl::Now()));
  absl::StatusOr<Json> written =
      context_.client.UpdateStatus(Deployments(), WithStatus(deployment, status));
  if (!written.ok()) return written.status();
  deployment = WithKind(*std::move(written), Deployments());
  return absl::OkStatus();
}

bool DeploymentController::OldPodsRunning(const ReplicaSets& sets) const {
  for (const Json& rs : sets.old) {
    if (api::IntAt(rs, {"status", "replicas"}).value_or(0) > 0) return true;
    // Terminating pods no longer count as replicas but still run.
    for (const client::Informer::SharedObject& cached_pod :
         pods_.ByIndexShared(kOwnerUidIndex, api::UidOf(rs))) {
      const Json& pod = *cached_pod;
      const Json* reference = api::ControllerRefOf(pod);
      if (reference == nullptr || api::StringAt(*reference, {"uid"}) != api::UidOf(rs)) continue;
      const std::string phase = api::StringAt(pod, {"status", "phase"});
      if (phase != "Succeeded" && phase != "Failed") return true;
    }
  }
  return false;
}

absl::Status DeploymentController::CleanupHistory(const Json& deployment,
                                                  const std::vector<Json>& old) {
  const int64_t limit = SpecOf(deployment).revision_history_limit;
  for (const std::string& name : ReplicaSetsToCleanUp(limit, Views(old))) {
    absl::Status deleted =
        context_.client.Delete(ReplicaSetResource(), api::NamespaceOf(deployment), name).status();
    if (!deleted.ok() && !client::IsNotFound(deleted)) return deleted;
    spdlog::info("controller-manager: deployment {} deleted old replicaset {} (history limit {})",
                 client::ObjectCacheKey(deployment), name, limit);
  }
  return absl::OkStatus();
}

absl::Status DeploymentController::SyncStatus(const std::string& key, const Json& deployment,
                                              const ReplicaSets& sets, bool rollout) {
  const absl::Time now = absl::Now();
  std::optional<ReplicaSetView> new_view;
  if (sets.new_rs.has_value()) new_view = ReplicaSetView::FromJson(*sets.new_rs);
  api::WorkloadStatus status =
      CalculateDeploymentStatus(deployment, Views(sets.All()), new_view, now);
  if (rollout) UpdateProgressingCondition(deployment, new_view, status, now);
  if (rollout) {
    if (std::optional<absl::Time> check = ProgressDeadlineCheckAt(deployment, status)) {
      queue_.AddAfter(key, std::max(*check - now, absl::ZeroDuration()));
    }
  }
  if (status.ToDeploymentJson() == StatusOf(deployment).ToDeploymentJson()) return absl::OkStatus();
  absl::Status written =
      context_.client.UpdateStatus(Deployments(), WithStatus(deployment, status)).status();
  return client::IsNotFound(written) ? absl::OkStatus() : written;
}

}  // namespace orch::controllers
