// Objects in raftkv as the Kubernetes API server keeps them in etcd: one key per object,
// /registry/<resource>/<namespace>/<name> (cluster-scoped: /registry/<resource>/<name>),
// the JSON document as the value without metadata.resourceVersion, which is the key's
// mod_revision and is put back on every read. Writes are transactions on that revision, so
// several API servers can share one store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/registry.h"
#include "raftkv/kv.h"

namespace orch::apiserver {

struct StoredObject {
  api::Json object;  // with metadata.resourceVersion = mod_revision
  int64_t mod_revision = 0;
};

// The key of one object, and the prefix of a resource's objects (in one namespace, or in all
// when `namespace_name` is empty).
std::string ObjectKey(const api::ResourceInfo& resource, std::string_view namespace_name,
                      std::string_view name);
std::string ObjectPrefix(const api::ResourceInfo& resource, std::string_view namespace_name);

// A stored value decoded, with its resourceVersion; InternalError if the value is not JSON.
absl::StatusOr<api::Json> DecodeStoredObject(const raftkv::KeyValue& kv, int64_t resource_version);

class ObjectStore {
 public:
  explicit ObjectStore(raftkv::KV& kv) : kv_(kv) {}

  raftkv::KV& kv() { return kv_; }

  // nullopt when the key does not exist.
  absl::StatusOr<std::optional<StoredObject>> Get(const std::string& key);
  // Creates the key if absent: nullopt when it already exists. A nonzero `lease` makes the
  // key expire with it (Events).
  absl::StatusOr<std::optional<StoredObject>> Create(const std::string& key, api::Json object,
                                                     int64_t lease = 0);
  // Replaces the key if its mod_revision is still `expected_revision`: nullopt otherwise
  // (changed or deleted meanwhile). The key takes `lease` (0: none) as every put does.
  absl::StatusOr<std::optional<StoredObject>> Update(const std::string& key, api::Json object,
                                                     int64_t expected_revision, int64_t lease = 0);
  // Deletes the key if its mod_revision is still `expected_revision`: false otherwise.
  absl::StatusOr<bool> Delete(const std::string& key, int64_t expected_revision);

  struct Page {
    std::vector<StoredObject> objects;
    int64_t revision = 0;  // the revision read at
    bool more = false;     // keys remain after the last one returned
    std::string next_key;  // where the next page starts, when `more`
  };
  // Keys in [start_key, PrefixEnd(prefix)) at `revision` (0: now), at most `limit` (0: all).
  absl::StatusOr<Page> List(const std::string& prefix, const std::string& start_key,
                            int64_t revision, int64_t limit);

 private:
  raftkv::KV& kv_;
};

}  // namespace orch::apiserver
