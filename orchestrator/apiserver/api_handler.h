// The Kubernetes REST API over an ObjectStore: discovery, and get, list, watch (through a
// watch cache per resource), create, update (also of the status subresource), patch, delete
// and deletecollection (deletion.h: grace periods, finalizers, terminating namespaces) of
// every resource in the orch::api registry; the scale subresource of workloads, pods/binding,
// pods/eviction, pods/log (relayed from the kubelet) and namespaces/finalize. Events expire
// with a shared TTL lease. Errors are Kubernetes Status objects. docs/orchestrator-apiserver.md.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "orchestrator/apiserver/deletion.h"
#include "orchestrator/apiserver/http_server.h"
#include "orchestrator/apiserver/lease_manager.h"
#include "orchestrator/apiserver/object_store.h"
#include "orchestrator/apiserver/watch_cache.h"

namespace orch::apiserver {

struct ApiHandlerOptions {
  // Events expire this long after their last write (kube-apiserver's --event-ttl).
  absl::Duration event_ttl = absl::Hours(1);
  // The share of the ttl during which one lease serves further events (lease_manager.h).
  double event_lease_reuse_fraction = 0.05;
  // Events each resource's watch cache keeps for watchers resuming from a resourceVersion
  // (an event shares the object versions the cache holds; older versions stay while an
  // event in the ring refers to them).
  size_t watch_cache_capacity = 1000;
  // How often a watch with allowWatchBookmarks=true hears a BOOKMARK (upstream: 1 min).
  absl::Duration bookmark_interval = absl::Minutes(1);
};

class ApiHandler {
 public:
  // `server_address` (host:port) is what /api reports to clients.
  ApiHandler(raftkv::KV& kv, std::string server_address, ApiHandlerOptions options = {});
  ~ApiHandler();  // ends every watch
  ApiHandler(const ApiHandler&) = delete;
  ApiHandler& operator=(const ApiHandler&) = delete;

  // Creates the "default" namespace unless it exists, as a cluster starts with it.
  absl::Status EnsureDefaultNamespace();

  HttpResponse Handle(const HttpRequest& request);

  // The watch cache of a resource (null when it has none), for diagnostics and tests.
  std::shared_ptr<WatchCache> watch_cache(api::Kind kind) const;

 private:
  struct ResourcePath;

  HttpResponse HandleResource(const HttpRequest& request, const ResourcePath& path);
  HttpResponse Get(const HttpRequest& request, const ResourcePath& path);
  HttpResponse List(const HttpRequest& request, const ResourcePath& path);
  HttpResponse Watch(const HttpRequest& request, const ResourcePath& path);
  HttpResponse Create(const HttpRequest& request, const ResourcePath& path);
  // Create's work after the body was decoded (also for server-side apply of a new object).
  HttpResponse CreateObject(const HttpRequest& request, const ResourcePath& path, api::Json object);
  // PATCH with application/apply-patch+yaml: server-side apply (orch::api::ServerSideApply).
  HttpResponse Apply(const HttpRequest& request, const ResourcePath& path);
  HttpResponse Update(const HttpRequest& request, const ResourcePath& path);
  HttpResponse Patch(const HttpRequest& request, const ResourcePath& path);
  HttpResponse Delete(const HttpRequest& request, const ResourcePath& path);
  HttpResponse DeleteCollection(const HttpRequest& request, const ResourcePath& path);
  // GET, PUT and PATCH of /scale: an autoscaling/v1 Scale over the workload's spec.replicas.
  HttpResponse Scale(const HttpRequest& request, const ResourcePath& path);
  // POST of pods/<name>/binding: sets spec.nodeName once.
  HttpResponse Bind(const HttpRequest& request, const ResourcePath& path);
  // POST of pods/<name>/eviction (policy/v1 or v1beta1 Eviction): with no disruption
  // budgets to consult, deletes the pod with the eviction's deleteOptions; 201 Success.
  HttpResponse Evict(const HttpRequest& request, const ResourcePath& path);
  // GET of pods/<name>/log: relayed from the pod's kubelet (pod_logs.h).
  HttpResponse Log(const HttpRequest& request, const ResourcePath& path);
  // DELETE of one object with `options` (deletion.h decides what happens): 200 with the
  // object (202 when kept and orphanDependents=false was asked), 404, 409, 500.
  HttpResponse DeleteObject(const api::ResourceInfo& resource, const std::string& namespace_name,
                            const std::string& name, const DeleteOptions& options);
  // Validates and stores `updated` over `existing` (compared on its revision): 200 with the
  // stored object shaped by `respond_with` (as is when empty), 409 when the object changed
  // meanwhile, 422, 500.
  HttpResponse WriteUpdate(const HttpRequest& request, const ResourcePath& path, api::Json updated,
                           const StoredObject& existing,
                           const std::function<api::Json(const api::Json&)>& respond_with = {});

  // The lease a write of `resource` attaches: a shared TTL lease for Events, else 0.
  absl::StatusOr<int64_t> LeaseFor(const api::ResourceInfo& resource);

  ObjectStore store_;
  std::string server_address_;
  ApiHandlerOptions options_;
  LeaseManager leases_;
  // One per watchable resource, made with the handler; shared with the watches reading it.
  std::map<api::Kind, std::shared_ptr<WatchCache>> watch_caches_;
};

}  // namespace orch::apiserver
