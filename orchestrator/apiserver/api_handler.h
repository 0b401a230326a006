// The Kubernetes REST API over an ObjectStore: discovery, and get, list, watch, create,
// update (also of the status subresource), patch and delete of every resource in the
// orch::api registry. Errors are Kubernetes Status objects.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "orchestrator/apiserver/http_server.h"
#include "orchestrator/apiserver/object_store.h"

namespace orch::apiserver {

class ApiHandler {
 public:
  // `server_address` (host:port) is what /api reports to clients.
  ApiHandler(raftkv::KV& kv, std::string server_address)
      : store_(kv), server_address_(std::move(server_address)) {}

  // Creates the "default" namespace unless it exists, as a cluster starts with it.
  absl::Status EnsureDefaultNamespace();

  HttpResponse Handle(const HttpRequest& request);

 private:
  struct ResourcePath;

  HttpResponse HandleResource(const HttpRequest& request, const ResourcePath& path);
  HttpResponse Get(const HttpRequest& request, const ResourcePath& path);
  HttpResponse List(const HttpRequest& request, const ResourcePath& path);
  HttpResponse Watch(const HttpRequest& request, const ResourcePath& path);
  HttpResponse Create(const HttpRequest& request, const ResourcePath& path);
  HttpResponse Update(const HttpRequest& request, const ResourcePath& path);
  HttpResponse Patch(const HttpRequest& request, const ResourcePath& path);
  HttpResponse Delete(const HttpRequest& request, const ResourcePath& path);
  // Validates and stores `updated` over `existing` (compared on its revision): 200, 409 when
  // the object changed meanwhile, 422, 500.
  HttpResponse WriteUpdate(const HttpRequest& request, const ResourcePath& path, api::Json updated,
                           const StoredObject& existing);

  ObjectStore store_;
  std::string server_address_;
};

}  // namespace orch::apiserver
