#include "orchestrator/apiserver/api_handler.h"

#include <chrono>
#include <random>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "orchestrator/api/defaults.h"
#include "orchestrator/api/managed_fields.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/patch.h"
#include "orchestrator/api/protobuf.h"
#include "orchestrator/api/selector.h"
#include "orchestrator/api/server_side_apply.h"
#include "orchestrator/api/status.h"
#include "orchestrator/api/subresources.h"
#include "orchestrator/api/table.h"
#include "orchestrator/api/validation.h"
#include "orchestrator/api/yaml.h"
#include "orchestrator/apiserver/openapi_routes.h"
#include "orchestrator/apiserver/pod_logs.h"
#include "orchestrator/apiserver/watch_cache.h"
#include "orchestrator/apiserver/write_field_check.h"
#include "raftkv/errors.h"
#include "spdlog/spdlog.h"

namespace orch::apiserver {
namespace {

using api::Json;

constexpr int kPatchAttempts = 5;
// How often an idle watch checks whether its client is still there.
constexpr absl::Duration kClientCheck = absl::Milliseconds(500);
// How long a consistent list waits for the watch cache to take the store's latest changes
// before it reads the store instead (upstream's consistent list from cache waits 3 s too).
constexpr absl::Duration kCacheCatchUp = absl::Seconds(3);

HttpResponse JsonResponse(int status, const Json& body) {
  HttpResponse response;
  response.status = status;
  response.body = body.dump();
  return response;
}

HttpResponse StatusResponse(const Json& status) {
  return JsonResponse(api::StatusCode(status), status);
}

HttpResponse StoreError(const absl::Status& error) {
  if (absl::IsDeadlineExceeded(error))
    return StatusResponse(api::StatusTimeout(std::string(error.message())));
  return StatusResponse(api::StatusInternalError(std::string(error.message())));
}

std::string NewUid() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  const uint64_t high = random();
  const uint64_t low = random();
  // RFC 4122 version 4, variant 1.
  return absl::StrFormat("%08x-%04x-4%03x-%04x-%012x", high >> 32, (high >> 16) & 0xffff,
                         high & 0xfff, ((low >> 48) & 0x3fff) | 0x8000, low & 0xffffffffffff);
}

bool WantsTable(const HttpRequest& request) {
  return absl::StrContains(request.accept, "as=Table");
}

api::IncludeObject IncludeObjectOf(const HttpRequest& request) {
  const std::string include = request.Query("includeObject");
  if (include == "None") return api::IncludeObject::kNone;
  if (include == "Object") return api::IncludeObject::kObject;
  return api::IncludeObject::kMetadata;
}

bool IsWatchRequested(const HttpRequest& request) {
  const std::string watch = request.Query("watch");
  return watch == "true" || watch == "1" || watch == "True";
}

bool IsApplyPatch(const HttpRequest& request) {
  return request.method == "PATCH" &&
         api::PatchTypeFromContentType(request.content_type) == api::PatchType::kApplyPatch;
}

std::string FieldManagerOf(const HttpRequest& request) {
  std::string manager = request.Query("fieldManager");
  return manager.empty() ? std::string("unknown") : manager;
}

// The request body as a JSON document, by Content-Type (none means JSON, as kubectl sends).
absl::StatusOr<Json> ParseBody(const HttpRequest& request) {
  std::string_view type = request.content_type;
  type = type.substr(0, type.find(';'));
  if (type.empty() || type == "application/json" || type == "*/*") {
    absl::StatusOr<Json> body = api::ParseJson(request.body);
    if (!body.ok()) return absl::InvalidArgumentError(std::string(body.status().message()));
    return body;
  }
  if (type == api::kProtobufContentType) return api::DecodeKubernetesProtobuf(request.body);
  if (type == "application/yaml") {
    absl::StatusOr<Json> body = api::YamlToJson(request.body);
    if (!body.ok()) return absl::InvalidArgumentError(std::string(body.status().message()));
    return body;
  }
  return absl::UnimplementedError(request.content_type);
}

// A body that must be one object: anything else is a bad request; a missing apiVersion or
// kind is filled in from the URL, as the real server does.
absl::Status CompleteObject(Json& object, const std::string& api_version, const std::string& kind) {
  if (!object.is_object()) return absl::InvalidArgumentError("the body is not an object");
  api::SetIfAbsent(object, "apiVersion", api_version);
  api::SetIfAbsent(object, "kind", kind);
  return absl::OkStatus();
}

absl::StatusOr<Json> ParseObjectBody(const HttpRequest& request, const std::string& api_version,
                                     const std::string& kind) {
  absl::StatusOr<Json> body = ParseBody(request);
  if (!body.ok()) return body;
  if (absl::Status complete = CompleteObject(*body, api_version, kind); !complete.ok()) {
    return complete;
  }
  return body;
}

HttpResponse BodyError(const HttpRequest& request, const absl::Status& error) {
  if (absl::IsUnimplemented(error)) {
    return StatusResponse(api::StatusUnsupportedMediaType(request.content_type));
  }
  return StatusResponse(api::StatusBadRequest(std::string(error.message())));
}

bool IsDryRun(const HttpRequest& request) {
  return !request.Query("dryRun").empty();
}

// 422 for a dryRun value other than All on create, update and patch (upstream
// ValidateCreateOptions / ValidateUpdateOptions / ValidatePatchOptions).
std::optional<HttpResponse> InvalidDryRun(const HttpRequest& request, std::string_view options) {
  const std::string dry_run = request.Query("dryRun");
  if (dry_run.empty() || dry_run == "All") return std::nullopt;
  return StatusResponse(api::StatusInvalid(
      {"meta.k8s.io", std::string(options)}, "",
      {api::NotSupported(api::FieldPath("dryRun"), Json::array({dry_run}), {"All"})}));
}

// A DELETE's options: the body when there is one (JSON or protobuf DeleteOptions), else the
// query parameters, as upstream's delete handler reads them.
absl::StatusOr<DeleteOptions> ParseDeleteOptions(const HttpRequest& request) {
  if (request.body.empty()) {
    return DeleteOptionsFromQuery(
        [&request](std::string_view name) { return request.Query(name); });
  }
  absl::StatusOr<Json> body = ParseBody(request);
  if (!body.ok()) return body.status();
  return DeleteOptionsFromJson(*body);
}

Json VersionDocument() {
  return Json{{"major", "1"},
              {"minor", "32"},
              {"gitVersion", "v1.32.4"},
              {"gitCommit", "raftkv-orchestrator"},
              {"gitTreeState", "clean"},
              {"buildDate", "2025-01-01T00:00:00Z"},
              {"goVersion", "go1.23"},
              {"compiler", "gc"},
              {"platform", "linux/amd64"}};
}

// /apis/<group>: the APIGroup document, NotFound when the group is not served.
std::optional<Json> ApiGroupDocument(std::string_view group) {
  for (const api::GroupVersion& served : api::ServedGroupVersions()) {
    if (served.group != group) continue;
    Json version = {{"groupVersion", served.ToString()}, {"version", served.version}};
    return Json{{"kind", "APIGroup"},
                {"apiVersion", "v1"},
                {"name", served.group},
                {"versions", Json::array({version})},
                {"preferredVersion", version}};
  }
  return std::nullopt;
}

bool WantsAggregatedDiscovery(const HttpRequest& request) {
  return absl::StrContains(request.accept, "g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
}

HttpResponse AggregatedDiscovery(bool core_group) {
  HttpResponse response = JsonResponse(200, api::AggregatedDiscoveryDocument(core_group));
  response.content_type = std::string(api::kAggregatedDiscoveryContentType);
  return response;
}

// A list's continue token: the revision the first page was read at and the next key.
std::string EncodeContinue(int64_t revision, const std::string& next_key) {
  return absl::WebSafeBase64Escape(Json{{"rv", revision}, {"start", next_key}}.dump());
}

bool DecodeContinue(const std::string& token, int64_t& revision, std::string& next_key) {
  std::string text;
  if (!absl::WebSafeBase64Unescape(token, &text)) return false;
  absl::StatusOr<Json> document = api::ParseJson(text);
  if (!document.ok() || !document->is_object()) return false;
  std::optional<int64_t> rv = api::IntAt(*document, {"rv"});
  next_key = api::StringAt(*document, {"start"});
  if (!rv.has_value() || *rv <= 0 || next_key.empty()) return false;
  revision = *rv;
  return true;
}

// A list's answer around objects serialized once: the envelope api::ListDocument(...).dump()
// makes, byte for byte (nlohmann writes keys sorted), written around the cached texts. Small
// answers are one body; larger ones stream in chunks of about kListChunk, so that no answer
// needs one buffer of its whole size (a list of 10,000 pods is 13.6 MB).
constexpr size_t kListChunk = 256 * 1024;

class ListWriter {
 public:
  ListWriter(const api::ResourceInfo& resource,
             std::vector<std::shared_ptr<const CachedObject>> items, std::string resource_version,
             std::string continue_token)
      : resource_(resource),
        items_(std::move(items)),
        resource_version_(std::move(resource_version)),
        continue_token_(std::move(continue_token)) {}

  size_t size() const {
    size_t size = 128 + resource_version_.size() + continue_token_.size();
    for (const std::shared_ptr<const CachedObject>& item : items_)
      size += item->text.size() + 1;
    return size;
  }

  // Hands the text to `write` in pieces of at least `chunk` bytes (but the last); stops
  // when `write` returns false.
  template <typename Write>
  void WriteTo(size_t chunk, Write write) const {
    std::string piece =
        absl::StrCat(R"({"apiVersion":")", resource_.ApiVersion(), R"(","items":[)");
    for (size_t i = 0; i < items_.size(); ++i) {
      if (i != 0) piece.push_back(',');
      piece.append(items_[i]->text);
      if (piece.size() >= chunk) {
        if (!write(piece)) return;
        piece.clear();
      }
    }
    piece.append(R"(],"kind":")").append(resource_.list_kind).append(R"(","metadata":{)");
    if (!continue_token_.empty()) {
      piece.append(R"("continue":")").append(continue_token_).append(R"(",)");
    }
    piece.append(R"("resourceVersion":")").append(resource_version_).append(R"("}})");
    write(piece);
  }

  HttpResponse Response() && {
    HttpResponse response;
    const size_t total = size();
    if (total <= kListChunk) {
      response.body.reserve(total);
      WriteTo(total, [&response](const std::string& piece) {
        response.body.append(piece);
        return true;
      });
      return response;
    }
    response.stream = [writer = std::move(*this)](ChunkSink& sink) {
      writer.WriteTo(kListChunk, [&sink](const std::string& piece) { return sink.Write(piece); });
    };
    return response;
  }

 private:
  const api::ResourceInfo& resource_;
  std::vector<std::shared_ptr<const CachedObject>> items_;
  std::string resource_version_;
  std::string continue_token_;
};

// What a list's resourceVersion and resourceVersionMatch ask for (upstream's semantics).
struct ListRevision {
  enum class Match { kConsistent, kNotOlderThan, kExact };
  Match match = Match::kConsistent;  // no resourceVersion: the latest state
  int64_t revision = 0;              // "0" is NotOlderThan 0: any state
};

absl::StatusOr<ListRevision> ParseListRevision(const HttpRequest& request, bool paged) {
  const std::string resource_version = request.Query("resourceVersion");
  const std::string match = request.Query("resourceVersionMatch");
  ListRevision wanted;
  if (resource_version.empty()) {
    if (!match.empty()) {
      return absl::InvalidArgumentError(
          "resourceVersionMatch is forbidden unless resourceVersion is provided");
    }
    return wanted;
  }
  if (!absl::SimpleAtoi(resource_version, &wanted.revision) || wanted.revision < 0) {
    return absl::InvalidArgumentError(absl::StrCat("invalid resource version: ", resource_version));
  }
  if (match == "Exact") {
    if (wanted.revision == 0) {
      return absl::InvalidArgumentError(
          "resourceVersionMatch \"Exact\" is forbidden for resourceVersion \"0\"");
    }
    wanted.match = ListRevision::Match::kExact;
  } else if (match.empty() || match == "NotOlderThan") {
    // Without a match, a paged list at a nonzero resourceVersion is exact (legacy semantics).
    const bool legacy_exact = match.empty() && paged && wanted.revision != 0;
    wanted.match = legacy_exact ? ListRevision::Match::kExact : ListRevision::Match::kNotOlderThan;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("resourceVersionMatch: Unsupported value: \"", match,
                     "\": supported values: \"Exact\", \"NotOlderThan\", \"\""));
  }
  return wanted;
}

struct Selectors {
  api::LabelSelector labels;
  api::FieldSelector fields;

