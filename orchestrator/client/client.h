// The REST and watch client of the orchestrator's API server, used by the CLI, the scheduler,
// the controllers and the kubelet. It speaks the same HTTP/JSON API as kubectl, to the
// resources in the orch::api registry. Thread-safe: one Client serves a whole process; it
// keeps a pool of keep-alive connections and opens one more per concurrent request.
//
// Every call returns the server's object (or Status) as JSON, or an error made by
// api_error.h (IsNotFound, IsConflict, ...). Nothing is retried behind the caller's back:
// a controller decides whether a conflict means "re-read and try again".
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/registry.h"
#include "orchestrator/client/config.h"

namespace orch::client {

struct ListOptions {
  std::string label_selector;  // "app=web,tier!=db", "env in (a,b)"
  std::string field_selector;  // "spec.nodeName=node-1"
  int64_t limit = 0;           // 0: everything in one answer
  std::string continue_token;
  std::string resource_version;  // "" : the latest (a quorum read)
};

struct WatchOptions {
  // Events after this resourceVersion; "" or "0": the current objects first, as ADDED.
  std::string resource_version;
  std::string label_selector;
  std::string field_selector;
  bool allow_bookmarks = true;
  // The server ends the stream after this long (0: the server's default); callers rewatch.
  absl::Duration timeout = absl::ZeroDuration();
};

struct DeleteOptions {
  std::optional<int64_t> grace_period_seconds;  // pods: 0 deletes at once
  std::string propagation_policy;               // "Background", "Foreground", "Orphan", or ""
  std::string precondition_uid;                 // refuse (409) unless the object has this uid
  std::string precondition_resource_version;
};

enum class PatchType {
  kMerge,           // application/merge-patch+json
  kJson,            // application/json-patch+json
  kStrategicMerge,  // application/strategic-merge-patch+json
  kApply,           // application/apply-patch+yaml (server-side apply)
};

struct PatchOptions {
  std::string subresource;    // "", "status", "scale"
  std::string field_manager;  // required by kApply
  bool force = false;         // kApply: take fields other managers own
};

struct WatchEvent {
  std::string type;  // "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"
  api::Json object;  // the object; for ERROR a Status (410 when the revision was compacted)
};

// One open watch. Not thread-safe except Cancel.
class WatchStream {
 public:
  virtual ~WatchStream() = default;
  // The next event. nullopt: the server ended the stream normally (its timeout) or Cancel was
  // called; the caller watches again from the last resourceVersion it saw. DeadlineExceeded
  // when `deadline` passes first (the stream stays usable); Unavailable when the connection
  // broke.
  virtual absl::StatusOr<std::optional<WatchEvent>> Next(
      absl::Time deadline = absl::InfiniteFuture()) = 0;
  // Ends the stream from any thread; a blocked Next returns nullopt.
  virtual void Cancel() = 0;
};

// A streamed body (pods/log with follow=true): chunks as they arrive.
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // The next bytes as they arrive; "" once the body has ended. DeadlineExceeded when
  // `deadline` passes first (the stream stays usable).
  virtual absl::StatusOr<std::string> Read(absl::Time deadline = absl::InfiniteFuture()) = 0;
  virtual void Cancel() = 0;
};

struct HttpResult {
  int status = 0;
  std::string content_type;
  std::string body;
};

class Client {
 public:
  explicit Client(ClientConfig config);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const ClientConfig& config() const;

  // `namespace_name` is ignored for cluster-scoped resources; for List and Watch "" means
  // every namespace.
  absl::StatusOr<api::Json> Get(const api::ResourceInfo& resource, std::string_view namespace_name,
                                std::string_view name);
  // One page (a *List document with metadata.resourceVersion and metadata.continue).
  absl::StatusOr<api::Json> List(const api::ResourceInfo& resource, std::string_view namespace_name,
                                 const ListOptions& options = {});
  // Every page, followed through `continue`, as one List document (its resourceVersion is
  // the first page's, which is the snapshot all pages were read at).
  absl::StatusOr<api::Json> ListAll(const api::ResourceInfo& resource,
                                    std::string_view namespace_name, ListOptions options = {});
  // POST; the namespace comes from the argument (or the object's metadata when "").
  absl::StatusOr<api::Json> Create(const api::ResourceInfo& resource,
                                   std::string_view namespace_name, const api::Json& object);
  // PUT of the object at metadata.name; a stale metadata.resourceVersion gives IsConflict.
  absl::StatusOr<api::Json> Update(const api::ResourceInfo& resource, const api::Json& object);
  // PUT of the status subresource.
  absl::StatusOr<api::Json> UpdateStatus(const api::ResourceInfo& resource,
                                         const api::Json& object);
  absl::StatusOr<api::Json> Patch(const api::ResourceInfo& resource,
                                  std::string_view namespace_name, std::string_view name,
                                  PatchType type, std::string_view patch,
                                  const PatchOptions& options = {});
  // DELETE; the answer is the object (when deletion is graceful or waits for finalizers) or
  // a Success Status.
  absl::StatusOr<api::Json> Delete(const api::ResourceInfo& resource,
                                   std::string_view namespace_name, std::string_view name,
                                   const DeleteOptions& options = {});
  // POST of pods/<pod>/binding to `node_name`; IsConflict when the pod is already bound.
  absl::Status Bind(std::string_view namespace_name, std::string_view pod_name,
                    std::string_view pod_uid, std::string_view node_name);
  // POST of pods/<pod>/eviction (policy/v1 Eviction).
  absl::Status Evict(std::string_view namespace_name, std::string_view pod_name,
                     const DeleteOptions& options = {});

  absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const api::ResourceInfo& resource,
                                                     std::string_view namespace_name,
                                                     const WatchOptions& options = {});

  // Any request, for what has no method above (/version, discovery, Table output, finalize).
  // A non-2xx answer is returned, not turned into an error; only transport failures are.
  absl::StatusOr<HttpResult> Request(std::string_view method, std::string_view path_and_query,
                                     std::string_view body = "",
                                     std::string_view content_type = "application/json",
                                     std::string_view accept = "application/json");
  // A GET whose body is streamed (pods/<pod>/log?follow=true). Non-2xx answers are errors.
  absl::StatusOr<std::unique_ptr<ByteStream>> Stream(std::string_view path_and_query);

  // The path of a resource's collection or object: "/api/v1/namespaces/ns/pods[/name]",
  // "/apis/apps/v1/deployments" (all namespaces when namespace_name is "").
  static std::string ResourcePath(const api::ResourceInfo& resource,
                                  std::string_view namespace_name, std::string_view name = "");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orch::client
