#include "orchestrator/apiserver/openapi_routes.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "orchestrator/api/openapi_schema.h"
#include "orchestrator/api/registry.h"
#include "orchestrator/api/status.h"

namespace orch::apiserver {
namespace {

constexpr std::string_view kPrefix = "/openapi/v3";

struct ServedDocument {
  std::string body;
  std::string hash;
};

// FNV-1a, 64 bits, as 16 upper-case hex digits: the documents only need a name that changes
// when their content does (kube-apiserver uses SHA-512; clients treat it as opaque).
std::string ContentHash(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return absl::StrFormat("%016X", hash);
}

struct OpenApiV3Documents {
  std::map<std::string, ServedDocument, std::less<>> by_path;  // "apis/apps/v1" -> document
  ServedDocument root;
};

OpenApiV3Documents BuildDocuments() {
  OpenApiV3Documents documents;
  std::vector<api::GroupVersion> served = api::ServedGroupVersions();
  served.insert(served.begin(), api::GroupVersion{"", "v1"});
  api::Json paths = api::Json::object();
  for (const api::GroupVersion& group_version : served) {
    const std::string path = api::OpenApiV3Path(group_version);
    absl::StatusOr<api::Json> document = api::OpenApiV3Document(path);
    if (!document.ok()) continue;
    ServedDocument served_document;
    served_document.body = document->dump();
    served_document.hash = ContentHash(served_document.body);
    paths[path] = {{"serverRelativeURL",
                    absl::StrCat(std::string(kPrefix), "/", path, "?hash=", served_document.hash)}};
    documents.by_path.emplace(path, std::move(served_document));
  }
  documents.root.body = api::Json{{"paths", std::move(paths)}}.dump();
  documents.root.hash = ContentHash(documents.root.body);
  return documents;
}

// Built once: the schemas and the registry do not change while the server runs.
const OpenApiV3Documents& Documents() {
  static const OpenApiV3Documents* const kDocuments = new OpenApiV3Documents(BuildDocuments());
  return *kDocuments;
}

HttpResponse DocumentResponse(const ServedDocument& document) {
  HttpResponse response;
  response.body = document.body;
  response.headers.emplace_back("ETag", absl::StrCat("\"", document.hash, "\""));
  return response;
}

}  // namespace

std::optional<HttpResponse> ServeOpenApiV3(const HttpRequest& request) {
  std::string_view path = request.path;
  if (request.method != "GET" || !path.starts_with(kPrefix)) return std::nullopt;
  path.remove_prefix(kPrefix.size());
  const OpenApiV3Documents& documents = Documents();
  if (path.empty() || path == "/") return DocumentResponse(documents.root);
  if (!path.starts_with('/')) return std::nullopt;
  path.remove_prefix(1);
  auto found = documents.by_path.find(path);
  if (found == documents.by_path.end()) {
    HttpResponse missing;
    missing.status = 404;
    missing.body = api::StatusNoRoute().dump();
    return missing;
  }
  const ServedDocument& document = found->second;
  const std::string hash = request.Query("hash");
  if (!hash.empty() && hash != document.hash) {
    // A client holding an old hash is sent to the current document.
    HttpResponse moved;
    moved.status = 301;
    moved.content_type = "text/plain";
    moved.headers.emplace_back(
        "Location",
        absl::StrCat(std::string(kPrefix), "/", std::string(path), "?hash=", document.hash));
    return moved;
  }
  HttpResponse response = DocumentResponse(document);
  // The hash names this content: a client may keep it for good.
  if (!hash.empty()) response.headers.emplace_back("Cache-Control", "public, immutable");
  return response;
}

}  // namespace orch::apiserver
