// pods/<name>/log: the API server relays the log from the kubelet that runs the pod, as
// Kubernetes does (pkg/registry/core/pod/rest/log.go and strategy.go LogLocation): the
// kubelet's address from the Node (status.addresses InternalIP and
// status.daemonEndpoints.kubeletEndpoint.Port), GET /containerLogs/<ns>/<pod>/<container>
// there, and its body passed on chunk by chunk as it arrives (follow streams indefinitely).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "orchestrator/api/json.h"
#include "orchestrator/apiserver/http_server.h"

namespace orch::apiserver {

// The container a log request names (upstream validateContainer): `requested` if the pod has
// it, else the pod's only container. A BadRequest Status otherwise: "a container name must be
// specified for pod X, choose one of: [a b]", "container c is not valid for pod X".
struct LogContainer {
  std::string name;
  std::optional<api::Json> error;
};
LogContainer ResolveLogContainer(const api::Json& pod, std::string_view requested);

struct KubeletAddress {
  std::string host;
  uint16_t port = 0;
};
// The node's InternalIP and kubelet port; nullopt when the node reports either not.
std::optional<KubeletAddress> KubeletAddressOf(const api::Json& node);

// "/containerLogs/<ns>/<pod>/<container>" with the log options of the request (follow,
// tailLines, previous, timestamps, sinceSeconds, sinceTime, limitBytes) as its query;
// `query` returns "" for an absent parameter.
std::string KubeletLogTarget(std::string_view namespace_name, std::string_view pod,
                             std::string_view container,
                             const std::function<std::string(std::string_view)>& query);

// Opens `target` at the kubelet and answers with its body streamed as text/plain, or with
// the Status upstream makes of the kubelet's error (400 and 500 carry its text; others a
// generic response naming pods/log <pod>); 500 when the kubelet cannot be reached.
HttpResponse ProxyKubeletLog(const KubeletAddress& kubelet, const std::string& target,
                             const std::string& pod_name);

}  // namespace orch::apiserver
