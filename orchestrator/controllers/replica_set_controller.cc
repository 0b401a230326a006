#include "orchestrator/controllers/replica_set_controller.h"

#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/selector.h"
#include "orchestrator/api/text.h"
#include "orchestrator/client/api_error.h"
#include "orchestrator/controllers/replica_set_logic.h"
#include "spdlog/spdlog.h"

namespace orch::controllers {
namespace {

using api::Json;
using SharedObject = client::Informer::SharedObject;

// Expectations older than this are dropped: a watch event that never came must not stop
// the ReplicaSet for good (upstream's ExpectationsTimeout).
constexpr absl::Duration kExpectationsTimeout = absl::Minutes(2);
// Concurrent create or delete requests per batch.
constexpr size_t kParallelRequests = 16;

int64_t RevisionNumber(const std::string& resource_version) {
  int64_t revision = 0;
  return absl::SimpleAtoi(resource_version, &revision) ? revision : 0;
}

std::string OwnerKey(const Json& pod, const Json& reference) {
  return api::Cat(api::NamespaceOf(pod), "/", api::StringAt(reference, {"name"}));
}

bool IsReplicaSetReference(const Json* reference) {
  return reference != nullptr && api::StringAt(*reference, {"kind"}) == "ReplicaSet" &&
         api::StringAt(*reference, {"apiVersion"}) == "apps/v1";
}

const api::ResourceInfo& Pods() {
  return api::ResourceFor(api::Kind::kPod);
}
const api::ResourceInfo& ReplicaSets() {
  return api::ResourceFor(api::Kind::kReplicaSet);
}

// Per sync, events for this many pods one by one; past that, one aggregate, as upstream's
// event correlator combines similar events (a scale-up by thousands must not flood Events).
constexpr int64_t kPodEventsPerSync = 10;

std::vector<const Json*> Views(const std::vector<SharedObject>& objects) {
  std::vector<const Json*> views;
  views.reserve(objects.size());
  for (const SharedObject& object : objects)
    views.push_back(object.get());
  return views;
}

}  // namespace

void ReplicaSetController::RecordPodEvent(const Json& replica_set, std::string_view reason,
                                          std::string_view what, const std::string& pod_name,
                                          int64_t nth) {
  if (nth <= kPodEventsPerSync) {
    context_.events.Record(replica_set, "Normal", reason, api::Cat(what, pod_name));
  } else if (nth == kPodEventsPerSync + 1) {
    context_.events.Record(replica_set, "Normal", reason,
                           api::Cat("(combined from similar events): ", what, pod_name));
  }
}

ReplicaSetController::ReplicaSetController(ControllerContext context)
    : context_(context),
      replica_sets_(context.informers.For(api::Kind::kReplicaSet)),
      pods_(context.informers.For(api::Kind::kPod)),
      workers_("replicaset", queue_, [this](const std::string& key) { return Sync(key); }) {
  auto enqueue = [this](const Json& rs) { queue_.Add(client::ObjectCacheKey(rs)); };
  replica_sets_.AddHandlers({.on_add = enqueue,
                             .on_update = [enqueue](const Json&, const Json& rs) { enqueue(rs); },
                             .on_delete = enqueue});
  pods_.AddHandlers({.on_add = [this](const Json& pod) { EnqueuePodOwners(pod); },
                     .on_update =
                         [this](const Json& old_pod, const Json& pod) {
                           EnqueuePodOwners(pod);
                           if (api::LabelsOf(old_pod) != api::LabelsOf(pod) ||
                               api::ControllerRefOf(old_pod) == nullptr) {
                             EnqueuePodOwners(old_pod);
                           }
                         },
                     .on_delete = [this](const Json& pod) { EnqueuePodOwners(pod); }});
}

ReplicaSetController::~ReplicaSetController() {
  Stop();
}

void ReplicaSetController::Run() {
  workers_.Start(context_.options.workers);
}

void ReplicaSetController::Stop() {
  workers_.Stop();
}

void ReplicaSetController::EnqueuePodOwners(const Json& pod) {
  const Json* reference = api::ControllerRefOf(pod);
  if (reference != nullptr) {
    if (IsReplicaSetReference(reference)) queue_.Add(OwnerKey(pod, *reference));
    return;
  }
  // An orphan: every ReplicaSet that might adopt it.
  for (const SharedObject& rs :
       replica_sets_.ByIndexShared(kNamespaceIndex, api::NamespaceOf(pod))) {
    absl::StatusOr<api::LabelSelector> selector =
        api::LabelSelector::FromObject(api::MemberAt(*rs, {"spec", "selector"}));
    if (selector.ok() && selector->Matches(api::LabelsOf(pod))) {
      queue_.Add(client::ObjectCacheKey(*rs));
    }
  }
}

bool ReplicaSetController::ExpectationsMet(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = expectations_.find(key);
  if (it == expectations_.end()) return true;
  Expectations& expected = it->second;
  if (absl::Now() - expected.since > kExpectationsTimeout) {
    spdlog::warn("controller-manager: replicaset {} gave up waiting for its pod cache", key);
    expectations_.erase(it);
    return true;
  }
  if (RevisionNumber(pods_.LastResourceVersion()) < expected.created_up_to_revision) return false;
  std::erase_if(expected.deleting, [this](const auto& entry) {
    SharedObject pod = pods_.GetShared(entry.first);
    return pod == nullptr || api::UidOf(*pod) != entry.second || !IsPodActive(*pod);
  });
  if (!expected.deleting.empty()) return false;
  expectations_.erase(it);
  return true;
}

absl::Status ReplicaSetController::Sync(const std::string& key) {
  SharedObject cached = replica_sets_.GetShared(key);
  if (cached == nullptr) {
    std::lock_guard lock(mutex_);
    expectations_.erase(key);
    return absl::OkStatus();
  }
  // List items may come without apiVersion and kind; owner references and events need them.
  Json replica_set = *cached;
  replica_set["apiVersion"] = ReplicaSets().ApiVersion();
  replica_set["kind"] = std::string(ReplicaSets().kind);
  const bool expectations_met = ExpectationsMet(key);
  absl::StatusOr<std::vector<SharedObject>> owned = ClaimPods(replica_set);
  if (!owned.ok()) return owned.status();
  const std::vector<const Json*> owned_pods = Views(*owned);
  absl::Status managed = absl::OkStatus();
  if (expectations_met && !api::IsBeingDeleted(replica_set)) {
    managed = ManageReplicas(key, replica_set, owned_pods);
  }
  absl::Status status = UpdateStatus(key, replica_set, owned_pods);
  return managed.ok() ? status : managed;
}

absl::StatusOr<std::vector<SharedObject>> ReplicaSetController::ClaimPods(const Json& replica_set) {
  absl::StatusOr<api::LabelSelector> selector =
      api::LabelSelector::FromObject(api::MemberAt(replica_set, {"spec", "selector"}));
  if (!selector.ok()) {
    spdlog::warn("controller-manager: replicaset {} has an invalid selector: {}",
                 client::ObjectCacheKey(replica_set), std::string(selector.status().message()));
    return std::vector<SharedObject>{};
  }
  // Candidates: what names us as an owner, and orphans of our namespace; copying every pod of
  // the namespace per sync would cost O(pods) for each of the many syncs of a large scale-up.
  std::vector<SharedObject> candidates =
      pods_.ByIndexShared(kOwnerUidIndex, api::UidOf(replica_set));
  std::set<std::string> seen;
  for (const SharedObject& pod : candidates)
    seen.insert(api::UidOf(*pod));
  for (SharedObject& pod : pods_.ByIndexShared(kOrphanIndex, api::NamespaceOf(replica_set))) {
    if (!seen.contains(api::UidOf(*pod))) candidates.push_back(std::move(pod));
  }
  std::vector<SharedObject> owned;
  for (SharedObject& candidate : candidates) {
    const Json& pod = *candidate;
    if (!IsPodActive(pod)) continue;
    switch (DecideClaim(replica_set, *selector, pod)) {
      case ClaimAction::kIgnore:
        break;
      case ClaimAction::kOwned:
        owned.push_back(std::move(candidate));
        break;
      case ClaimAction::kAdopt: {
        absl::StatusOr<Json> adopted = context_.client.Patch(
            Pods(), api::NamespaceOf(pod), api::NameOf(pod), client::PatchType::kStrategicMerge,
            AdoptionPatch(replica_set, pod));
        if (adopted.ok()) {
          spdlog::info("controller-manager: replicaset {} adopted pod {}",
                       client::ObjectCacheKey(replica_set), api::NameOf(pod));
          owned.push_back(std::make_shared<const Json>(*std::move(adopted)));
        } else if (!client::IsNotFound(adopted.status()) && !client::IsInvalid(adopted.status())) {
          return adopted.status();
        }
        break;
      }
      case ClaimAction::kRelease: {
        absl::StatusOr<Json> released = context_.client.Patch(
            Pods(), api::NamespaceOf(pod), api::NameOf(pod), client::PatchType::kStrategicMerge,
            ReleasePatch(api::UidOf(replica_set), pod));
        if (released.ok()) {
          spdlog::info("controller-manager: replicaset {} released pod {}",
                       client::ObjectCacheKey(replica_set), api::NameOf(pod));
        } else if (!client::IsNotFound(released.status()) &&
                   !client::IsInvalid(released.status())) {
          return released.status();
        }
        break;
      }
    }
  }
  return owned;
}

absl::Status ReplicaSetController::ManageReplicas(const std::string& key, const Json& replica_set,
                                                  const std::vector<const Json*>& owned) {
  const int64_t wanted = api::IntAt(replica_set, {"spec", "replicas"}).value_or(1);
  const int64_t diff = static_cast<int64_t>(owned.size()) - wanted;
  if (diff < 0) return CreatePods(key, replica_set, std::min(-diff, kBurstReplicas));
  if (diff > 0)
    return DeletePods(key, replica_set, ChoosePodsToDelete(owned, std::min(diff, kBurstReplicas)));
  return absl::OkStatus();
}

absl::Status ReplicaSetController::CreatePods(const std::string& key, const Json& replica_set,
                                              int64_t count) {
  const Json pod = NewPodFromTemplate(replica_set);
  const std::string& namespace_name = api::NamespaceOf(replica_set);
  int64_t max_revision = 0;
  int64_t created_count = 0;
  absl::Status failure = absl::OkStatus();
  for (int64_t batch : SlowStartBatches(count)) {
    std::vector<absl::StatusOr<Json>> results(static_cast<size_t>(batch),
                                              absl::UnknownError("not sent"));
    RunParallel(results.size(), kParallelRequests, [&](size_t i) {
      // A generated name may collide with a pod's that exists (5 random characters): the
      // server answers AlreadyExists and another attempt draws another name.
      for (int attempt = 0; attempt < 3; ++attempt) {
        results[i] = context_.client.Create(Pods(), namespace_name, pod);
        if (!client::IsAlreadyExists(results[i].status())) break;
      }
    });
    for (absl::StatusOr<Json>& created : results) {
      if (!created.ok()) {
        failure = created.status();
        continue;
      }
      ++created_count;
      max_revision = std::max(max_revision, RevisionNumber(api::ResourceVersionOf(*created)));
      RecordPodEvent(replica_set, "SuccessfulCreate", "Created pod: ", api::NameOf(*created),
                     created_count);
    }
    if (!failure.ok()) break;
  }
  if (created_count > 0) {
    std::lock_guard lock(mutex_);
    Expectations& expected = expectations_[key];
    expected.created_up_to_revision = std::max(expected.created_up_to_revision, max_revision);
    expected.since = absl::Now();
    spdlog::info("controller-manager: replicaset {} created {} pods", key, created_count);
  }
  if (failure.ok()) return absl::OkStatus();
  // A namespace being deleted refuses new pods; nothing to retry.
  if (client::HttpCodeOf(failure) == 403) return absl::OkStatus();
  context_.events.Record(replica_set, "Warning", "FailedCreate",
                         api::Cat("Error creating: ", failure.message()));
  return failure;
}

absl::Status ReplicaSetController::DeletePods(const std::string& key, const Json& replica_set,
                                              const std::vector<const Json*>& victims) {
  {
    std::lock_guard lock(mutex_);
    Expectations& expected = expectations_[key];
    for (const Json* pod : victims)
      expected.deleting[client::ObjectCacheKey(*pod)] = api::UidOf(*pod);
    expected.since = absl::Now();
  }
  std::vector<absl::Status> results(victims.size());
  RunParallel(victims.size(), kParallelRequests, [&](size_t i) {
    client::DeleteOptions options;
    options.precondition_uid = api::UidOf(*victims[i]);
    results[i] =
        context_.client
            .Delete(Pods(), api::NamespaceOf(*victims[i]), api::NameOf(*victims[i]), options)
            .status();
  });
  absl::Status failure = absl::OkStatus();
  int64_t deleted_count = 0;
  for (size_t i = 0; i < victims.size(); ++i) {
    if (results[i].ok()) {
      RecordPodEvent(replica_set, "SuccessfulDelete", "Deleted pod: ", api::NameOf(*victims[i]),
                     ++deleted_count);
    } else if (!client::IsNotFound(results[i]) && !client::IsConflict(results[i])) {
      failure = results[i];
      std::lock_guard lock(mutex_);
      expectations_[key].deleting.erase(client::ObjectCacheKey(*victims[i]));
    }
  }
  spdlog::info("controller-manager: replicaset {} deleted {} pods", key, victims.size());
  return failure;
}

absl::Status ReplicaSetController::UpdateStatus(const std::string& key, const Json& replica_set,
                                                const std::vector<const Json*>& owned) {
  const absl::Time now = absl::Now();
  const api::WorkloadStatus status = ReplicaSetStatusFor(replica_set, owned, now);
  const int64_t min_ready = api::IntAt(replica_set, {"spec", "minReadySeconds"}).value_or(0);
  std::optional<absl::Time> next_available;
  for (const Json* pod : owned) {
    std::optional<absl::Time> at = BecomesAvailableAt(*pod, min_ready, now);
    if (at.has_value() && (!next_available.has_value() || *at < *next_available))
      next_available = at;
  }
  if (next_available.has_value()) {
    queue_.AddAfter(key, *next_available - now + absl::Milliseconds(100));
  }
  const Json current =
      api::WorkloadStatus::FromJson(api::ObjectAt(replica_set, {"status"})).ToReplicaSetJson();
  const Json wanted = status.ToReplicaSetJson();
  if (current == wanted) return absl::OkStatus();
  Json updated = replica_set;
  Json& target = api::EnsureObject(updated, "status");
  // Keep status fields this controller does not model.
  for (const char* field : {"replicas", "fullyLabeledReplicas", "readyReplicas",
                            "availableReplicas", "observedGeneration", "conditions"}) {
    target.erase(field);
  }
  target.update(wanted);
  absl::Status written = context_.client.UpdateStatus(ReplicaSets(), updated).status();
  return client::IsNotFound(written) ? absl::OkStatus() : written;
}

}  // namespace orch::controllers
