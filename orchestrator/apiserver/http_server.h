// The API server's HTTP/1.1 transport: Boost.Beast over asio, one thread per connection with
// blocking reads and writes (keep-alive; a watch holds its connection's thread for as long
// as it streams), and chunked bodies for streamed responses. It knows nothing of Kubernetes:
// a handler turns each request into a response.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace orch::apiserver {

struct HttpRequest {
  std::string method;
  std::string path;  // percent-decoded, without the query
  std::map<std::string, std::string, std::less<>> query;
  std::string accept;
  std::string content_type;
  std::string body;

  // The query parameter's value, "" when absent.
  std::string Query(std::string_view name) const;
};

// Where a streamed response writes its chunks.
class ChunkSink {
 public:
  virtual ~ChunkSink() = default;
  // One chunk, sent at once; false when the client is gone (stop streaming).
  virtual bool Write(std::string_view chunk) = 0;
  // Whether the client closed its end or the server is stopping; for idle streams to notice.
  virtual bool ClientGone() = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Further header fields, in order; a name may repeat (Warning). A Cache-Control here
  // replaces the default "no-cache, private".
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the response is chunked and this writes the body; it returns when done.
  std::function<void(ChunkSink&)> stream;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  // Binds host:port (port 0: any free port) and starts accepting on a background thread.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& host, uint16_t port,
                                                           HttpHandler handler);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const { return port_; }
  // Stops accepting, closes every connection and joins their threads.
  void Stop();

  struct Impl;  // defined in the .cc: only Start can make one
  explicit HttpServer(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

// Percent-decoding of a URL component ("+" as a space when `plus_is_space`).
std::string PercentDecode(std::string_view text, bool plus_is_space);

}  // namespace orch::apiserver
