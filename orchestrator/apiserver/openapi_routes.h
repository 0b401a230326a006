// /openapi/v3: the root lists one document per served group version ("api/v1",
// "apis/apps/v1", "apis/coordination.k8s.io/v1") with a serverRelativeURL carrying the
// document's content hash; /openapi/v3/<group version>?hash=H answers the document
// (orch::api::OpenApiV3Document), cacheable for good when H is its hash, a 301 to the current
// hash when H is stale, and uncached without one, as kube-apiserver does. kubectl reads these
// for explain, for apply's patches, and to learn that the server validates fields itself.
#pragma once

#include <optional>

#include "orchestrator/apiserver/http_server.h"

namespace orch::apiserver {

// The answer to a GET under /openapi/v3, or nullopt for any other request.
std::optional<HttpResponse> ServeOpenApiV3(const HttpRequest& request);

}  // namespace orch::apiserver
