#include "orchestrator/apiserver/pod_logs.h"

#include <poll.h>

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cerrno>
#include <limits>
#include <memory>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/status.h"

namespace orch::apiserver {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using api::Json;
using tcp = asio::ip::tcp;

constexpr int kClientCheckMillis = 500;
constexpr size_t kErrorBodyLimit = 4096;
constexpr size_t kChunkSize = 16 * 1024;

HttpResponse StatusResponse(const Json& status) {
  HttpResponse response;
  response.status = api::StatusCode(status);
  response.body = status.dump();
  return response;
}

std::vector<std::string> ContainerNames(const Json& pod) {
  std::vector<std::string> names;
  for (std::string_view list : {"initContainers", "containers", "ephemeralContainers"}) {
    for (const Json& container : api::ArrayAt(pod, {"spec", list})) {
      names.push_back(api::StringAt(container, {"name"}));
    }
  }
  return names;
}

std::string PercentEncode(std::string_view text) {
  std::string encoded;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      encoded.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&encoded, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return encoded;
}

// Upstream GenericHttpResponseChecker: how a kubelet's error becomes the API's.
Json StatusForKubeletError(int code, const std::string& body, const std::string& pod_name) {
  if (code == 500) return api::StatusInternalError(body);
  if (code == 400) return api::StatusBadRequest(body);
  Json status = api::StatusInternalError(body);
  std::string reason = "Unknown";
  std::string message = absl::StrCat("the server responded with the status code ", code,
                                     " but did not return more information");
  if (code == 404) {
    reason = "NotFound";
    message = "the server could not find the requested resource";
  }
  status["code"] = code;
  status["reason"] = reason;
  status["message"] = absl::StrCat(message, " ( pods/log ", pod_name, ")");
  Json details = {{"name", pod_name}, {"kind", "pods/log"}};
  if (!body.empty()) {
    details["causes"] = Json::array({{{"reason", "UnexpectedServerResponse"}, {"message", body}}});
  }
  status["details"] = std::move(details);
  return status;
}

// One open log response from a kubelet: its socket and the parser positioned at the body.
struct KubeletLog {
  asio::io_context io;
  tcp::socket socket{io};
  boost::beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;

  // Waits until the kubelet's socket has bytes (or closed), checking every half second
  // whether the client is still there; false when the client went.
  bool WaitReadable(ChunkSink& sink) {
    for (;;) {
      pollfd descriptor{.fd = socket.native_handle(), .events = POLLIN, .revents = 0};
      const int ready = ::poll(&descriptor, 1, kClientCheckMillis);
      if (ready > 0) return true;
      if (ready < 0 && errno != EINTR) return true;  // the read reports the error
      if (sink.ClientGone()) return false;
    }
  }

  // Relays the body until the kubelet ends it, an error, or the client goes.
  void Relay(ChunkSink& sink) {
    std::array<char, kChunkSize> chunk{};
    while (!parser.is_done()) {
      if (buffer.size() == 0 && !WaitReadable(sink)) return;
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      boost::system::error_code error;
      http::read_some(socket, buffer, parser, error);
      if (error == http::error::need_buffer) error = {};
      const size_t filled = chunk.size() - parser.get().body().size;
      if (filled > 0 && !sink.Write(std::string_view(chunk.data(), filled))) return;
      if (error) return;
    }
  }

  // The whole (short) body of an error response.
  std::string ReadErrorBody() {
    std::string body;
    std::array<char, kChunkSize> chunk{};
    while (!parser.is_done() && body.size() < kErrorBodyLimit) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      boost::system::error_code error;
      http::read_some(socket, buffer, parser, error);
      if (error == http::error::need_buffer) error = {};
      body.append(chunk.data(), chunk.size() - parser.get().body().size);
      if (error) break;
    }
    return body.substr(0, kErrorBodyLimit);
  }
};

}  // namespace