  bool Matches(const Json& object) const {
    return labels.Matches(api::LabelsOf(object)) && fields.Matches(object);
  }
};

absl::StatusOr<Selectors> ParseSelectors(const HttpRequest& request,
                                         const api::ResourceInfo& resource) {
  Selectors selectors;
  absl::StatusOr<api::LabelSelector> labels =
      api::LabelSelector::Parse(request.Query("labelSelector"));
  if (!labels.ok()) return labels.status();
  selectors.labels = std::move(*labels);
  absl::StatusOr<api::FieldSelector> fields =
      api::FieldSelector::Parse(request.Query("fieldSelector"), resource);
  if (!fields.ok()) return fields.status();
  selectors.fields = std::move(*fields);
  return selectors;
}

// One watch event as a JSON line; the object is a one-row Table when the client asked.
std::string WatchEventLine(std::string_view type, const Json& object,
                           const api::ResourceInfo* table_resource, bool& first_table,
                           api::IncludeObject include) {
  Json event = {{"type", type}};
  if (table_resource != nullptr && type != "ERROR") {
    event["object"] =
        api::TableDocument(table_resource->id, {object}, api::ResourceVersionOf(object), "",
                           absl::Now(), include, first_table);
    first_table = false;
  } else {
    event["object"] = object;
  }
  return event.dump() + "\n";
}

// The subresources answered by HandleResource.
bool IsServedSubresource(const api::ResourceInfo& resource, std::string_view subresource) {
  const bool handled = subresource == "status" || subresource == "scale" ||
                       subresource == "binding" || subresource == "finalize" ||
                       subresource == "eviction" || subresource == "log";
  return handled && resource.FindSubresource(subresource) != nullptr;
}

// One HTTP watch fed by the resource's watch cache: the initial objects, then every cached
// event that passes the watcher's namespace and selectors (an object leaving the selection
// is DELETED, one entering it ADDED, as upstream's cacheWatcher reports them), bookmarks when
// asked for, until the client goes, the timeout, or the cache ends the reader.
struct WatchStream {
  std::shared_ptr<WatchCache> cache;
  WatchCache::Cursor cursor;
  const api::ResourceInfo* resource = nullptr;
  std::string namespace_name;
  Selectors selectors;
  bool table = false;
  api::IncludeObject include = api::IncludeObject::kMetadata;
  bool bookmarks = false;
  absl::Duration bookmark_interval = absl::Minutes(1);
  absl::Time deadline = absl::InfiniteFuture();
  std::vector<std::shared_ptr<const CachedObject>> initial;
  bool first_table = true;

  bool Passes(const CachedObject* object) const {
    return object != nullptr &&
           (namespace_name.empty() || api::NamespaceOf(object->selectable) == namespace_name) &&
           selectors.Matches(object->selectable);
  }

  std::string Line(std::string_view type, const CachedObject& object) {
    if (table) return WatchEventLine(type, object.Parse(), resource, first_table, include);
    return absl::StrCat(R"({"type":")", std::string(type), R"(","object":)", object.text, "}\n");
  }

