#include "orchestrator/controllers/shared_informers.h"

#include "orchestrator/api/object.h"

namespace orch::controllers {

SharedInformers::SharedInformers(client::Client& client) : client_(client) {}

SharedInformers::~SharedInformers() {
  Stop();
}

client::Informer& SharedInformers::For(const api::ResourceInfo& resource) {
  std::unique_ptr<client::Informer>& informer = informers_[resource.id];
  if (informer != nullptr) return *informer;
  informer = std::make_unique<client::Informer>(client_, resource);
  informer->DropManagedFields();
  informer->AddIndex(kNamespaceIndex, [](const api::Json& object) {
    return std::vector<std::string>{api::NamespaceOf(object)};
  });
  informer->AddIndex(kUidIndex, [](const api::Json& object) {
    return std::vector<std::string>{api::UidOf(object)};
  });
  informer->AddIndex(kOwnerUidIndex, [](const api::Json& object) {
    std::vector<std::string> owners;
    for (const api::Json& reference : api::ArrayAt(object, {"metadata", "ownerReferences"})) {
      owners.push_back(api::StringAt(reference, {"uid"}));
    }
    return owners;
  });
  informer->AddIndex(kOrphanIndex, [](const api::Json& object) {
    return api::ControllerRefOf(object) == nullptr
               ? std::vector<std::string>{api::NamespaceOf(object)}
               : std::vector<std::string>{};
  });
  if (resource.id == api::Kind::kPod) {
    informer->AddIndex(kNodeNameIndex, [](const api::Json& pod) {
      std::string node = api::StringAt(pod, {"spec", "nodeName"});
      return node.empty() ? std::vector<std::string>{} : std::vector<std::string>{node};
    });
  }
  return *informer;
}

void SharedInformers::Start() {
  for (auto& [kind, informer] : informers_)
    informer->Start();
}

bool SharedInformers::WaitForSync(absl::Time deadline) const {
  for (const auto& [kind, informer] : informers_) {
    if (!informer->WaitForSync(deadline)) return false;
  }
  return true;
}

void SharedInformers::Stop() {
  for (auto& [kind, informer] : informers_)
    informer->Stop();
}

std::vector<client::Informer::SharedObject> SharedInformers::FindByUid(
    const std::string& uid) const {
  std::vector<client::Informer::SharedObject> found;
  for (const auto& [kind, informer] : informers_) {
    for (client::Informer::SharedObject& object : informer->ByIndexShared(kUidIndex, uid))
      found.push_back(std::move(object));
  }
  return found;
}

std::vector<std::pair<const api::ResourceInfo*, client::Informer::SharedObject>>
SharedInformers::Dependents(const std::string& owner_uid) const {
  std::vector<std::pair<const api::ResourceInfo*, client::Informer::SharedObject>> dependents;
  for (const auto& [kind, informer] : informers_) {
    for (client::Informer::SharedObject& object :
         informer->ByIndexShared(kOwnerUidIndex, owner_uid)) {
      dependents.emplace_back(&api::ResourceFor(kind), std::move(object));
    }
  }
  return dependents;
}

}  // namespace orch::controllers
