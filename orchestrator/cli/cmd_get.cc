// get and describe.
#include <sstream>

#include "absl/time/clock.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/table.h"
#include "orchestrator/api/text.h"
#include "orchestrator/cli/commands.h"
#include "orchestrator/cli/describe.h"
#include "orchestrator/cli/printers.h"
#include "orchestrator/cli/resource_names.h"
#include "orchestrator/client/api_error.h"

namespace orch::cli {
namespace {

using api::Cat;
using api::Json;

constexpr std::string_view kTableAccept =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

std::string QueryFor(const Context& context) {
  std::vector<std::string> parts;
  if (context.line.Has("selector"))
    parts.push_back(Cat("labelSelector=", context.line.Value("selector")));
  if (context.line.Has("field-selector"))
    parts.push_back(Cat("fieldSelector=", context.line.Value("field-selector")));
  std::string query;
  for (const std::string& part : parts)
    query += Cat(query.empty() ? "?" : "&", part);
  return query;
}

absl::StatusOr<Json> GetTable(Context& context, const api::ResourceInfo& resource,
                              const std::string& namespace_name, const std::string& name) {
  const std::string path = client::Client::ResourcePath(resource, namespace_name, name) +
                           (name.empty() ? QueryFor(context) : "");
  absl::StatusOr<client::HttpResult> result =
      context.client->Request("GET", path, "", "application/json", kTableAccept);
  if (!result.ok()) return result.status();
  if (result->status / 100 != 2) return client::ApiError(result->status, result->body);
  return api::ParseJson(result->body);
}

// The objects of one request (plain JSON, for -o json/yaml/name and watch).
absl::StatusOr<std::vector<Json>> GetObjects(Context& context, const ResourceRequest& request,
                                             const std::string& namespace_name,
                                             std::vector<absl::Status>& errors,
                                             std::string& resource_version) {
  std::vector<Json> objects;
  if (request.names.empty()) {
    client::ListOptions options;
    options.label_selector = context.line.Value("selector");
    options.field_selector = context.line.Value("field-selector");
    absl::StatusOr<Json> list = context.client->ListAll(*request.resource, namespace_name, options);
    if (!list.ok()) return list.status();
    resource_version = api::StringAt(*list, {"metadata", "resourceVersion"});
    for (const Json& item : api::ArrayAt(*list, {"items"}))
      objects.push_back(WithTypeMeta(item, *request.resource));
    return objects;
  }
  for (const std::string& name : request.names) {
    absl::StatusOr<Json> object = context.client->Get(*request.resource, namespace_name, name);
    if (!object.ok()) {
      errors.push_back(object.status());
      continue;
    }
    objects.push_back(WithTypeMeta(*object, *request.resource));
  }
  return objects;
}

int WatchRequest(Context& context, const ResourceRequest& request,
                 const std::string& namespace_name, const std::string& resource_version,
                 OutputFormat format, TablePrinter& printer) {
  client::WatchOptions options;
  options.resource_version = resource_version;
  options.label_selector = context.line.Value("selector");
  options.field_selector = context.line.Value("field-selector");
  std::string last_version = resource_version;
  while (true) {
    options.resource_version = last_version;
    absl::StatusOr<std::unique_ptr<client::WatchStream>> stream =
        context.client->Watch(*request.resource, namespace_name, options);
    if (!stream.ok()) return Fail(context, stream.status());
    while (true) {
      absl::StatusOr<std::optional<client::WatchEvent>> event = (*stream)->Next();
      if (!event.ok()) return Fail(context, event.status());
      if (!event->has_value()) break;
      const client::WatchEvent& watched = **event;
      if (watched.type == "ERROR")
        return Fail(context,
                    client::ApiError(api::StatusCode(watched.object), watched.object.dump()));
      if (watched.type == "BOOKMARK") {
        last_version = api::ResourceVersionOf(watched.object);
        continue;
      }
      last_version = api::ResourceVersionOf(watched.object);
      const Json object = WithTypeMeta(watched.object, *request.resource);
      if (!request.names.empty() && std::find(request.names.begin(), request.names.end(),
                                              api::NameOf(object)) == request.names.end())
        continue;
      switch (format) {
        case OutputFormat::kJson:
          context.streams.out << FormatJson(object);
          break;
        case OutputFormat::kYaml:
          context.streams.out << "---\n" << FormatYaml(object);
          break;
        case OutputFormat::kName:
          context.streams.out << QualifiedName(*request.resource, api::NameOf(object)) << "\n";
          break;
        default:
          // The same cells the server's Table has (orch::api computes both).
          printer.Print({{"rows", {api::TableRow(request.resource->id, object, absl::Now())}}},
                        context.streams.out);
      }
      context.streams.out.flush();
    }
  }
}

}  // namespace

int RunGet(Context& context) {
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(context.line.Value("output"));
  if (!format.ok()) return Fail(context, format.status());
  absl::StatusOr<bool> all_namespaces = context.line.Switch("all-namespaces");
  absl::StatusOr<bool> watch = context.line.Switch("watch");
  if (!all_namespaces.ok()) return Fail(context, all_namespaces.status());
  if (!watch.ok()) return Fail(context, watch.status());
  const std::vector<std::string> words = context.Args(1);
  if (words.empty())
    return Fail(context, absl::InvalidArgumentError(
                             "You must specify the type of resource to get. Use \"orch "
                             "api-resources\" for a complete list of supported resources."));
  absl::StatusOr<std::vector<ResourceRequest>> requests = ParseResourceArgs(words);
  if (!requests.ok()) return Fail(context, requests.status());
  if (*watch && requests->size() > 1)
    return Fail(context,
                absl::InvalidArgumentError("watch is only supported on individual resources and "
                                           "resource collections, but 2 resources were found"));
  bool several_types = false;
  for (const ResourceRequest& request : *requests)
    several_types = several_types || request.resource != requests->front().resource;
  const bool with_kind = several_types || words.front() == "all";
  std::vector<absl::Status> errors;
  std::vector<Json> collected;
  bool printed_any = false;
  bool single_object = requests->size() == 1 && (*requests)[0].names.size() == 1;
  for (const ResourceRequest& request : *requests) {
    const std::string namespace_name = NamespaceFor(context, *request.resource, *all_namespaces);
    TablePrinter printer(*request.resource,
                         {.wide = *format == OutputFormat::kWide,
                          .with_namespace = *all_namespaces && request.resource->namespaced,
                          .with_kind = with_kind});
    std::string resource_version;
    if (*format == OutputFormat::kTable || *format == OutputFormat::kWide) {
      std::vector<Json> tables;
      if (request.names.empty()) {
        absl::StatusOr<Json> table = GetTable(context, *request.resource, namespace_name, "");
        if (!table.ok()) return Fail(context, table.status());
        resource_version = api::StringAt(*table, {"metadata", "resourceVersion"});
        tables.push_back(*std::move(table));
      } else {
        for (const std::string& name : request.names) {
          absl::StatusOr<Json> table = GetTable(context, *request.resource, namespace_name, name);
          if (!table.ok()) {
            errors.push_back(table.status());
            continue;
          }
          tables.push_back(*std::move(table));
        }
      }
      Json merged;
      for (Json& table : tables) {
        if (merged.is_null()) {
          merged = std::move(table);
          continue;
        }
        for (Json& row : table["rows"])
          merged["rows"].push_back(std::move(row));
      }
      const bool has_rows = !merged.is_null() && !api::ArrayAt(merged, {"rows"}).empty();
      if (has_rows || (*watch && !merged.is_null())) {
        if (printed_any && has_rows) context.streams.out << "\n";
        printer.Print(merged, context.streams.out);
        printed_any = printed_any || has_rows;
      }
    } else {
      absl::StatusOr<std::vector<Json>> objects =
          GetObjects(context, request, namespace_name, errors, resource_version);
      if (!objects.ok()) return Fail(context, objects.status());
      for (Json& object : *objects) {
        if (*format == OutputFormat::kName) {
          context.streams.out << QualifiedName(*request.resource, api::NameOf(object)) << "\n";
          printed_any = true;
        } else {
          collected.push_back(std::move(object));
        }
      }
    }
    if (*watch) {
      context.streams.out.flush();
      return WatchRequest(context, request, namespace_name, resource_version, *format, printer);
    }
  }
  if (*format == OutputFormat::kJson || *format == OutputFormat::kYaml) {
    if (!(single_object && collected.empty())) {
      Json document = AsOutputDocument(std::move(collected), single_object);
      context.streams.out << (*format == OutputFormat::kJson ? FormatJson(document)
                                                             : FormatYaml(document));
      printed_any = true;
    }
  }
  if (!printed_any && errors.empty()) {
    const ResourceRequest& first = requests->front();
    if (*all_namespaces || !first.resource->namespaced)
      context.streams.err << "No resources found\n";
    else
      context.streams.err << "No resources found in " << context.namespace_name << " namespace.\n";
  }
  for (const absl::Status& error : errors)
    Fail(context, error);
  return errors.empty() ? 0 : 1;
}

int RunDescribe(Context& context) {
  const std::vector<std::string> words = context.Args(1);
  if (words.empty())
    return Fail(context,
                absl::InvalidArgumentError("You must specify the type of resource to describe."));
  absl::StatusOr<std::vector<ResourceRequest>> requests = ParseResourceArgs(words);
  if (!requests.ok()) return Fail(context, requests.status());
  std::vector<absl::Status> errors;
  bool first = true;
  for (const ResourceRequest& request : *requests) {
    const api::ResourceInfo& resource = *request.resource;
    const std::string namespace_name = NamespaceFor(context, resource);
    std::string ignored_version;
    absl::StatusOr<std::vector<Json>> found =
        GetObjects(context, request, namespace_name, errors, ignored_version);
    if (!found.ok()) return Fail(context, found.status());
    for (const Json& object : *found) {
      DescribeInput input{object};
      client::ListOptions events;
      events.field_selector = Cat("involvedObject.name=", api::NameOf(object),
                                  ",involvedObject.namespace=", api::NamespaceOf(object),
                                  ",involvedObject.uid=", api::UidOf(object));
      absl::StatusOr<Json> event_list = context.client->ListAll(api::ResourceFor(api::Kind::kEvent),
                                                                api::NamespaceOf(object), events);
      if (event_list.ok()) input.events = api::ArrayAt(*event_list, {"items"});
      absl::StatusOr<Json> related;
      if (resource.id == api::Kind::kDeployment) {
        related = context.client->ListAll(api::ResourceFor(api::Kind::kReplicaSet),
                                          api::NamespaceOf(object));
      } else if (resource.id == api::Kind::kNode) {
        client::ListOptions on_node;
        on_node.field_selector = Cat("spec.nodeName=", api::NameOf(object));
        related = context.client->ListAll(api::ResourceFor(api::Kind::kPod), "", on_node);
      } else if (resource.id == api::Kind::kReplicaSet) {
        client::ListOptions selected;
        std::vector<std::string> labels;
        for (const auto& [key, value] :
             api::ObjectAt(object, {"spec", "selector", "matchLabels"}).items())
          labels.push_back(Cat(key, "=", value.is_string() ? value.get<std::string>() : ""));
        for (const std::string& label : labels)
          selected.label_selector += Cat(selected.label_selector.empty() ? "" : ",", label);
        related = context.client->ListAll(api::ResourceFor(api::Kind::kPod),
                                          api::NamespaceOf(object), selected);
      }
      if (related.ok()) input.related = api::ArrayAt(*related, {"items"});
      if (!first) context.streams.out << "\n\n";
      first = false;
      context.streams.out << Describe(resource.id, input, absl::Now());
    }
  }
  for (const absl::Status& error : errors)
    Fail(context, error);
  return errors.empty() ? 0 : 1;
}

}  // namespace orch::cli