  // The event's line for this watcher, "" when it does not concern it.
  std::string EventLine(const CachedEvent& event) {
    const bool after = Passes(event.object.get());
    const bool before = Passes(event.previous.get());
    if (after) {
      return Line(before ? "MODIFIED" : "ADDED", *event.object);
    }
    if (!before) return "";
    if (event.object == nullptr) {
      return Line("DELETED", *event.previous);
    }
    // It left the selection: its last state at the event's revision, as upstream reports it.
    Json last = event.previous->Parse();
    api::EnsureObject(last, "metadata")["resourceVersion"] = std::to_string(event.revision);
    return WatchEventLine("DELETED", last, table ? resource : nullptr, first_table, include);
  }

  // BOOKMARK: an object of the kind with only metadata.resourceVersion.
  std::string BookmarkLine() const {
    return Json{{"type", "BOOKMARK"},
                {"object",
                 {{"kind", std::string(resource->kind)},
                  {"apiVersion", resource->ApiVersion()},
                  {"metadata", {{"resourceVersion", std::to_string(cursor.revision)}}}}}}
               .dump() +
           "\n";
  }

  // Upstream's nextBookmarkTime: every interval, and once more 2 s before the timeout.
  absl::Time NextBookmark(absl::Time now) const {
    if (!bookmarks) return absl::InfiniteFuture();
    absl::Time next = now + bookmark_interval;
    if (deadline != absl::InfiniteFuture()) {
      next = std::min(next, deadline - absl::Seconds(2));
      if (next < now) return absl::InfiniteFuture();
    }
    return next;
  }

  void Run(ChunkSink& sink) {
    for (const std::shared_ptr<const CachedObject>& object : initial) {
      if (!sink.Write(Line("ADDED", *object))) return;
    }
    initial.clear();
    absl::Time next_bookmark = NextBookmark(absl::Now());
    while (!sink.ClientGone()) {
      const absl::Time now = absl::Now();
      if (now >= deadline) return;
      WatchCache::Batch batch =
          cache->Next(cursor, std::min({deadline, next_bookmark, now + kClientCheck}));
      if (!batch.live) return;
      for (const std::shared_ptr<const CachedEvent>& event : batch.events) {
        const std::string line = EventLine(*event);
        if (!line.empty() && !sink.Write(line)) return;
      }
      if (absl::Now() >= next_bookmark) {
        if (!sink.Write(BookmarkLine())) return;
        next_bookmark = NextBookmark(absl::Now());
      }
    }
  }
};

// The objects a list asks for from the resource's watch cache; an error when the store must
// answer: an exact revision, a later page whose range changed since the first, a cache that
// does not catch up with the store in time, or a revision newer than the store's.
absl::StatusOr<WatchCache::Snapshot> CachedList(WatchCache& cache, const std::string& prefix,
                                                const ListRevision& wanted,
                                                int64_t continue_revision,
                                                const std::string& next_key) {
  // A later page: from the cache while nothing in its range changed since the first.
  if (continue_revision != 0) return cache.AtRevision(prefix, next_key, continue_revision);
  switch (wanted.match) {
    case ListRevision::Match::kExact:
      return absl::FailedPreconditionError("an exact revision is read from the store");
    case ListRevision::Match::kNotOlderThan: {
      absl::StatusOr<WatchCache::Snapshot> current = cache.Current(prefix);
      if (!current.ok() || current->revision >= wanted.revision) return current;
      break;  // the cache is behind the revision asked for: as new as the store's now
    }
    case ListRevision::Match::kConsistent:
      break;
  }
  absl::StatusOr<WatchCache::Snapshot> consistent =
      cache.Consistent(prefix, absl::Now() + kCacheCatchUp);
  if (!consistent.ok()) {
    spdlog::warn("apiserver: list of {} from the store: {}", prefix,
                 consistent.status().ToString());
    return consistent.status();
  }
  if (consistent->revision < wanted.revision) {
    return absl::FailedPreconditionError("the revision asked for is newer than the store's");
  }
  return consistent;
}

// A list's answer from cached objects: at most `limit` (0: all) that pass the selectors, with
// a continue token at the snapshot's revision when objects remain after them.
HttpResponse ListFromSnapshot(const HttpRequest& request, const api::ResourceInfo& resource,
                              const Selectors& selectors, int64_t limit,
                              const WatchCache::Snapshot& snapshot) {
  std::vector<std::shared_ptr<const CachedObject>> items;
  std::string continue_token;
  for (const std::shared_ptr<const CachedObject>& object : snapshot.objects) {
    if (limit != 0 && static_cast<int64_t>(items.size()) == limit) {
      // Objects remain after the page: the next one starts after its last key.
      continue_token = EncodeContinue(snapshot.revision, items.back()->key + '\0');
      break;
    }
    if (selectors.Matches(object->selectable)) items.push_back(object);
  }
  const std::string resource_version = std::to_string(snapshot.revision);
  if (WantsTable(request)) {
    std::vector<Json> objects;
    objects.reserve(items.size());
    for (const std::shared_ptr<const CachedObject>& item : items)
      objects.push_back(item->Parse());
    return JsonResponse(
        200, api::TableDocument(resource.id, objects, resource_version, continue_token, absl::Now(),
                                IncludeObjectOf(request)));
  }
  return ListWriter(resource, std::move(items), resource_version, continue_token).Response();
}

}  // namespace

struct ApiHandler::ResourcePath {
  const api::ResourceInfo* resource = nullptr;
  std::string namespace_name;
  std::string name;
  std::string subresource;
  bool watch_prefix = false;  // /api/v1/watch/...
};

absl::Status ApiHandler::EnsureDefaultNamespace() {
  const api::ResourceInfo& namespaces = api::ResourceFor(api::Kind::kNamespace);
  Json object = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "default"}}}};
  api::ApplyDefaults(api::Kind::kNamespace, object);
  api::StampCreateMetadata(object, NewUid(), absl::Now());
  api::PrepareForCreate(api::Kind::kNamespace, object);
  absl::StatusOr<std::optional<StoredObject>> created =
      store_.Create(ObjectKey(namespaces, "", "default"), std::move(object));
  return created.status();
}

ApiHandler::ApiHandler(raftkv::KV& kv, std::string server_address, ApiHandlerOptions options)
    : store_(kv),
      server_address_(std::move(server_address)),
      options_(options),
      leases_(kv, options.event_lease_reuse_fraction) {
  for (const api::ResourceInfo& resource : api::AllResources()) {
    if (!resource.HasVerb("watch")) continue;
    watch_caches_.emplace(resource.id,
                          std::make_shared<WatchCache>(kv, resource.id, ObjectPrefix(resource, ""),
                                                       options_.watch_cache_capacity));
  }
}

ApiHandler::~ApiHandler() {
  for (auto& [kind, cache] : watch_caches_)
    cache->RequestStop();
  for (auto& [kind, cache] : watch_caches_)
    cache->Stop();
}

std::shared_ptr<WatchCache> ApiHandler::watch_cache(api::Kind kind) const {
  auto found = watch_caches_.find(kind);
  return found == watch_caches_.end() ? nullptr : found->second;
}

absl::StatusOr<int64_t> ApiHandler::LeaseFor(const api::ResourceInfo& resource) {
  const int64_t ttl_seconds = absl::ToInt64Seconds(options_.event_ttl);
  if (resource.id != api::Kind::kEvent || ttl_seconds <= 0) return 0;
  return leases_.LeaseFor(ttl_seconds);
}