LogContainer ResolveLogContainer(const Json& pod, std::string_view requested) {
  const std::vector<std::string> names = ContainerNames(pod);
  const std::string pod_name = api::NameOf(pod);
  LogContainer result;
  if (!requested.empty()) {
    if (std::find(names.begin(), names.end(), requested) == names.end()) {
      result.error = api::StatusBadRequest(
          absl::StrCat("container ", std::string(requested), " is not valid for pod ", pod_name));
    } else {
      result.name = std::string(requested);
    }
    return result;
  }
  const Json& containers = api::ArrayAt(pod, {"spec", "containers"});
  if (containers.size() == 1) {
    result.name = api::StringAt(containers[0], {"name"});
  } else if (containers.empty()) {
    result.error = api::StatusBadRequest(
        absl::StrCat("a container name must be specified for pod ", pod_name));
  } else {
    result.error =
        api::StatusBadRequest(absl::StrCat("a container name must be specified for pod ", pod_name,
                                           ", choose one of: [", absl::StrJoin(names, " "), "]"));
  }
  return result;
}

std::optional<KubeletAddress> KubeletAddressOf(const Json& node) {
  KubeletAddress address;
  for (const Json& entry : api::ArrayAt(node, {"status", "addresses"})) {
    if (api::StringAt(entry, {"type"}) == "InternalIP") {
      address.host = api::StringAt(entry, {"address"});
      break;
    }
  }
  const std::optional<int64_t> port =
      api::IntAt(node, {"status", "daemonEndpoints", "kubeletEndpoint", "Port"});
  if (address.host.empty() || !port.has_value() || *port <= 0 || *port > 65535) {
    return std::nullopt;
  }
  address.port = static_cast<uint16_t>(*port);
  return address;
}

std::string KubeletLogTarget(std::string_view namespace_name, std::string_view pod,
                             std::string_view container,
                             const std::function<std::string(std::string_view)>& query) {
  std::string target = absl::StrCat("/containerLogs/", PercentEncode(namespace_name), "/",
                                    PercentEncode(pod), "/", PercentEncode(container));
  std::vector<std::string> parameters;
  for (std::string_view name : {"follow", "tailLines", "previous", "timestamps", "sinceSeconds",
                                "sinceTime", "limitBytes"}) {
    const std::string value = query(name);
    if (!value.empty())
      parameters.push_back(absl::StrCat(std::string(name), "=", PercentEncode(value)));
  }
  if (!parameters.empty()) absl::StrAppend(&target, "?", absl::StrJoin(parameters, "&"));
  return target;
}

HttpResponse ProxyKubeletLog(const KubeletAddress& kubelet, const std::string& target,
                             const std::string& pod_name) {
  auto log = std::make_shared<KubeletLog>();
  // No limit on a log; not boost::none, which Beast 1.74 compares as below any Content-Length.
  log->parser.body_limit(std::numeric_limits<uint64_t>::max());
  boost::system::error_code error;
  const std::string url = absl::StrCat("http://", kubelet.host, ":", kubelet.port, target);
  const asio::ip::address address = asio::ip::make_address(kubelet.host, error);
  if (!error) log->socket.connect(tcp::endpoint(address, kubelet.port), error);
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, absl::StrCat(kubelet.host, ":", kubelet.port));
  request.set(http::field::user_agent, "orch-apiserver");
  if (!error) http::write(log->socket, request, error);
  if (!error) http::read_header(log->socket, log->buffer, log->parser, error);
  if (error) {
    return StatusResponse(
        api::StatusInternalError(absl::StrCat("Get \"", url, "\": ", error.message())));
  }
  const int code = static_cast<int>(log->parser.get().result_int());
  if (code < 200 || code > 206) {
    return StatusResponse(StatusForKubeletError(code, log->ReadErrorBody(), pod_name));
  }
  HttpResponse response;
  response.content_type = "text/plain";
  response.stream = [log](ChunkSink& sink) { log->Relay(sink); };
  return response;
}

}  // namespace orch::apiserver
