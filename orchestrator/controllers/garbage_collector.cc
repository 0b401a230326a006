#include "orchestrator/controllers/garbage_collector.h"

#include <vector>

#include "absl/strings/str_split.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/text.h"
#include "orchestrator/client/api_error.h"
#include "orchestrator/controllers/replica_set_logic.h"
#include "spdlog/spdlog.h"

namespace orch::controllers {
namespace {

using api::Json;

constexpr std::string_view kOrphanFinalizer = "orphan";
constexpr std::string_view kForegroundFinalizer = "foregroundDeletion";
constexpr std::string_view kDependentPrefix = "dependent";
constexpr std::string_view kOwnerPrefix = "owner";

bool HasFinalizer(const Json& object, std::string_view finalizer) {
  for (const Json& entry : api::ArrayAt(object, {"metadata", "finalizers"})) {
    if (entry.is_string() && entry.get<std::string>() == finalizer) return true;
  }
  return false;
}

// Resources the collector watches: everything listable but Events, which own nothing and
// are owned by nothing, and churn the most.
bool Collectable(const api::ResourceInfo& resource) {
  return resource.id != api::Kind::kEvent && resource.HasVerb("watch") &&
         resource.HasVerb("delete");
}

const api::ResourceInfo* ResourceByPlural(std::string_view plural) {
  for (const api::ResourceInfo& resource : api::AllResources()) {
    if (resource.plural == plural) return &resource;
  }
  return nullptr;
}

}  // namespace

GarbageCollector::GarbageCollector(ControllerContext context)
    : context_(context),
      workers_("garbagecollector", queue_, [this](const std::string& key) { return Sync(key); }) {
  for (const api::ResourceInfo& resource : api::AllResources()) {
    if (!Collectable(resource)) continue;
    const api::ResourceInfo* info = &resource;
    context_.informers.For(resource).AddHandlers(
        {.on_add = [this, info](const Json& object) { Observe(*info, object); },
         .on_update = [this, info](const Json&, const Json& object) { Observe(*info, object); },
         .on_delete = [this, info](const Json& object) { ObserveDeletion(*info, object); }});
  }
}

GarbageCollector::~GarbageCollector() {
  Stop();
}

void GarbageCollector::Run() {
  workers_.Start(context_.options.workers);
}

void GarbageCollector::Stop() {
  workers_.Stop();
}

void GarbageCollector::Observe(const api::ResourceInfo& resource, const Json& object) {
  const std::string key = client::ObjectCacheKey(object);
  if (!api::ArrayAt(object, {"metadata", "ownerReferences"}).empty()) {
    queue_.Add(api::Cat(kDependentPrefix, "|", resource.plural, "|", key));
  }
  if (api::IsBeingDeleted(object) &&
      (HasFinalizer(object, kOrphanFinalizer) || HasFinalizer(object, kForegroundFinalizer))) {
    queue_.Add(api::Cat(kOwnerPrefix, "|", resource.plural, "|", key));
  }
}

void GarbageCollector::ObserveDeletion(const api::ResourceInfo&, const Json& object) {
  // Its dependents may now be dangling.
  for (const auto& [resource, dependent] : context_.informers.Dependents(api::UidOf(object))) {
    queue_.Add(
        api::Cat(kDependentPrefix, "|", resource->plural, "|", client::ObjectCacheKey(*dependent)));
  }
  // An owner waiting in foreground for this dependent may now be free.
  for (const Json& reference : api::ArrayAt(object, {"metadata", "ownerReferences"})) {
    for (const client::Informer::SharedObject& cached_owner :
         context_.informers.FindByUid(api::StringAt(reference, {"uid"}))) {
      const Json& owner = *cached_owner;
      const api::ResourceInfo* owner_resource = api::FindResourceByKind(
          api::StringAt(reference, {"apiVersion"}), api::StringAt(reference, {"kind"}));
      if (owner_resource != nullptr && HasFinalizer(owner, kForegroundFinalizer)) {
        queue_.Add(api::Cat(kOwnerPrefix, "|", owner_resource->plural, "|",
                            client::ObjectCacheKey(owner)));
      }
    }
  }
}

absl::Status GarbageCollector::Sync(const std::string& key) {
  std::vector<std::string> parts = absl::StrSplit(key, absl::MaxSplits('|', 2));
  const api::ResourceInfo* resource = parts.size() == 3 ? ResourceByPlural(parts[1]) : nullptr;
  if (resource == nullptr) return absl::OkStatus();
  client::Informer::SharedObject cached = context_.informers.For(*resource).GetShared(parts[2]);
  if (cached == nullptr) return absl::OkStatus();
  Json object = *cached;
  object["apiVersion"] = resource->ApiVersion();
  object["kind"] = std::string(resource->kind);
  if (parts[0] == kOwnerPrefix) return SyncDeletingOwner(*resource, object);
  return SyncDependent(*resource, object);
}

absl::StatusOr<GarbageCollector::OwnerState> GarbageCollector::StateOfOwner(
    const Json& reference, const std::string& namespace_name) {
  const std::string uid = api::StringAt(reference, {"uid"});
  std::vector<client::Informer::SharedObject> cached = context_.informers.FindByUid(uid);
  client::Informer::SharedObject owner;
  if (!cached.empty()) {
    owner = cached.front();
  } else {
    // Not in our caches: they may be behind, so ask the server before deleting anything.
    const api::ResourceInfo* resource = api::FindResourceByKind(
        api::StringAt(reference, {"apiVersion"}), api::StringAt(reference, {"kind"}));
    if (resource == nullptr) return OwnerState::kPresent;  // a kind we cannot judge
    absl::StatusOr<Json> live = context_.client.Get(
        *resource, resource->namespaced ? namespace_name : "", api::StringAt(reference, {"name"}));
    if (client::IsNotFound(live.status())) return OwnerState::kGone;
    if (!live.ok()) return live.status();
    if (api::UidOf(*live) != uid) return OwnerState::kGone;
    owner = std::make_shared<const Json>(*std::move(live));
  }
  if (api::IsBeingDeleted(*owner) && HasFinalizer(*owner, kForegroundFinalizer)) {
    return OwnerState::kDeletingForeground;
  }
  return OwnerState::kPresent;
}

absl::Status GarbageCollector::SyncDependent(const api::ResourceInfo& resource,
                                             const Json& object) {
  const Json& references = api::ArrayAt(object, {"metadata", "ownerReferences"});
  if (references.empty() || api::IsBeingDeleted(object)) return absl::OkStatus();
  std::vector<std::string> gone;
  size_t present = 0;
  size_t foreground = 0;
  for (const Json& reference : references) {
    absl::StatusOr<OwnerState> state = StateOfOwner(reference, api::NamespaceOf(object));
    if (!state.ok()) return state.status();
    if (*state == OwnerState::kGone) gone.push_back(api::StringAt(reference, {"uid"}));
    if (*state == OwnerState::kPresent) ++present;
    if (*state == OwnerState::kDeletingForeground) ++foreground;
  }
  const std::string key = client::ObjectCacheKey(object);
  if (present == 0 && (foreground > 0 || !gone.empty())) {
    client::DeleteOptions options;
    options.precondition_uid = api::UidOf(object);
    options.propagation_policy = foreground > 0 ? "Foreground" : "Background";
    absl::Status deleted =
        context_.client.Delete(resource, api::NamespaceOf(object), api::NameOf(object), options)
            .status();
    if (!deleted.ok() && !client::IsNotFound(deleted) && !client::IsConflict(deleted))
      return deleted;
    spdlog::info(
        "controller-manager: garbagecollector deleted {} {} ({} propagation): {}",
        resource.singular, key, options.propagation_policy,
        foreground > 0 ? "its owner is being deleted in foreground" : "its owners are gone");
    return absl::OkStatus();
  }
  // Some owners remain: only drop the references to those that are gone.
  for (const std::string& uid : gone) {
    absl::Status patched = context_.client
                               .Patch(resource, api::NamespaceOf(object), api::NameOf(object),
                                      client::PatchType::kStrategicMerge, ReleasePatch(uid, object))
                               .status();
    if (!patched.ok() && !client::IsNotFound(patched)) return patched;
    spdlog::info(
        "controller-manager: garbagecollector removed the reference of {} {} to its "
        "deleted owner {}",
        resource.singular, key, uid);
  }
  return absl::OkStatus();
}

absl::Status GarbageCollector::SyncDeletingOwner(const api::ResourceInfo& resource,
                                                 const Json& object) {
  if (!api::IsBeingDeleted(object)) return absl::OkStatus();
  const std::string uid = api::UidOf(object);
  const std::string key = client::ObjectCacheKey(object);
  if (HasFinalizer(object, kOrphanFinalizer)) {
    for (const auto& [dependent_resource, cached_dependent] : context_.informers.Dependents(uid)) {
      const Json& dependent = *cached_dependent;
      absl::Status patched =
          context_.client
              .Patch(*dependent_resource, api::NamespaceOf(dependent), api::NameOf(dependent),
                     client::PatchType::kStrategicMerge, ReleasePatch(uid, dependent))
              .status();
      if (!patched.ok() && !client::IsNotFound(patched)) return patched;
    }
    spdlog::info("controller-manager: garbagecollector orphaned the dependents of {} {}",
                 resource.singular, key);
    return RemoveFinalizer(resource, object, kOrphanFinalizer);
  }
  if (!HasFinalizer(object, kForegroundFinalizer)) return absl::OkStatus();
  bool blocked = false;
  for (const auto& [dependent_resource, cached_dependent] : context_.informers.Dependents(uid)) {
    const Json& dependent = *cached_dependent;
    for (const Json& reference : api::ArrayAt(dependent, {"metadata", "ownerReferences"})) {
      if (api::StringAt(reference, {"uid"}) == uid &&
          api::BoolAt(reference, {"blockOwnerDeletion"})) {
        blocked = true;
      }
    }
    if (api::IsBeingDeleted(dependent)) continue;
    client::DeleteOptions options;
    options.precondition_uid = api::UidOf(dependent);
    // Foreground only where it has dependents of its own to wait for.
    options.propagation_policy =
        context_.informers.Dependents(api::UidOf(dependent)).empty() ? "Background" : "Foreground";
    absl::Status deleted = context_.client
                               .Delete(*dependent_resource, api::NamespaceOf(dependent),
                                       api::NameOf(dependent), options)
                               .status();
    if (!deleted.ok() && !client::IsNotFound(deleted) && !client::IsConflict(deleted))
      return deleted;
  }
  if (blocked) return absl::OkStatus();  // the deletions of the dependents bring us back
  spdlog::info("controller-manager: garbagecollector {} {} has no blocking dependents left",
               resource.singular, key);
  return RemoveFinalizer(resource, object, kForegroundFinalizer);
}

absl::Status GarbageCollector::RemoveFinalizer(const api::ResourceInfo& resource,
                                               const Json& object, std::string_view finalizer) {
  Json updated = object;
  Json remaining = Json::array();
  for (const Json& entry : api::ArrayAt(object, {"metadata", "finalizers"})) {
    if (!(entry.is_string() && entry.get<std::string>() == finalizer)) remaining.push_back(entry);
  }
  updated["metadata"]["finalizers"] = std::move(remaining);
  absl::Status written = context_.client.Update(resource, updated).status();
  if (client::IsNotFound(written)) return absl::OkStatus();
  return written;
}

}  // namespace orch::controllers
