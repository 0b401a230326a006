#include "orchestrator/controllers/namespace_controller.h"

#include "orchestrator/api/object.h"
#include "orchestrator/api/text.h"
#include "orchestrator/client/api_error.h"
#include "spdlog/spdlog.h"

namespace orch::controllers {
namespace {

using api::Json;

constexpr std::string_view kKubernetesFinalizer = "kubernetes";

bool HasKubernetesFinalizer(const Json& namespace_object) {
  for (const Json& entry : api::ArrayAt(namespace_object, {"spec", "finalizers"})) {
    if (entry.is_string() && entry.get<std::string>() == kKubernetesFinalizer) return true;
  }
  return false;
}

}  // namespace

NamespaceController::NamespaceController(ControllerContext context)
    : context_(context),
      namespaces_(context.informers.For(api::Kind::kNamespace)),
      workers_("namespace", queue_, [this](const std::string& key) { return Sync(key); }) {
  auto enqueue = [this](const Json& namespace_object) {
    if (api::IsBeingDeleted(namespace_object)) queue_.Add(api::NameOf(namespace_object));
  };
  namespaces_.AddHandlers({.on_add = enqueue,
                           .on_update = [enqueue](const Json&, const Json& ns) { enqueue(ns); },
                           .on_delete = nullptr});
}

NamespaceController::~NamespaceController() {
  Stop();
}

void NamespaceController::Run() {
  workers_.Start(context_.options.workers);
}

void NamespaceController::Stop() {
  workers_.Stop();
}

absl::Status NamespaceController::Sync(const std::string& name) {
  std::optional<Json> namespace_object = namespaces_.Get(name);
  if (!namespace_object.has_value() || !api::IsBeingDeleted(*namespace_object) ||
      !HasKubernetesFinalizer(*namespace_object)) {
    return absl::OkStatus();
  }
  absl::StatusOr<size_t> remaining = DeleteContents(name);
  if (!remaining.ok()) return remaining.status();
  if (*remaining > 0) {
    spdlog::info("controller-manager: namespace {} waits for {} objects to go", name, *remaining);
    queue_.AddAfter(name, context_.options.namespace_recheck_delay);
    return absl::OkStatus();
  }
  return Finalize(*namespace_object);
}

absl::StatusOr<size_t> NamespaceController::DeleteContents(const std::string& namespace_name) {
  size_t remaining = 0;
  for (const api::ResourceInfo& resource : api::AllResources()) {
    if (!resource.namespaced || !resource.HasVerb("list") || !resource.HasVerb("delete")) continue;
    absl::StatusOr<Json> list = context_.client.ListAll(resource, namespace_name);
    if (!list.ok()) return list.status();
    for (const Json& item : api::ArrayAt(*list, {"items"})) {
      if (api::IsBeingDeleted(item)) {
        ++remaining;
        continue;
      }
      client::DeleteOptions options;
      options.precondition_uid = api::UidOf(item);
      absl::StatusOr<Json> deleted =
          context_.client.Delete(resource, namespace_name, api::NameOf(item), options);
      if (!deleted.ok()) {
        if (client::IsNotFound(deleted.status()) || client::IsConflict(deleted.status())) continue;
        return deleted.status();
      }
      // Deleted at once (a Status answer), or now being deleted (the object itself).
      if (api::KindOf(*deleted) != "Status") ++remaining;
    }
  }
  return remaining;
}

absl::Status NamespaceController::Finalize(const Json& namespace_object) {
  Json updated = namespace_object;
  updated["apiVersion"] = "v1";
  updated["kind"] = "Namespace";
  Json finalizers = Json::array();
  for (const Json& entry : api::ArrayAt(namespace_object, {"spec", "finalizers"})) {
    if (!(entry.is_string() && entry.get<std::string>() == kKubernetesFinalizer)) {
      finalizers.push_back(entry);
    }
  }
  api::EnsureObject(updated, "spec")["finalizers"] = std::move(finalizers);
  const std::string name = api::NameOf(namespace_object);
  absl::StatusOr<client::HttpResult> result = context_.client.Request(
      "PUT", api::Cat("/api/v1/namespaces/", name, "/finalize"), updated.dump());
  if (!result.ok()) return result.status();
  if (result->status == 404) return absl::OkStatus();
  if (result->status / 100 != 2) return client::ApiError(result->status, result->body);
  spdlog::info("controller-manager: namespace {} is empty; finalized", name);
  return absl::OkStatus();
}

}  // namespace orch::controllers
