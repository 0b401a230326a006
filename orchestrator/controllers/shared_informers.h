// One informer per resource for the whole controller-manager, as client-go's shared informer
// factory: controllers ask for the informers they need (and add their handlers) before
// Start, so a resource is listed and watched once however many controllers read it.
// Every informer is indexed by namespace, by uid, by owner uid and (orphans) by namespace;
// pods also by node name. The caches drop metadata.managedFields, which no controller reads.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/registry.h"
#include "orchestrator/client/client.h"
#include "orchestrator/client/informer.h"

namespace orch::controllers {

inline constexpr char kNamespaceIndex[] = "namespace";
inline constexpr char kUidIndex[] = "uid";
inline constexpr char kOwnerUidIndex[] = "owner-uid";
// Objects without a controller reference, by namespace: what a controller may adopt.
inline constexpr char kOrphanIndex[] = "orphan";
inline constexpr char kNodeNameIndex[] = "node-name";  // pods only

class SharedInformers {
 public:
  explicit SharedInformers(client::Client& client);
  ~SharedInformers();  // Stop()
  SharedInformers(const SharedInformers&) = delete;
  SharedInformers& operator=(const SharedInformers&) = delete;

  // The informer of `resource`, made on first use; only before Start.
  client::Informer& For(const api::ResourceInfo& resource);
  client::Informer& For(api::Kind kind) { return For(api::ResourceFor(kind)); }

  void Start();
  // True once every informer has synced.
  bool WaitForSync(absl::Time deadline) const;
  void Stop();

  // Objects of any watched resource with this uid (at most one, normally), as cached.
  std::vector<client::Informer::SharedObject> FindByUid(const std::string& uid) const;
  // Objects of every watched resource that name `owner_uid` in their ownerReferences, with
  // the resource each belongs to, as cached.
  std::vector<std::pair<const api::ResourceInfo*, client::Informer::SharedObject>> Dependents(
      const std::string& owner_uid) const;

 private:
  client::Client& client_;
  std::map<api::Kind, std::unique_ptr<client::Informer>> informers_;
};

}  // namespace orch::controllers
