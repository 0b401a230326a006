#include "orchestrator/apiserver/object_store.h"

#include "absl/strings/str_cat.h"
#include "orchestrator/api/object.h"
#include "raftkv/txn.h"

namespace orch::apiserver {
namespace {

// The stored form: the resourceVersion is the key's revision, not part of the value.
std::string EncodeForStore(api::Json object) {
  if (object.contains("metadata") && object["metadata"].is_object()) {
    object["metadata"].erase("resourceVersion");
  }
  return object.dump();
}

void SetResourceVersion(api::Json& object, int64_t revision) {
  api::EnsureObject(object, "metadata")["resourceVersion"] = std::to_string(revision);
}

}  // namespace

std::string ObjectPrefix(const api::ResourceInfo& resource, std::string_view namespace_name) {
  std::string prefix = absl::StrCat("/registry/", std::string(resource.plural), "/");
  if (resource.namespaced && !namespace_name.empty())
    absl::StrAppend(&prefix, std::string(namespace_name), "/");
  return prefix;
}

std::string ObjectKey(const api::ResourceInfo& resource, std::string_view namespace_name,
                      std::string_view name) {
  return ObjectPrefix(resource, namespace_name) + std::string(name);
}

absl::StatusOr<api::Json> DecodeStoredObject(const raftkv::KeyValue& kv, int64_t resource_version) {
  absl::StatusOr<api::Json> object = api::ParseJson(kv.value);
  if (!object.ok() || !object->is_object()) {
    return absl::InternalError(absl::StrCat("stored object at ", kv.key, " is not a JSON object"));
  }
  SetResourceVersion(*object, resource_version);
  return object;
}

absl::StatusOr<std::optional<StoredObject>> ObjectStore::Get(const std::string& key) {
  absl::StatusOr<raftkv::GetResponse> response = kv_.Get(key);
  if (!response.ok()) return response.status();
  if (response->kvs.empty()) return std::nullopt;
  const raftkv::KeyValue& kv = response->kvs.front();
  absl::StatusOr<api::Json> object = DecodeStoredObject(kv, kv.mod_revision);
  if (!object.ok()) return object.status();
  return StoredObject{std::move(*object), kv.mod_revision};
}

absl::StatusOr<std::optional<StoredObject>> ObjectStore::Create(const std::string& key,
                                                                api::Json object, int64_t lease) {
  raftkv::TxnRequest txn;
  txn.compare.push_back(raftkv::Compare::CreateRevision(key, raftkv::Compare::Result::kEqual, 0));
  txn.success.push_back(raftkv::Op::Put(key, EncodeForStore(object), {.lease = lease}));
  absl::StatusOr<raftkv::TxnResponse> response = kv_.Txn(txn);
  if (!response.ok()) return response.status();
  if (!response->succeeded) return std::nullopt;
  SetResourceVersion(object, response->header.revision);
  return StoredObject{std::move(object), response->header.revision};
}

absl::StatusOr<std::optional<StoredObject>> ObjectStore::Update(const std::string& key,
                                                                api::Json object,
                                                                int64_t expected_revision,
                                                                int64_t lease) {
  raftkv::TxnRequest txn;
  txn.compare.push_back(
      raftkv::Compare::ModRevision(key, raftkv::Compare::Result::kEqual, expected_revision));
  txn.success.push_back(raftkv::Op::Put(key, EncodeForStore(object), {.lease = lease}));
  absl::StatusOr<raftkv::TxnResponse> response = kv_.Txn(txn);
  if (!response.ok()) return response.status();
  if (!response->succeeded) return std::nullopt;
  SetResourceVersion(object, response->header.revision);
  return StoredObject{std::move(object), response->header.revision};
}

absl::StatusOr<bool> ObjectStore::Delete(const std::string& key, int64_t expected_revision) {
  raftkv::TxnRequest txn;
  txn.compare.push_back(
      raftkv::Compare::ModRevision(key, raftkv::Compare::Result::kEqual, expected_revision));
  txn.success.push_back(raftkv::Op::Delete(key));
  absl::StatusOr<raftkv::TxnResponse> response = kv_.Txn(txn);
  if (!response.ok()) return response.status();
  return response->succeeded;
}

absl::StatusOr<ObjectStore::Page> ObjectStore::List(const std::string& prefix,
                                                    const std::string& start_key, int64_t revision,
                                                    int64_t limit) {
  raftkv::RangeOptions options = raftkv::WithPrefix(prefix);
  options.revision = revision;
  options.limit = limit;
  absl::StatusOr<raftkv::GetResponse> response =
      kv_.Get(start_key.empty() ? prefix : start_key, options);
  if (!response.ok()) return response.status();
  Page page;
  page.revision = revision != 0 ? revision : response->header.revision;
  page.more = response->more;
  for (const raftkv::KeyValue& kv : response->kvs) {
    absl::StatusOr<api::Json> object = DecodeStoredObject(kv, kv.mod_revision);
    if (!object.ok()) return object.status();
    page.objects.push_back({std::move(*object), kv.mod_revision});
  }
  if (page.more && !response->kvs.empty()) page.next_key = response->kvs.back().key + '\0';
  return page;
}

}  // namespace orch::apiserver
