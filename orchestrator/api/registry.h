// What the server serves, per resource: names, kind, group/version, scope, verbs, short
// names, categories and subresources. Discovery documents (/api, /apis, /api/v1,
// /apis/<group>/<version>, aggregated discovery) are built from this one table.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "orchestrator/api/json.h"
#include "orchestrator/api/status.h"

namespace orch::api {

struct SubresourceInfo {
  std::string_view name;   // "status", "scale", "log", "binding", "eviction"
  std::string_view group;  // of the kind it answers with ("autoscaling" for scale)
  std::string_view version;
  std::string_view kind;
  std::vector<std::string_view> verbs;
};

enum class Kind { kNamespace, kNode, kPod, kEvent, kBinding, kDeployment, kReplicaSet, kLease };

struct ResourceInfo {
  Kind id;
  std::string_view group;  // "" for the core group
  std::string_view version;
  std::string_view kind;
  std::string_view list_kind;
  std::string_view plural;
  std::string_view singular;
  bool namespaced;
  std::vector<std::string_view> verbs;
  std::vector<std::string_view> short_names;
  std::vector<std::string_view> categories;
  std::vector<SubresourceInfo> subresources;

  // "v1", "apps/v1".
  std::string ApiVersion() const;
  GroupResource group_resource() const { return {std::string(group), std::string(plural)}; }
  GroupKind group_kind() const { return {std::string(group), std::string(kind)}; }
  bool HasVerb(std::string_view verb) const;
  const SubresourceInfo* FindSubresource(std::string_view name) const;
};

// Every resource served, in discovery order.
const std::vector<ResourceInfo>& AllResources();
// By group ("" = core), version and plural; null when not served.
const ResourceInfo* FindResource(std::string_view group, std::string_view version,
                                 std::string_view plural);
// By apiVersion ("v1", "apps/v1") and kind; null when not served.
const ResourceInfo* FindResourceByKind(std::string_view api_version, std::string_view kind);
const ResourceInfo& ResourceFor(Kind kind);

// The groups served besides core, with their one version each: {"apps", "v1"}, ...
struct GroupVersion {
  std::string_view group;
  std::string_view version;
  std::string ToString() const;  // "apps/v1", or "v1" for core
};
std::vector<GroupVersion> ServedGroupVersions();

// /api: {"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[...]}
Json ApiVersionsDocument(std::string_view server_address);
// /apis: APIGroupList of the non-core groups.
Json ApiGroupListDocument();
// /api/v1, /apis/apps/v1, ...: APIResourceList with subresource entries; NotFound if not served.
absl::StatusOr<Json> ApiResourceListDocument(std::string_view group, std::string_view version);
// Aggregated discovery (apidiscovery.k8s.io/v2 APIGroupDiscoveryList): core_group selects /api
// (one item named "") rather than /apis.
Json AggregatedDiscoveryDocument(bool core_group);
inline constexpr std::string_view kAggregatedDiscoveryContentType =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

}  // namespace orch::api