HttpResponse ApiHandler::Handle(const HttpRequest& request) {
  std::vector<std::string> parts = absl::StrSplit(request.path, '/', absl::SkipEmpty());
  const bool is_get = request.method == "GET";
  if (is_get && request.path == "/version") return JsonResponse(200, VersionDocument());
  if (is_get &&
      (request.path == "/healthz" || request.path == "/readyz" || request.path == "/livez")) {
    HttpResponse response;
    response.content_type = "text/plain";
    response.body = "ok";
    return response;
  }
  if (std::optional<HttpResponse> openapi = ServeOpenApiV3(request)) return std::move(*openapi);
  if (is_get && request.path == "/openapi/v2") {
    // An empty protobuf openapi_v2.Document: kubectl finds no schema and skips client-side
    // validation (kubectl-api-surface notes, section 2).
    HttpResponse response;
    response.content_type = "application/octet-stream";
    return response;
  }
  if (is_get && parts.size() == 1 && parts[0] == "api") {
    if (WantsAggregatedDiscovery(request)) return AggregatedDiscovery(true);
    return JsonResponse(200, api::ApiVersionsDocument(server_address_));
  }
  if (is_get && parts.size() == 1 && parts[0] == "apis") {
    if (WantsAggregatedDiscovery(request)) return AggregatedDiscovery(false);
    return JsonResponse(200, api::ApiGroupListDocument());
  }
  if (is_get && parts.size() == 2 && parts[0] == "apis") {
    std::optional<Json> group = ApiGroupDocument(parts[1]);
    if (group.has_value()) return JsonResponse(200, *group);
    return StatusResponse(api::StatusNoRoute());
  }
  // /api/v1/... or /apis/<group>/<version>/...
  std::string_view group;
  std::string_view version;
  size_t rest = 0;
  if (parts.size() >= 2 && parts[0] == "api") {
    version = parts[1];
    rest = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    group = parts[1];
    version = parts[2];
    rest = 3;
  } else {
    return StatusResponse(api::StatusNoRoute());
  }
  if (rest == parts.size()) {
    if (!is_get) return StatusResponse(api::StatusNoRoute());
    absl::StatusOr<Json> list = api::ApiResourceListDocument(group, version);
    if (!list.ok()) return StatusResponse(api::StatusNoRoute());
    return JsonResponse(200, *list);
  }
  ResourcePath path;
  std::vector<std::string> segments(parts.begin() + static_cast<ptrdiff_t>(rest), parts.end());
  if (segments.front() == "watch") {
    path.watch_prefix = true;
    segments.erase(segments.begin());
  }
  if (segments.size() >= 3 && segments[0] == "namespaces" &&
      api::FindResource(group, version, segments[2]) != nullptr) {
    path.namespace_name = segments[1];
    segments.erase(segments.begin(), segments.begin() + 2);
  }
  if (segments.empty() || segments.size() > 3) return StatusResponse(api::StatusNoRoute());
  path.resource = api::FindResource(group, version, segments[0]);
  if (path.resource == nullptr) return StatusResponse(api::StatusNoRoute());
  if (segments.size() >= 2) path.name = segments[1];
  if (segments.size() == 3) path.subresource = segments[2];
  if (!path.subresource.empty() && !IsServedSubresource(*path.resource, path.subresource)) {
    return StatusResponse(api::StatusNoRoute());
  }
  if (!path.namespace_name.empty() && !path.resource->namespaced) {
    return StatusResponse(api::StatusNoRoute());
  }
  // fieldValidation (write_field_check.h): refuse or warn before the write runs.
  WriteFieldCheck fields =
      CheckWriteFields(request, *path.resource, path.subresource, path.namespace_name, path.name);
  if (fields.refusal.has_value()) return std::move(*fields.refusal);
  HttpResponse response = HandleResource(request, path);
  AddFieldWarnings(response, fields.warnings);
  return response;
}

HttpResponse ApiHandler::HandleResource(const HttpRequest& request, const ResourcePath& path) {
  const std::string& method = request.method;
  const bool named = !path.name.empty();
  if (path.watch_prefix || (method == "GET" && IsWatchRequested(request))) {
    if (method != "GET") return StatusResponse(api::StatusNoRoute());
    return Watch(request, path);
  }
  if (path.subresource == "scale") return Scale(request, path);
  if (path.subresource == "finalize" && method != "PUT") {
    return StatusResponse(api::StatusMethodNotAllowed(path.resource->group_resource(),
                                                      absl::AsciiStrToLower(method)));
  }
  const bool post = method == "POST";
  if ((path.subresource == "binding" || path.subresource == "eviction") && !post) {
    return StatusResponse(api::StatusMethodNotAllowed(path.resource->group_resource(),
                                                      absl::AsciiStrToLower(method)));
  }
  if (path.subresource == "binding") return Bind(request, path);
  if (path.subresource == "eviction") return Evict(request, path);
  if (path.subresource == "log") {
    if (method == "GET") return Log(request, path);
    return StatusResponse(api::StatusMethodNotAllowed(path.resource->group_resource(),
                                                      absl::AsciiStrToLower(method)));
  }
  if (method == "GET") return named ? Get(request, path) : List(request, path);
  if (method == "POST" && !named) return Create(request, path);
  if (method == "PUT" && named) return Update(request, path);
  if (method == "PATCH" && named) return Patch(request, path);
  if (method == "DELETE" && named && path.subresource.empty()) return Delete(request, path);
  if (method == "DELETE" && !named && path.resource->HasVerb("deletecollection")) {
    return DeleteCollection(request, path);
  }
  const std::string action =
      method == "DELETE" && !named ? "deletecollection" : absl::AsciiStrToLower(method);
  return StatusResponse(api::StatusMethodNotAllowed(path.resource->group_resource(), action));
}

HttpResponse ApiHandler::Get(const HttpRequest& request, const ResourcePath& path) {
  absl::StatusOr<std::optional<StoredObject>> stored =
      store_.Get(ObjectKey(*path.resource, path.namespace_name, path.name));
  if (!stored.ok()) return StoreError(stored.status());
  if (!stored->has_value()) {
    return StatusResponse(api::StatusNotFound(path.resource->group_resource(), path.name));
  }
  const Json& object = (*stored)->object;
  if (WantsTable(request)) {
    return JsonResponse(
        200, api::TableDocument(path.resource->id, {object}, api::ResourceVersionOf(object), "",
                                absl::Now(), IncludeObjectOf(request)));
  }
  return JsonResponse(200, object);
}

HttpResponse ApiHandler::List(const HttpRequest& request, const ResourcePath& path) {
  absl::StatusOr<Selectors> selectors = ParseSelectors(request, *path.resource);
  if (!selectors.ok())
    return StatusResponse(api::StatusBadRequest(std::string(selectors.status().message())));
  int64_t limit = 0;
  if (!request.Query("limit").empty() &&
      (!absl::SimpleAtoi(request.Query("limit"), &limit) || limit < 0)) {
    return StatusResponse(api::StatusBadRequest("invalid limit"));
  }
  int64_t revision = 0;
  std::string next_key;
  const std::string token = request.Query("continue");
  if (!token.empty() && !DecodeContinue(token, revision, next_key)) {
    return StatusResponse(api::StatusBadRequest("invalid continue token"));
  }
  absl::StatusOr<ListRevision> wanted = ParseListRevision(request, limit != 0);
  if (!wanted.ok())
    return StatusResponse(api::StatusBadRequest(std::string(wanted.status().message())));
  if (!token.empty() && !request.Query("resourceVersion").empty()) {
    return StatusResponse(
        api::StatusBadRequest("specifying resource version is not allowed when using continue"));
  }
  const std::string prefix = ObjectPrefix(*path.resource, path.namespace_name);
  if (auto cache = watch_caches_.find(path.resource->id); cache != watch_caches_.end()) {
    absl::StatusOr<WatchCache::Snapshot> cached =
        CachedList(*cache->second, prefix, *wanted, revision, next_key);
    if (cached.ok()) return ListFromSnapshot(request, *path.resource, *selectors, limit, *cached);
  }
  if (wanted->match == ListRevision::Match::kExact) revision = wanted->revision;
  std::vector<Json> items;
  bool more = false;
  do {
    const int64_t page_size = limit == 0 ? 0 : limit - static_cast<int64_t>(items.size());
    absl::StatusOr<ObjectStore::Page> page = store_.List(prefix, next_key, revision, page_size);
    if (!page.ok()) {
      if (raftkv::IsCompacted(page.status())) {
        return StatusResponse(api::StatusGone(
            token.empty()
                ? "The resourceVersion for the provided list is too old."
                : "The provided continue parameter is too old to display a consistent list "
                  "result. You can start a new list without the continue parameter."));
      }
      return StoreError(page.status());
    }
    revision = page->revision;
    more = page->more;
    next_key = page->next_key;
    for (StoredObject& stored : page->objects) {
      if (selectors->Matches(stored.object)) items.push_back(std::move(stored.object));
    }
  } while (more && limit != 0 && static_cast<int64_t>(items.size()) < limit);
  const std::string continue_token = more ? EncodeContinue(revision, next_key) : "";
  const std::string resource_version = std::to_string(revision);
  if (WantsTable(request)) {
    return JsonResponse(
        200, api::TableDocument(path.resource->id, items, resource_version, continue_token,
                                absl::Now(), IncludeObjectOf(request)));
  }
  Json array = Json::array();
  for (Json& item : items)
    array.push_back(std::move(item));
  return JsonResponse(
      200, api::ListDocument(*path.resource, std::move(array), resource_version, continue_token));
}

