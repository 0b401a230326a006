#include "orchestrator/cli/resource_names.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "orchestrator/api/text.h"

namespace orch::cli {
namespace {

using api::Cat;

bool Names(const api::ResourceInfo& info, std::string_view word) {
  if (word == info.plural || word == info.singular) return true;
  if (absl::AsciiStrToLower(std::string(info.kind)) == word) return true;
  return std::find(info.short_names.begin(), info.short_names.end(), word) !=
         info.short_names.end();
}

// What a user may name: everything with a list verb (bindings are not listable).
bool Nameable(const api::ResourceInfo& info) {
  return info.HasVerb("list");
}

absl::Status NoSuchType(std::string_view word) {
  return absl::NotFoundError(Cat("the server doesn't have a resource type \"", word, "\""));
}

absl::StatusOr<std::vector<const api::ResourceInfo*>> ResolveTypes(std::string_view words) {
  std::vector<const api::ResourceInfo*> types;
  const std::vector<std::string> parts = absl::StrSplit(std::string(words), ',', absl::SkipEmpty());
  for (const std::string& word : parts) {
    if (word == "all") {
      for (const api::ResourceInfo& info : api::AllResources())
        if (std::find(info.categories.begin(), info.categories.end(), "all") !=
            info.categories.end())
          types.push_back(&info);
      continue;
    }
    absl::StatusOr<const api::ResourceInfo*> info = ResolveResource(word);
    if (!info.ok()) return info.status();
    types.push_back(*info);
  }
  if (types.empty()) return NoSuchType(words);
  return types;
}

}  // namespace

absl::StatusOr<const api::ResourceInfo*> ResolveResource(std::string_view word) {
  const std::string lower = absl::AsciiStrToLower(std::string(word));
  std::string_view type = lower;
  std::string_view group;
  bool has_group = false;
  if (size_t dot = type.find('.'); dot != std::string_view::npos) {
    group = type.substr(dot + 1);
    type = type.substr(0, dot);
    has_group = true;
  }
  for (const api::ResourceInfo& info : api::AllResources()) {
    if (!Nameable(info) || !Names(info, type)) continue;
    if (has_group && group != info.group) continue;
    return &info;
  }
  return NoSuchType(word);
}

absl::StatusOr<std::vector<ResourceRequest>> ParseResourceArgs(
    const std::vector<std::string>& words) {
  std::vector<ResourceRequest> requests;
  if (words.empty()) return requests;
  const bool slash_form = words.front().find('/') != std::string::npos;
  if (slash_form) {
    for (const std::string& word : words) {
      size_t slash = word.find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == word.size())
        return absl::InvalidArgumentError(
            Cat("there is no need to specify a resource type as a separate argument when "
                "passing arguments in resource/name form (e.g. 'orch get resource/<resource_name>' "
                "instead of 'orch get resource resource/<resource_name>'"));
      absl::StatusOr<const api::ResourceInfo*> info = ResolveResource(word.substr(0, slash));
      if (!info.ok()) return info.status();
      requests.push_back({*info, {word.substr(slash + 1)}});
    }
    return requests;
  }
  absl::StatusOr<std::vector<const api::ResourceInfo*>> types = ResolveTypes(words.front());
  if (!types.ok()) return types.status();
  std::vector<std::string> names(words.begin() + 1, words.end());
  for (const std::string& name : names)
    if (name.find('/') != std::string::npos)
      return absl::InvalidArgumentError(
          Cat("there is no need to specify a resource type as a separate argument when passing "
              "arguments in resource/name form (e.g. 'orch get resource/<resource_name>' instead "
              "of 'orch get resource resource/<resource_name>'"));
  for (const api::ResourceInfo* type : *types)
    requests.push_back({type, names});
  return requests;
}

std::string GroupResourceName(const api::ResourceInfo& resource) {
  return resource.group.empty() ? std::string(resource.plural)
                                : Cat(resource.plural, ".", resource.group);
}

std::string QualifiedName(const api::ResourceInfo& resource, std::string_view name) {
  std::string kind = absl::AsciiStrToLower(std::string(resource.kind));
  if (!resource.group.empty()) kind = Cat(kind, ".", resource.group);
  return Cat(kind, "/", name);
}

}  // namespace orch::cli
