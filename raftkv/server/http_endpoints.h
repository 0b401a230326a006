#ifndef RAFTKV_SERVER_HTTP_ENDPOINTS_H_
#define RAFTKV_SERVER_HTTP_ENDPOINTS_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "raftkv/server/url.h"

namespace raftkv::server {

// What the HTTP endpoints report (a Member's IsHealthy and MetricsText in the binary).
struct HttpSources {
  std::function<bool()> healthy;
  std::function<std::string()> metrics;
};

// One HTTP answer.
struct HttpReply {
  int status = 200;
  std::string content_type;
  std::string body;
};

// etcd's plain-HTTP endpoints, for monitoring:
//   GET /health   200 {"health":"true"} or 503 {"health":"false"}
//   GET /metrics  the Prometheus text format
//   GET /version  {"etcdserver":"3.4.23","etcdcluster":"3.4.0"}
// anything else is 404, a method other than GET or HEAD is 405.
HttpReply AnswerHttp(std::string_view method, std::string_view target, const HttpSources& sources);

// Serves AnswerHttp on --listen-metrics-urls. etcd also serves these paths on the client
// port by multiplexing HTTP/1 and gRPC there; raftkv's client port is gRPC only, so monitors
// use the metrics URLs (etcdctl's `endpoint health` needs neither: it reads the key "health"
// over gRPC). One connection answers one request (Connection: close).
class HttpEndpoints {
 public:
  // Binds every URL (port 0 picks a free one) and serves on a thread of its own.
  static absl::StatusOr<std::unique_ptr<HttpEndpoints>> Start(const std::vector<Url>& urls,
                                                              HttpSources sources);
  // Stops serving and joins the thread.
  ~HttpEndpoints();
  HttpEndpoints(const HttpEndpoints&) = delete;
  HttpEndpoints& operator=(const HttpEndpoints&) = delete;

  // The bound ports, in the order of `urls`.
  std::vector<int> ports() const;

 private:
  class Impl;
  explicit HttpEndpoints(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_HTTP_ENDPOINTS_H_