HttpResponse ApiHandler::Watch(const HttpRequest& request, const ResourcePath& path) {
  absl::StatusOr<Selectors> selectors = ParseSelectors(request, *path.resource);
  if (!selectors.ok())
    return StatusResponse(api::StatusBadRequest(std::string(selectors.status().message())));
  if (!path.name.empty()) {
    absl::StatusOr<api::FieldSelector> by_name =
        api::FieldSelector::Parse(absl::StrCat("metadata.name=", path.name), *path.resource);
    if (by_name.ok()) selectors->fields = std::move(*by_name);
  }
  if (request.Query("sendInitialEvents") == "true") {
    // Not served: kubectl then retries without it and lists first (notes, section 11.7).
    return StatusResponse(api::StatusInvalid(
        {"meta.k8s.io", "ListOptions"}, "",
        {api::FieldError{api::FieldErrorType::kForbidden, "sendInitialEvents", std::nullopt,
                         "sendInitialEvents is forbidden for watch unless the WatchList feature "
                         "gate is enabled"}}));
  }
  auto cache = watch_caches_.find(path.resource->id);
  if (cache == watch_caches_.end()) {
    return StatusResponse(api::StatusMethodNotAllowed(path.resource->group_resource(), "watch"));
  }
  WatchStream stream;
  stream.cache = cache->second;
  stream.resource = path.resource;
  stream.namespace_name = path.namespace_name;
  stream.selectors = std::move(*selectors);
  stream.table = WantsTable(request);
  stream.include = IncludeObjectOf(request);
  stream.bookmarks = request.Query("allowWatchBookmarks") == "true";
  stream.bookmark_interval = options_.bookmark_interval;
  int64_t timeout_seconds = 0;
  if (absl::SimpleAtoi(request.Query("timeoutSeconds"), &timeout_seconds) && timeout_seconds > 0) {
    stream.deadline = absl::Now() + absl::Seconds(timeout_seconds);
  }
  int64_t start = 0;
  const std::string resource_version = request.Query("resourceVersion");
  if (resource_version.empty() || resource_version == "0") {
    // From now: the cache's current objects as ADDED first, then the changes after them.
    absl::StatusOr<WatchCache::Start> now =
        stream.cache->CurrentAndFollow(ObjectPrefix(*path.resource, path.namespace_name));
    if (!now.ok()) return StoreError(now.status());
    for (std::shared_ptr<const CachedObject>& object : now->snapshot.objects) {
      if (stream.selectors.Matches(object->selectable)) stream.initial.push_back(std::move(object));
    }
    stream.cursor = now->cursor;
    HttpResponse response;
    response.stream = [stream = std::move(stream)](ChunkSink& sink) mutable { stream.Run(sink); };
    return response;
  }
  if (!absl::SimpleAtoi(resource_version, &start) || start < 0) {
    return StatusResponse(
        api::StatusBadRequest(absl::StrCat("invalid resource version: ", resource_version)));
  }
  absl::StatusOr<WatchCache::Cursor> cursor = stream.cache->ReadAfter(start);
  HttpResponse response;
  if (absl::IsOutOfRange(cursor.status())) {
    // Below the cache's window: the watch answers one ERROR event, as upstream's cacher does.
    const std::string line =
        Json{{"type", "ERROR"}, {"object", api::StatusGone(std::string(cursor.status().message()))}}
            .dump() +
        "\n";
    response.stream = [line](ChunkSink& sink) { sink.Write(line); };
    return response;
  }
  if (!cursor.ok()) return StoreError(cursor.status());
  stream.cursor = *cursor;
  response.stream = [stream = std::move(stream)](ChunkSink& sink) mutable { stream.Run(sink); };
  return response;
}

HttpResponse ApiHandler::Create(const HttpRequest& request, const ResourcePath& path) {
  const api::ResourceInfo& resource = *path.resource;
  if (!path.subresource.empty()) return StatusResponse(api::StatusNoRoute());
  if (std::optional<HttpResponse> invalid = InvalidDryRun(request, "CreateOptions")) {
    return *invalid;
  }
  absl::StatusOr<Json> body =
      ParseObjectBody(request, resource.ApiVersion(), std::string(resource.kind));
  if (!body.ok()) return BodyError(request, body.status());
  return CreateObject(request, path, std::move(*body));
}

HttpResponse ApiHandler::CreateObject(const HttpRequest& request, const ResourcePath& path,
                                      Json object) {
  const api::ResourceInfo& resource = *path.resource;
  const std::string requested_name = api::NameOf(object);
  if (api::KindOf(object) != resource.kind || api::ApiVersionOf(object) != resource.ApiVersion()) {
    return StatusResponse(api::StatusBadRequest(
        absl::StrCat("the API version in the data (", api::ApiVersionOf(object),
                     ") does not match the expected API version (", resource.ApiVersion(), ")")));
  }
  Json& metadata = api::EnsureObject(object, "metadata");
  if (resource.namespaced) {
    const std::string body_namespace = api::NamespaceOf(object);
    if (!body_namespace.empty() && body_namespace != path.namespace_name) {
      return StatusResponse(api::StatusBadRequest(
          "the namespace of the provided object does not match the namespace sent on the request"));
    }
    metadata["namespace"] = path.namespace_name;
  } else {
    metadata.erase("namespace");
  }
  const std::string generate_name = api::StringAt(object, {"metadata", "generateName"});
  if (api::NameOf(object).empty() && !generate_name.empty()) {
    thread_local std::mt19937_64 random{std::random_device{}()};
    metadata["name"] = api::NameFromGenerateName(generate_name, random());
  }
  const absl::Time now = absl::Now();
  api::ApplyDefaults(resource.id, object);
  api::StampCreateMetadata(object, NewUid(), now);
  api::PrepareForCreate(resource.id, object);
  api::FieldErrors errors = api::ValidateCreate(resource.id, object);
  if (!errors.empty()) {
    return StatusResponse(api::StatusInvalid(resource.group_kind(), api::NameOf(object), errors));
  }
  if (resource.namespaced) {
    const api::ResourceInfo& namespaces = api::ResourceFor(api::Kind::kNamespace);
    absl::StatusOr<std::optional<StoredObject>> found =
        store_.Get(ObjectKey(namespaces, "", path.namespace_name));
    if (!found.ok()) return StoreError(found.status());
    if (!found->has_value()) {
      return StatusResponse(api::StatusNotFound(namespaces.group_resource(), path.namespace_name));
    }
    // Upstream's NamespaceLifecycle admission.
    if (api::IsBeingDeleted((*found)->object)) {
      return StatusResponse(api::StatusForbidden(
          resource.group_resource(), requested_name,
          absl::StrCat("unable to create new content in namespace ", path.namespace_name,
                       " because it is being terminated")));
    }
  }
  // Server-side apply recorded its own ownership (as an Apply operation).
  if (!IsApplyPatch(request))
    api::UpdateManagedFields(object, nullptr, FieldManagerOf(request), "Update", "", now);
  const std::string name = api::NameOf(object);
  if (IsDryRun(request)) {
    // Validated and defaulted, not stored; a name in use is still refused.
    absl::StatusOr<std::optional<StoredObject>> taken =
        store_.Get(ObjectKey(resource, path.namespace_name, name));
    if (!taken.ok()) return StoreError(taken.status());
    if (taken->has_value()) {
      return StatusResponse(api::StatusAlreadyExists(resource.group_resource(), name));
    }
    return JsonResponse(201, object);
  }
  absl::StatusOr<int64_t> lease = LeaseFor(resource);
  if (!lease.ok()) return StoreError(lease.status());
  absl::StatusOr<std::optional<StoredObject>> created =
      store_.Create(ObjectKey(resource, path.namespace_name, name), std::move(object), *lease);
  if (!created.ok()) return StoreError(created.status());
  if (!created->has_value()) {
    return StatusResponse(api::StatusAlreadyExists(resource.group_resource(), name));
  }
  return JsonResponse(201, (*created)->object);
}

