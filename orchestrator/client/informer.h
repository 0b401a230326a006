// An informer, as client-go's: lists a resource, then watches from the list's resourceVersion,
// keeping a local cache of every object that the handlers and readers share. On a 410 (the
// revision was compacted) or a broken stream it lists again and reports the difference as
// adds, updates and deletes, so handlers never miss the final state of an object.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/registry.h"
#include "orchestrator/client/client.h"

namespace orch::client {

// Handlers run on the informer's own thread, one at a time, in event order, after the cache
// has the change. They must not block for long: controllers put keys on a WorkQueue.
struct InformerHandlers {
  std::function<void(const api::Json& object)> on_add;
  std::function<void(const api::Json& old_object, const api::Json& new_object)> on_update;
  // The last state known; after a relist this may be older than the deletion.
  std::function<void(const api::Json& object)> on_delete;
};

// The cache key of an object: "namespace/name", or "name" when cluster-scoped.
std::string ObjectCacheKey(const api::Json& object);

class Informer {
 public:
  // `namespace_name` "" watches every namespace; the selectors of `options` narrow it.
  Informer(Client& client, const api::ResourceInfo& resource, std::string namespace_name = "",
           ListOptions options = {});
  ~Informer();  // Stop()
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Before Start.
  void AddHandlers(InformerHandlers handlers);
  // An index: the values an object is filed under (for example its spec.nodeName).
  void AddIndex(std::string name,
                std::function<std::vector<std::string>(const api::Json&)> index_values);
  // Cached objects (and what handlers see) lose metadata.managedFields, often the largest
  // part of an object and of no use to a controller.
  void DropManagedFields();

  // Starts the list-and-watch thread.
  void Start();
  // True once the first list is in the cache and its adds were handled; false at the deadline.
  bool WaitForSync(absl::Time deadline) const;
  bool HasSynced() const;
  // Ends the thread; handlers are not called after it returns.
  void Stop();

  // Copies out of the cache, safe from any thread.
  std::optional<api::Json> Get(const std::string& cache_key) const;
  std::vector<api::Json> List() const;
  std::vector<api::Json> ByIndex(const std::string& index_name, const std::string& value) const;

  // The cached objects themselves, without copying them, safe from any thread. The cache
  // never changes an object it has handed out (a change replaces it), so each stays valid,
  // and as it was, for as long as the caller holds it. Readers of many objects (a controller
  // going through every pod it owns) use these.
  using SharedObject = std::shared_ptr<const api::Json>;
  SharedObject GetShared(const std::string& cache_key) const;  // nullptr when absent
  std::vector<SharedObject> ListShared() const;
  std::vector<SharedObject> ByIndexShared(const std::string& index_name,
                                          const std::string& value) const;
  // The resourceVersion of the latest event or list the cache reflects.
  std::string LastResourceVersion() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orch::client
