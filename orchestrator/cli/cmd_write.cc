// apply, delete, scale, create namespace.
#include "absl/time/clock.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/text.h"
#include "orchestrator/cli/apply_patch.h"
#include "orchestrator/cli/commands.h"
#include "orchestrator/cli/manifests.h"
#include "orchestrator/cli/resource_names.h"
#include "orchestrator/client/api_error.h"

namespace orch::cli {
namespace {

using api::Cat;
using api::Json;

// An object from a file, with the resource it belongs to and the namespace it goes to.
struct Target {
  const api::ResourceInfo* resource = nullptr;
  std::string namespace_name;
  Json object;
};

absl::StatusOr<Target> TargetFor(const Context& context, const Manifest& manifest) {
  const std::string api_version = api::ApiVersionOf(manifest.object);
  const std::string kind = api::KindOf(manifest.object);
  const api::ResourceInfo* resource = api::FindResourceByKind(api_version, kind);
  if (resource == nullptr)
    return absl::NotFoundError(
        Cat("resource mapping not found for name: \"", api::NameOf(manifest.object),
            "\" namespace: \"", api::NamespaceOf(manifest.object), "\" from \"", manifest.source,
            "\": no matches for kind \"", kind, "\" in version \"", api_version, "\""));
  Target target{resource, "", manifest.object};
  if (!resource->namespaced) return target;
  const std::string declared = api::NamespaceOf(manifest.object);
  if (!declared.empty() && context.namespace_given && declared != context.namespace_name)
    return absl::InvalidArgumentError(
        Cat("the namespace from the provided object \"", declared,
            "\" does not match the namespace \"", context.namespace_name,
            "\". You must pass '--namespace=", declared, "' to perform this operation."));
  target.namespace_name = declared.empty() ? context.namespace_name : declared;
  api::EnsureObject(target.object, "metadata")["namespace"] = target.namespace_name;
  return target;
}

absl::StatusOr<std::string> ApplyOne(Context& context, const Target& target) {
  const api::ResourceInfo& resource = *target.resource;
  const std::string name = api::NameOf(target.object);
  const std::string qualified = QualifiedName(resource, name);
  const Json modified = WithLastAppliedAnnotation(target.object);
  absl::StatusOr<Json> live = context.client->Get(resource, target.namespace_name, name);
  if (client::IsNotFound(live.status())) {
    absl::StatusOr<Json> created =
        context.client->Create(resource, target.namespace_name, modified);
    if (!created.ok()) return created.status();
    return Cat(qualified, " created");
  }
  if (!live.ok()) return live.status();
  absl::StatusOr<Json> original = LastAppliedOf(*live);
  if (!original.ok()) return original.status();
  absl::StatusOr<Json> patch = ThreeWayMergePatch(*original, modified, *live, resource.id);
  if (!patch.ok()) return patch.status();
  if (patch->empty()) return Cat(qualified, " unchanged");
  client::PatchOptions options;
  options.field_manager = "kubectl-client-side-apply";
  absl::StatusOr<Json> patched =
      context.client->Patch(resource, target.namespace_name, name,
                            client::PatchType::kStrategicMerge, patch->dump(), options);
  if (!patched.ok()) return patched.status();
  return Cat(qualified, " configured");
}

// What delete removes: from -f files, TYPE NAME..., TYPE/NAME..., or TYPE -l / --all.
absl::StatusOr<std::vector<Target>> DeleteTargets(Context& context) {
  std::vector<Target> targets;
  if (context.line.Has("filename")) {
    absl::StatusOr<std::vector<Manifest>> manifests =
        LoadManifests(context.line.Values("filename"), context.streams.in);
    if (!manifests.ok()) return manifests.status();
    for (const Manifest& manifest : *manifests) {
      absl::StatusOr<Target> target = TargetFor(context, manifest);
      if (!target.ok()) return target.status();
      targets.push_back(*std::move(target));
    }
    return targets;
  }
  const std::vector<std::string> words = context.Args(1);
  if (words.empty())
    return absl::InvalidArgumentError(
        "You must provide one or more resources by argument or filename.");
  absl::StatusOr<std::vector<ResourceRequest>> requests = ParseResourceArgs(words);
  if (!requests.ok()) return requests.status();
  absl::StatusOr<bool> all = context.line.Switch("all");
  if (!all.ok()) return all.status();
  for (const ResourceRequest& request : *requests) {
    const std::string namespace_name = NamespaceFor(context, *request.resource);
    if (!request.names.empty()) {
      for (const std::string& name : request.names)
        targets.push_back({request.resource, namespace_name, Json{{"metadata", {{"name", name}}}}});
      continue;
    }
    if (!*all && !context.line.Has("selector"))
      return absl::InvalidArgumentError("resource(s) were provided, but no name was specified");
    client::ListOptions options;
    options.label_selector = context.line.Value("selector");
    absl::StatusOr<Json> list = context.client->ListAll(*request.resource, namespace_name, options);
    if (!list.ok()) return list.status();
    for (const Json& item : api::ArrayAt(*list, {"items"}))
      targets.push_back({request.resource, api::NamespaceOf(item), item});
  }
  return targets;
}

}  // namespace

int RunApply(Context& context) {
  if (!context.line.Has("filename"))
    return Fail(context, absl::InvalidArgumentError("must specify one of -f and -k"));
  absl::StatusOr<std::vector<Manifest>> manifests =
      LoadManifests(context.line.Values("filename"), context.streams.in);
  if (!manifests.ok()) return Fail(context, manifests.status());
  if (manifests->empty())
    return Fail(context, absl::InvalidArgumentError("no objects passed to apply"));
  int exit_code = 0;
  for (const Manifest& manifest : *manifests) {
    absl::StatusOr<Target> target = TargetFor(context, manifest);
    absl::StatusOr<std::string> applied =
        target.ok() ? ApplyOne(context, *target) : absl::StatusOr<std::string>(target.status());
    if (!applied.ok()) {
      exit_code = Fail(context, applied.status());
      continue;
    }
    context.streams.out << *applied << "\n";
  }
  return exit_code;
}

int RunDelete(Context& context) {
  absl::StatusOr<bool> wait = context.line.Switch("wait", true);
  absl::StatusOr<bool> force = context.line.Switch("force");
  absl::StatusOr<bool> ignore_not_found = context.line.Switch("ignore-not-found");
  absl::StatusOr<int64_t> grace = context.line.Int("grace-period", -1);
  for (const absl::Status& status :
       {wait.status(), force.status(), ignore_not_found.status(), grace.status()})
    if (!status.ok()) return Fail(context, status);
  absl::Duration timeout = absl::InfiniteDuration();
  if (context.line.Has("timeout")) {
    absl::StatusOr<absl::Duration> parsed = ParseDuration(context.line.Value("timeout"));
    if (!parsed.ok()) return Fail(context, parsed.status());
    if (*parsed > absl::ZeroDuration()) timeout = *parsed;
  }
  absl::StatusOr<std::vector<Target>> targets = DeleteTargets(context);
  if (!targets.ok()) return Fail(context, targets.status());
  if (targets->empty() && !context.line.Has("filename")) {
    context.streams.err << "No resources found\n";
    return 0;
  }
  client::DeleteOptions options;
  options.propagation_policy = "Background";
  if (*grace >= 0) options.grace_period_seconds = *grace;
  if (*force) {
    context.streams.err << "Warning: Immediate deletion does not wait for confirmation that the "
                           "running resource has been terminated. The resource may continue to "
                           "run on the cluster indefinitely.\n";
    if (*grace < 0) options.grace_period_seconds = 0;
  }
  int exit_code = 0;
  std::vector<std::pair<Target, std::string>> deleted;  // with the uid the answer carried
  for (const Target& target : *targets) {
    const std::string name = api::NameOf(target.object);
    absl::StatusOr<Json> answer =
        context.client->Delete(*target.resource, target.namespace_name, name, options);
    if (!answer.ok()) {
      if (client::IsNotFound(answer.status()) && *ignore_not_found) continue;
      exit_code = Fail(context, answer.status());
      continue;
    }
    std::string kind = QualifiedName(*target.resource, name);
    kind = kind.substr(0, kind.find('/'));
    context.streams.out << kind << " \"" << name << "\" " << (*force ? "force deleted" : "deleted")
                        << "\n";
    context.streams.out.flush();
    deleted.emplace_back(target, api::KindOf(*answer) == "Status" ? "" : api::UidOf(*answer));
  }
  if (*wait) {
    for (const auto& [target, uid] : deleted) {
      absl::Status gone = WaitUntilDeleted(context, *target.resource, target.namespace_name,
                                           api::NameOf(target.object), uid, timeout);
      if (!gone.ok()) exit_code = Fail(context, gone);
    }
  }
  return exit_code;
}

int RunScale(Context& context) {
  if (!context.line.Has("replicas"))
    return Fail(context,
                absl::InvalidArgumentError(
                    "--replicas=COUNT is required, and COUNT must be greater than or equal to 0"));
  absl::StatusOr<int64_t> replicas = context.line.Int("replicas", 0);
  if (!replicas.ok()) return Fail(context, replicas.status());
  if (*replicas < 0)
    return Fail(context, absl::InvalidArgumentError(
                             "The --replicas=COUNT flag is required, and COUNT must be greater "
                             "than or equal to 0"));
  absl::StatusOr<std::vector<ResourceRequest>> requests = ParseResourceArgs(context.Args(1));
  if (!requests.ok()) return Fail(context, requests.status());
  if (requests->empty())
    return Fail(context, absl::InvalidArgumentError(
                             "You must provide one or more resources by argument or filename."));
  int exit_code = 0;
  for (const ResourceRequest& request : *requests) {
    if (request.resource->FindSubresource("scale") == nullptr) {
      exit_code =
          Fail(context, absl::InvalidArgumentError(Cat("cannot scale ", request.resource->plural)));
      continue;
    }
    for (const std::string& name : request.names) {
      client::PatchOptions options;
      options.subresource = "scale";
      absl::StatusOr<Json> scaled = context.client->Patch(
          *request.resource, NamespaceFor(context, *request.resource), name,
          client::PatchType::kMerge, Json{{"spec", {{"replicas", *replicas}}}}.dump(), options);
      if (!scaled.ok()) {
        exit_code = Fail(context, scaled.status());
        continue;
      }
      context.streams.out << QualifiedName(*request.resource, name) << " scaled\n";
    }
  }
  return exit_code;
}

int RunCreate(Context& context) {
  const std::vector<std::string> words = context.Args(1);
  if (words.size() != 2 || (words[0] != "namespace" && words[0] != "ns"))
    return Fail(context,
                absl::InvalidArgumentError("orch create supports only: create namespace NAME"));
  const Json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", words[1]}}}};
  absl::StatusOr<Json> created =
      context.client->Create(api::ResourceFor(api::Kind::kNamespace), "", ns);
  if (!created.ok()) return Fail(context, created.status());
  context.streams.out << "namespace/" << words[1] << " created\n";
  return 0;
}

}  // namespace orch::cli