HttpResponse ApiHandler::WriteUpdate(const HttpRequest& request, const ResourcePath& path,
                                     Json updated, const StoredObject& existing,
                                     const std::function<Json(const Json&)>& respond_with) {
  const api::ResourceInfo& resource = *path.resource;
  if (std::optional<HttpResponse> invalid =
          InvalidDryRun(request, request.method == "PATCH" ? "PatchOptions" : "UpdateOptions")) {
    return *invalid;
  }
  Json stored;
  if (path.subresource == "status") {
    stored = api::PrepareForStatusUpdate(updated, existing.object);
  } else if (path.subresource == "finalize") {
    stored = WithNamespaceFinalizers(existing.object, updated);
  } else {
    api::ApplyDefaults(resource.id, updated);
    api::PrepareForUpdate(resource.id, updated, existing.object);
    stored = std::move(updated);
  }
  api::FieldErrors errors = api::ValidateUpdate(resource.id, stored, existing.object);
  for (api::FieldError& error : ValidateNoNewFinalizers(existing.object, stored))
    errors.push_back(std::move(error));
  if (!errors.empty()) {
    return StatusResponse(api::StatusInvalid(resource.group_kind(), path.name, errors));
  }
  if (!IsApplyPatch(request)) {
    api::UpdateManagedFields(stored, &existing.object, FieldManagerOf(request), "Update",
                             path.subresource, absl::Now());
  }
  const auto respond = [&respond_with](const Json& object) {
    return JsonResponse(200, respond_with ? respond_with(object) : object);
  };
  if (IsDryRun(request)) return respond(stored);
  const std::string key = ObjectKey(resource, path.namespace_name, path.name);
  if (ShouldRemoveOnUpdate(resource.id, existing.object, stored)) {
    // The last finalizer of an object being deleted went: the update deletes it.
    absl::StatusOr<bool> deleted = store_.Delete(key, existing.mod_revision);
    if (!deleted.ok()) return StoreError(deleted.status());
    if (!*deleted) return StatusResponse(api::StatusConflict(resource.group_resource(), path.name));
    return respond(stored);
  }
  absl::StatusOr<int64_t> lease = LeaseFor(resource);
  if (!lease.ok()) return StoreError(lease.status());
  absl::StatusOr<std::optional<StoredObject>> written =
      store_.Update(key, std::move(stored), existing.mod_revision, *lease);
  if (!written.ok()) return StoreError(written.status());
  if (!written->has_value()) {
    return StatusResponse(api::StatusConflict(resource.group_resource(), path.name));
  }
  return respond((*written)->object);
}

HttpResponse ApiHandler::Update(const HttpRequest& request, const ResourcePath& path) {
  const api::ResourceInfo& resource = *path.resource;
  absl::StatusOr<Json> body =
      ParseObjectBody(request, resource.ApiVersion(), std::string(resource.kind));
  if (!body.ok()) return BodyError(request, body.status());
  Json updated = std::move(*body);
  if (api::NameOf(updated) != path.name) {
    return StatusResponse(
        api::StatusBadRequest("the name of the object does not match the name on the URL"));
  }
  if (resource.namespaced)
    api::EnsureObject(updated, "metadata")["namespace"] = path.namespace_name;
  absl::StatusOr<std::optional<StoredObject>> existing =
      store_.Get(ObjectKey(resource, path.namespace_name, path.name));
  if (!existing.ok()) return StoreError(existing.status());
  if (!existing->has_value()) {
    return StatusResponse(api::StatusNotFound(resource.group_resource(), path.name));
  }
  const std::string resource_version = api::ResourceVersionOf(updated);
  if (!resource_version.empty() &&
      resource_version != api::ResourceVersionOf((*existing)->object)) {
    return StatusResponse(api::StatusConflict(resource.group_resource(), path.name));
  }
  return WriteUpdate(request, path, std::move(updated), **existing);
}

HttpResponse ApiHandler::Patch(const HttpRequest& request, const ResourcePath& path) {
  const api::ResourceInfo& resource = *path.resource;
  std::optional<api::PatchType> type = api::PatchTypeFromContentType(request.content_type);
  if (!type.has_value()) {
    return StatusResponse(api::StatusUnsupportedMediaType(request.content_type));
  }
  if (*type == api::PatchType::kApplyPatch) return Apply(request, path);
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<std::optional<StoredObject>> existing =
        store_.Get(ObjectKey(resource, path.namespace_name, path.name));
    if (!existing.ok()) return StoreError(existing.status());
    if (!existing->has_value()) {
      return StatusResponse(api::StatusNotFound(resource.group_resource(), path.name));
    }
    absl::StatusOr<Json> patched =
        api::ApplyPatch(*type, (*existing)->object, request.body, resource.id);
    if (!patched.ok()) return StatusResponse(api::StatusForPatchError(patched.status()));
    const std::string current_version = api::ResourceVersionOf((*existing)->object);
    const std::string patched_version = api::ResourceVersionOf(*patched);
    if (!patched_version.empty() && patched_version != current_version) {
      return StatusResponse(api::StatusConflict(resource.group_resource(), path.name));
    }
    if (api::NameOf(*patched) != path.name) {
      return StatusResponse(api::StatusBadRequest("the patch changes the object's name"));
    }
    HttpResponse response = WriteUpdate(request, path, std::move(*patched), **existing);
    // 409 from WriteUpdate means the object changed between the read and the write (the
    // client's own precondition was checked above): patch the new version.
    if (response.status != 409 || attempt + 1 == kPatchAttempts) return response;
  }
}

