#include "orchestrator/api/registry.h"

#include <algorithm>

#include "orchestrator/api/text.h"

namespace orch::api {
namespace {

const std::vector<std::string_view> kAllVerbs = {"create", "delete", "deletecollection", "get",
                                                 "list",   "patch",  "update",           "watch"};
const std::vector<std::string_view> kStatusVerbs = {"get", "patch", "update"};

std::vector<ResourceInfo> BuildResources() {
  std::vector<ResourceInfo> resources;
  resources.push_back({Kind::kBinding,
                       "",
                       "v1",
                       "Binding",
                       "",
                       "bindings",
                       "binding",
                       true,
                       {"create"},
                       {},
                       {},
                       {}});
  resources.push_back({Kind::kEvent,
                       "",
                       "v1",
                       "Event",
                       "EventList",
                       "events",
                       "event",
                       true,
                       kAllVerbs,
                       {"ev"},
                       {},
                       {}});
  resources.push_back({Kind::kNamespace,
                       "",
                       "v1",
                       "Namespace",
                       "NamespaceList",
                       "namespaces",
                       "namespace",
                       false,
                       {"create", "delete", "get", "list", "patch", "update", "watch"},
                       {"ns"},
                       {},
                       {{"finalize", "", "v1", "Namespace", {"update"}},
                        {"status", "", "v1", "Namespace", kStatusVerbs}}});
  resources.push_back({Kind::kNode,
                       "",
                       "v1",
                       "Node",
                       "NodeList",
                       "nodes",
                       "node",
                       false,
                       kAllVerbs,
                       {"no"},
                       {},
                       {{"status", "", "v1", "Node", kStatusVerbs}}});
  resources.push_back({Kind::kPod,
                       "",
                       "v1",
                       "Pod",
                       "PodList",
                       "pods",
                       "pod",
                       true,
                       kAllVerbs,
                       {"po"},
                       {"all"},
                       {{"binding", "", "v1", "Binding", {"create"}},
                        {"eviction", "policy", "v1", "Eviction", {"create"}},
                        {"log", "", "v1", "Pod", {"get"}},
                        {"status", "", "v1", "Pod", kStatusVerbs}}});
  resources.push_back({Kind::kDeployment,
                       "apps",
                       "v1",
                       "Deployment",
                       "DeploymentList",
                       "deployments",
                       "deployment",
                       true,
                       kAllVerbs,
                       {"deploy"},
                       {"all"},
                       {{"scale", "autoscaling", "v1", "Scale", kStatusVerbs},
                        {"status", "apps", "v1", "Deployment", kStatusVerbs}}});
  resources.push_back({Kind::kReplicaSet,
                       "apps",
                       "v1",
                       "ReplicaSet",
                       "ReplicaSetList",
                       "replicasets",
                       "replicaset",
                       true,
                       kAllVerbs,
                       {"rs"},
                       {"all"},
                       {{"scale", "autoscaling", "v1", "Scale", kStatusVerbs},
                        {"status", "apps", "v1", "ReplicaSet", kStatusVerbs}}});
  resources.push_back({Kind::kLease,
                       "coordination.k8s.io",
                       "v1",
                       "Lease",
                       "LeaseList",
                       "leases",
                       "lease",
                       true,
                       kAllVerbs,
                       {},
                       {},
                       {}});
  return resources;
}

Json VerbsJson(const std::vector<std::string_view>& verbs) {
  Json out = Json::array();
  for (std::string_view verb : verbs)
    out.push_back(std::string(verb));
  return out;
}

Json ResourceEntry(const ResourceInfo& info) {
  Json entry = {{"name", std::string(info.plural)},
                {"singularName", std::string(info.singular)},
                {"namespaced", info.namespaced},
                {"kind", std::string(info.kind)},
                {"verbs", VerbsJson(info.verbs)}};
  if (!info.short_names.empty()) entry["shortNames"] = VerbsJson(info.short_names);
  if (!info.categories.empty()) entry["categories"] = VerbsJson(info.categories);
  return entry;
}

Json SubresourceEntry(const ResourceInfo& info, const SubresourceInfo& sub) {
  Json entry = {{"name", Cat(info.plural, "/", sub.name)},
                {"singularName", ""},
                {"namespaced", info.namespaced},
                {"kind", std::string(sub.kind)},
                {"verbs", VerbsJson(sub.verbs)}};
  if (sub.group != info.group) {
    entry["group"] = std::string(sub.group);
    entry["version"] = std::string(sub.version);
  }
  return entry;
}

Json AggregatedResource(const ResourceInfo& info) {
  Json resource = {{"resource", std::string(info.plural)},
                   {"singularResource", std::string(info.singular)},
                   {"responseKind",
                    {{"group", std::string(info.group)},
                     {"version", std::string(info.version)},
                     {"kind", std::string(info.kind)}}},
                   {"scope", info.namespaced ? "Namespaced" : "Cluster"},
                   {"verbs", VerbsJson(info.verbs)}};
  if (!info.short_names.empty()) resource["shortNames"] = VerbsJson(info.short_names);
  if (!info.categories.empty()) resource["categories"] = VerbsJson(info.categories);
  if (!info.subresources.empty()) {
    Json subresources = Json::array();
    for (const SubresourceInfo& sub : info.subresources) {
      subresources.push_back({{"subresource", std::string(sub.name)},
                              {"responseKind",
                               {{"group", std::string(sub.group)},
                                {"version", std::string(sub.version)},
                                {"kind", std::string(sub.kind)}}},
                              {"verbs", VerbsJson(sub.verbs)}});
    }
    resource["subresources"] = std::move(subresources);
  }
  return resource;
}

}  // namespace

std::string ResourceInfo::ApiVersion() const {
  return group.empty() ? std::string(version) : Cat(group, "/", version);
}

bool ResourceInfo::HasVerb(std::string_view verb) const {
  return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
}

const SubresourceInfo* ResourceInfo::FindSubresource(std::string_view name) const {
  for (const SubresourceInfo& sub : subresources) {
    if (sub.name == name) return &sub;
  }
  return nullptr;
}

std::string GroupVersion::ToString() const {
  return group.empty() ? std::string(version) : Cat(group, "/", version);
}

const std::vector<ResourceInfo>& AllResources() {
  static const std::vector<ResourceInfo>* const kResources =
      new std::vector<ResourceInfo>(BuildResources());
  return *kResources;
}

const ResourceInfo* FindResource(std::string_view group, std::string_view version,
                                 std::string_view plural) {
  for (const ResourceInfo& info : AllResources()) {
    if (info.group == group && info.version == version && info.plural == plural) return &info;
  }
  return nullptr;
}

const ResourceInfo* FindResourceByKind(std::string_view api_version, std::string_view kind) {
  for (const ResourceInfo& info : AllResources()) {
    if (info.kind == kind && info.ApiVersion() == api_version) return &info;
  }
  return nullptr;
}

const ResourceInfo& ResourceFor(Kind kind) {
  for (const ResourceInfo& info : AllResources()) {
    if (info.id == kind) return info;
  }
  // Every Kind value has a row in BuildResources.
  return AllResources().front();
}

std::vector<GroupVersion> ServedGroupVersions() {
  std::vector<GroupVersion> out;
  for (const ResourceInfo& info : AllResources()) {
    bool known = std::any_of(out.begin(), out.end(), [&](const GroupVersion& gv) {
      return gv.group == info.group && gv.version == info.version;
    });
    if (!known) out.push_back({info.group, info.version});
  }
  return out;
}

Json ApiVersionsDocument(std::string_view server_address) {
  return {{"kind", "APIVersions"},
          {"versions", Json::array({"v1"})},
          {"serverAddressByClientCIDRs",
           Json::array(
               {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", std::string(server_address)}}})}};
}

Json ApiGroupListDocument() {
  Json groups = Json::array();
  for (const GroupVersion& gv : ServedGroupVersions()) {
    if (gv.group.empty()) continue;
    Json version = {{"groupVersion", gv.ToString()}, {"version", std::string(gv.version)}};
    groups.push_back({{"name", std::string(gv.group)},
                      {"versions", Json::array({version})},
                      {"preferredVersion", version}});
  }
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", std::move(groups)}};
}

absl::StatusOr<Json> ApiResourceListDocument(std::string_view group, std::string_view version) {
  Json resources = Json::array();
  for (const ResourceInfo& info : AllResources()) {
    if (info.group != group || info.version != version) continue;
    resources.push_back(ResourceEntry(info));
    for (const SubresourceInfo& sub : info.subresources) {
      resources.push_back(SubresourceEntry(info, sub));
    }
  }
  if (resources.empty()) {
    return absl::NotFoundError(Cat("no resources served for ", group, "/", version));
  }
  GroupVersion gv{group, version};
  return Json{{"kind", "APIResourceList"},
              {"apiVersion", "v1"},
              {"groupVersion", gv.ToString()},
              {"resources", std::move(resources)}};
}

Json AggregatedDiscoveryDocument(bool core_group) {
  Json items = Json::array();
  for (const GroupVersion& gv : ServedGroupVersions()) {
    if (gv.group.empty() != core_group) continue;
    Json resources = Json::array();
    for (const ResourceInfo& info : AllResources()) {
      if (info.group == gv.group && info.version == gv.version) {
        resources.push_back(AggregatedResource(info));
      }
    }
    Json version = {{"version", std::string(gv.version)},
                    {"freshness", "Current"},
                    {"resources", std::move(resources)}};
    items.push_back({{"metadata", {{"name", std::string(gv.group)}}},
                     {"versions", Json::array({std::move(version)})}});
  }
  return {{"kind", "APIGroupDiscoveryList"},
          {"apiVersion", "apidiscovery.k8s.io/v2"},
          {"metadata", Json::object()},
          {"items", std::move(items)}};
}

}  // namespace orch::api
