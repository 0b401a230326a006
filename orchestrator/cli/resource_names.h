// What the user names on the command line -> served resources: "pods", "pod", "po",
// "deployments.apps", "deploy", "rs"; "pods,deployments"; "pod/web-1"; "all".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "orchestrator/api/registry.h"

namespace orch::cli {

// One resource type the command line named, plural, singular, short name or kind, any
// case, optionally with its group ("deployments.apps"). NotFound with kubectl's message
// (`the server doesn't have a resource type "x"`) otherwise.
absl::StatusOr<const api::ResourceInfo*> ResolveResource(std::string_view word);

// A type and the names asked for of it (none: every object).
struct ResourceRequest {
  const api::ResourceInfo* resource = nullptr;
  std::vector<std::string> names;
};

// kubectl's argument forms: "TYPE[,TYPE...] [NAME...]" or "TYPE/NAME [TYPE/NAME...]". "all"
// expands to the category ("pods, deployments, replicasets"). Requests keep the order given.
absl::StatusOr<std::vector<ResourceRequest>> ParseResourceArgs(
    const std::vector<std::string>& words);

// How kubectl names an object in messages and -o name: "pod/web", "deployment.apps/web".
std::string QualifiedName(const api::ResourceInfo& resource, std::string_view name);
// "pods", "deployments.apps" (kubectl's resource-with-group spelling in errors).
std::string GroupResourceName(const api::ResourceInfo& resource);

}  // namespace orch::cli