HttpResponse ApiHandler::Apply(const HttpRequest& request, const ResourcePath& path) {
  const api::ResourceInfo& resource = *path.resource;
  if (!path.subresource.empty()) {
    return StatusResponse(api::StatusUnsupportedMediaType(request.content_type));
  }
  const std::string manager = request.Query("fieldManager");
  if (manager.empty()) {
    return StatusResponse(api::StatusBadRequest("fieldManager is required for apply requests"));
  }
  // The body is YAML (JSON is YAML too).
  absl::StatusOr<Json> applied = api::YamlToJson(request.body);
  if (!applied.ok() || !applied->is_object()) {
    return StatusResponse(api::StatusBadRequest(absl::StrCat(
        "error decoding YAML: ",
        applied.ok() ? std::string("not an object") : std::string(applied.status().message()))));
  }
  if (api::KindOf(*applied) != resource.kind ||
      api::ApiVersionOf(*applied) != resource.ApiVersion() || api::NameOf(*applied) != path.name) {
    return StatusResponse(api::StatusBadRequest(
        absl::StrCat("the apiVersion, kind and metadata.name of an applied object must be ",
                     resource.ApiVersion(), ", ", std::string(resource.kind), " and ", path.name)));
  }
  const bool force = request.Query("force") == "true";
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<std::optional<StoredObject>> existing =
        store_.Get(ObjectKey(resource, path.namespace_name, path.name));
    if (!existing.ok()) return StoreError(existing.status());
    const Json* live = existing->has_value() ? &(*existing)->object : nullptr;
    api::ApplyOutcome outcome = api::ServerSideApply(live, *applied, manager, force, absl::Now());
    if (!outcome.conflicts.empty() && !force) {
      return StatusResponse(api::StatusApplyConflict(outcome.conflicts));
    }
    if (live == nullptr) return CreateObject(request, path, std::move(outcome.object));
    HttpResponse response = WriteUpdate(request, path, std::move(outcome.object), **existing);
    if (response.status != 409 || attempt + 1 == kPatchAttempts) return response;
  }
}

HttpResponse ApiHandler::DeleteObject(const api::ResourceInfo& resource,
                                      const std::string& namespace_name, const std::string& name,
                                      const DeleteOptions& options) {
  const std::string key = ObjectKey(resource, namespace_name, name);
  for (int attempt = 0; attempt < kPatchAttempts; ++attempt) {
    absl::StatusOr<std::optional<StoredObject>> existing = store_.Get(key);
    if (!existing.ok()) return StoreError(existing.status());
    if (!existing->has_value()) {
      return StatusResponse(api::StatusNotFound(resource.group_resource(), name));
    }
    const StoredObject& current = **existing;
    if (std::string failure = PreconditionFailure(options, current.object); !failure.empty()) {
      // The namespace registry reports the precondition itself; the generic store reports
      // the storage layer's error, key and all (upstream storage.NewInvalidObjError).
      if (resource.id != api::Kind::kNamespace) {
        failure = absl::StrCat("StorageError: invalid object, Code: 4, Key: ", key,
                               ", ResourceVersion: 0, AdditionalErrorMsg: ", failure);
      }
      return StatusResponse(api::StatusConflict(resource.group_resource(), name, failure));
    }
    DeletionPlan plan = PlanDeletion(resource.id, current.object, options, absl::Now());
    switch (plan.action) {
      case DeletionPlan::Action::kConflict:
        return StatusResponse(api::StatusConflict(resource.group_resource(), name, plan.conflict));
      case DeletionPlan::Action::kPending:
        return JsonResponse(200, plan.object);
      case DeletionPlan::Action::kRemove: {
        if (options.IsDryRun()) return JsonResponse(200, plan.object);
        absl::StatusOr<bool> deleted = store_.Delete(key, current.mod_revision);
        if (!deleted.ok()) return StoreError(deleted.status());
        if (*deleted) return JsonResponse(200, plan.object);
        break;  // changed meanwhile: plan again
      }
      case DeletionPlan::Action::kUpdate: {
        // Upstream answers 202 when the object stays although dependents were asked to be
        // deleted (orphanDependents=false); 200 otherwise.
        const int code = options.orphan_dependents == false ? 202 : 200;
        if (options.IsDryRun()) return JsonResponse(code, plan.object);
        absl::StatusOr<std::optional<StoredObject>> written =
            store_.Update(key, std::move(plan.object), current.mod_revision);
        if (!written.ok()) return StoreError(written.status());
        if (written->has_value()) return JsonResponse(code, (*written)->object);
        break;
      }
    }
  }
  return StatusResponse(api::StatusConflict(resource.group_resource(), name));
}

HttpResponse ApiHandler::Delete(const HttpRequest& request, const ResourcePath& path) {
  absl::StatusOr<DeleteOptions> options = ParseDeleteOptions(request);
  if (!options.ok()) return BodyError(request, options.status());
  if (api::FieldErrors errors = ValidateDeleteOptions(*options); !errors.empty()) {
    return StatusResponse(api::StatusInvalid({"meta.k8s.io", "DeleteOptions"}, "", errors));
  }
  return DeleteObject(*path.resource, path.namespace_name, path.name, *options);
}

HttpResponse ApiHandler::DeleteCollection(const HttpRequest& request, const ResourcePath& path) {
  const api::ResourceInfo& resource = *path.resource;
  absl::StatusOr<Selectors> selectors = ParseSelectors(request, resource);
  if (!selectors.ok())
    return StatusResponse(api::StatusBadRequest(std::string(selectors.status().message())));
  absl::StatusOr<DeleteOptions> options = ParseDeleteOptions(request);
  if (!options.ok()) return BodyError(request, options.status());
  if (api::FieldErrors errors = ValidateDeleteOptions(*options); !errors.empty()) {
    return StatusResponse(api::StatusInvalid({"meta.k8s.io", "DeleteOptions"}, "", errors));
  }
  // The names to delete: from the watch cache's consistent list, else from the store's.
  const std::string prefix = ObjectPrefix(resource, path.namespace_name);
  std::vector<std::pair<std::string, std::string>> listed;  // namespace, name
  int64_t revision = 0;
  absl::StatusOr<WatchCache::Snapshot> cached = absl::NotFoundError("no watch cache");
  if (auto cache = watch_caches_.find(resource.id); cache != watch_caches_.end()) {
    cached = cache->second->Consistent(prefix, absl::Now() + kCacheCatchUp);
  }
  if (cached.ok()) {
    revision = cached->revision;
    for (const std::shared_ptr<const CachedObject>& object : cached->objects) {
      if (selectors->Matches(object->selectable)) {
        listed.emplace_back(api::NamespaceOf(object->selectable), api::NameOf(object->selectable));
      }
    }
  } else {
    absl::StatusOr<ObjectStore::Page> page = store_.List(prefix, "", 0, 0);
    if (!page.ok()) return StoreError(page.status());
    revision = page->revision;
    for (const StoredObject& stored : page->objects) {
      if (selectors->Matches(stored.object))
        listed.emplace_back(api::NamespaceOf(stored.object), api::NameOf(stored.object));
    }
  }
  Json items = Json::array();
  for (const auto& [namespace_name, name] : listed) {
    // Each listed name is deleted in its latest state, as upstream's DeleteCollection does;
    // one that went meanwhile is skipped.
    HttpResponse deleted = DeleteObject(resource, namespace_name, name, *options);
    if (deleted.status == 404) continue;
    if (deleted.status != 200 && deleted.status != 202) return deleted;
    absl::StatusOr<Json> object = api::ParseJson(deleted.body);
    if (object.ok()) items.push_back(std::move(*object));
  }
  return JsonResponse(200, Json{{"kind", std::string(resource.list_kind)},
                                {"apiVersion", resource.ApiVersion()},
                                {"metadata", {{"resourceVersion", std::to_string(revision)}}},
                                {"items", std::move(items)}});
}

HttpResponse ApiHandler::Scale(const HttpRequest& request, const ResourcePath& path) {
  const api::ResourceInfo& resource = *path.resource;
  const std::string& method = request.method;
  std::optional<api::PatchType> patch_type;
  if (method == "PATCH") {
    patch_type = api::PatchTypeFromContentType(request.content_type);
    if (!patch_type.has_value() || *patch_type == api::PatchType::kApplyPatch) {
      return StatusResponse(api::StatusUnsupportedMediaType(request.content_type));
    }
  } else if (method != "GET" && method != "PUT") {
    return StatusResponse(
        api::StatusMethodNotAllowed(resource.group_resource(), absl::AsciiStrToLower(method)));
  }
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<std::optional<StoredObject>> existing =
        store_.Get(ObjectKey(resource, path.namespace_name, path.name));
    if (!existing.ok()) return StoreError(existing.status());
    if (!existing->has_value()) {
      return StatusResponse(api::StatusNotFound(resource.group_resource(), path.name));
    }
    const Json current = api::ScaleOf((*existing)->object);
    if (method == "GET") return JsonResponse(200, current);
    absl::StatusOr<Json> scale =
        patch_type.has_value() ? api::ApplyPatch(*patch_type, current, request.body, resource.id)
                               : ParseBody(request);
    if (!scale.ok()) {
      if (patch_type.has_value()) return StatusResponse(api::StatusForPatchError(scale.status()));
      return BodyError(request, scale.status());
    }
    if (absl::Status complete = CompleteObject(*scale, "autoscaling/v1", "Scale"); !complete.ok()) {
      return BodyError(request, complete);
    }
    // As upstream's update handler: the URL's namespace fills an absent one.
    Json& metadata = api::EnsureObject(*scale, "metadata");
    if (api::NamespaceOf(*scale).empty()) metadata["namespace"] = path.namespace_name;
    if (api::NameOf(*scale) != path.name || api::NamespaceOf(*scale) != path.namespace_name) {
      return StatusResponse(api::StatusBadRequest(
          "the name and namespace of the Scale do not match those on the URL"));
    }
    api::FieldErrors errors = api::ValidateScale(*scale);
    if (!errors.empty())
      return StatusResponse(api::StatusInvalid({"autoscaling", "Scale"}, path.name, errors));
    const std::string resource_version = api::ResourceVersionOf(*scale);
    if (!resource_version.empty() && resource_version != api::ResourceVersionOf(current)) {
      return StatusResponse(api::StatusConflict(resource.group_resource(), path.name));
    }
    HttpResponse response =
        WriteUpdate(request, path, api::WithScaleReplicas((*existing)->object, *scale), **existing,
                    [](const Json& workload) { return api::ScaleOf(workload); });
    // The client's resourceVersion was checked above: a 409 here is a write that raced ours.
    if (response.status != 409 || attempt + 1 == kPatchAttempts) return response;
  }
}

HttpResponse ApiHandler::Bind(const HttpRequest& request, const ResourcePath& path) {
  const api::ResourceInfo& resource = *path.resource;
  absl::StatusOr<Json> binding = ParseObjectBody(request, "v1", "Binding");
  if (!binding.ok()) return BodyError(request, binding.status());
  const std::string binding_name = api::NameOf(*binding);
  if (!binding_name.empty() && binding_name != path.name) {
    return StatusResponse(
        api::StatusBadRequest("the name of the object does not match the name on the URL"));
  }
  const std::string key = ObjectKey(resource, path.namespace_name, path.name);
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<std::optional<StoredObject>> existing = store_.Get(key);
    if (!existing.ok()) return StoreError(existing.status());
    if (!existing->has_value()) {
      return StatusResponse(api::StatusNotFound(resource.group_resource(), path.name));
    }
    absl::StatusOr<Json> bound = api::ApplyBinding((*existing)->object, *binding, absl::Now());
    if (absl::IsFailedPrecondition(bound.status())) {
      return StatusResponse(api::StatusConflict({"", "pods/binding"}, path.name,
                                                std::string(bound.status().message())));
    }
    if (!bound.ok()) {
      return StatusResponse(api::StatusInvalid(
          {"", "Binding"}, path.name,
          {api::FieldError{api::FieldErrorType::kRequired, "target.name", std::nullopt,
                           std::string(bound.status().message())}}));
    }
    absl::StatusOr<std::optional<StoredObject>> written =
        store_.Update(key, std::move(*bound), (*existing)->mod_revision);
    if (!written.ok()) return StoreError(written.status());
    if (written->has_value()) {
      Json success = api::StatusSuccess(resource.group_resource(), path.name, "");
      success.erase("details");
      success["code"] = 201;
      return JsonResponse(201, success);
    }
    if (attempt + 1 == kPatchAttempts) {
      return StatusResponse(api::StatusConflict(resource.group_resource(), path.name));
    }
  }
}

HttpResponse ApiHandler::Evict(const HttpRequest& request, const ResourcePath& path) {
  absl::StatusOr<Json> eviction = ParseObjectBody(request, "policy/v1", "Eviction");
  if (!eviction.ok()) return BodyError(request, eviction.status());
  const std::string api_version = api::ApiVersionOf(*eviction);
  if (api::KindOf(*eviction) != "Eviction" ||
      (api_version != "policy/v1" && api_version != "policy/v1beta1")) {
    return StatusResponse(api::StatusBadRequest(absl::StrCat(
        "the body is a ", api_version, " ", api::KindOf(*eviction), ", not a policy/v1 Eviction")));
  }
  const std::string name = api::NameOf(*eviction);
  if (!name.empty() && name != path.name) {
    return StatusResponse(
        api::StatusBadRequest("name in URL does not match name in Eviction object"));
  }
  const std::string namespace_name = api::NamespaceOf(*eviction);
  if (!namespace_name.empty() && namespace_name != path.namespace_name) {
    return StatusResponse(api::StatusBadRequest(
        "the namespace of the provided object does not match the namespace sent on the request"));
  }
  absl::StatusOr<DeleteOptions> options =
      DeleteOptionsFromJson(api::ObjectAt(*eviction, {"deleteOptions"}));
  if (!options.ok()) return BodyError(request, options.status());
  if (api::FieldErrors errors = ValidateDeleteOptions(*options); !errors.empty()) {
    return StatusResponse(api::StatusInvalid({"meta.k8s.io", "DeleteOptions"}, "", errors));
  }
  HttpResponse deleted = DeleteObject(*path.resource, path.namespace_name, path.name, *options);
  if (deleted.status != 200 && deleted.status != 202) return deleted;
  // Upstream's eviction answers a bare Success Status with the create's 201.
  return JsonResponse(201, Json{{"kind", "Status"},
                                {"apiVersion", "v1"},
                                {"metadata", Json::object()},
                                {"status", "Success"},
                                {"code", 201}});
}

HttpResponse ApiHandler::Log(const HttpRequest& request, const ResourcePath& path) {
  absl::StatusOr<std::optional<StoredObject>> pod =
      store_.Get(ObjectKey(*path.resource, path.namespace_name, path.name));
  if (!pod.ok()) return StoreError(pod.status());
  if (!pod->has_value()) {
    return StatusResponse(api::StatusNotFound(path.resource->group_resource(), path.name));
  }
  const Json& object = (*pod)->object;
  LogContainer container = ResolveLogContainer(object, request.Query("container"));
  if (container.error.has_value()) return StatusResponse(*container.error);
  const std::string node_name = api::StringAt(object, {"spec", "nodeName"});
  if (node_name.empty()) {
    // Upstream answers an empty log here; a 400 tells the client why there is none yet.
    return StatusResponse(
        api::StatusBadRequest(absl::StrCat("pod ", path.name, " does not have a host assigned")));
  }
  const api::ResourceInfo& nodes = api::ResourceFor(api::Kind::kNode);
  absl::StatusOr<std::optional<StoredObject>> node = store_.Get(ObjectKey(nodes, "", node_name));
  if (!node.ok()) return StoreError(node.status());
  if (!node->has_value()) {
    return StatusResponse(api::StatusNotFound(nodes.group_resource(), node_name));
  }
  std::optional<KubeletAddress> kubelet = KubeletAddressOf((*node)->object);
  if (!kubelet.has_value()) {
    return StatusResponse(api::StatusInternalError(
        absl::StrCat("node ", node_name, " reports no InternalIP address or kubelet port")));
  }
  const std::string target =
      KubeletLogTarget(path.namespace_name, path.name, container.name,
                       [&request](std::string_view name) { return request.Query(name); });
  return ProxyKubeletLog(*kubelet, target, path.name);
}

}  // namespace orch::apiserver
