#include "raftkv/server/http_endpoints.h"

#include <array>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "asio.hpp"
#include "raftkv/server/etcd_version.h"
#include "spdlog/spdlog.h"

namespace raftkv::server {
namespace {

constexpr size_t kMaxRequestHeadBytes = 8 * 1024;

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 503:
      return "Service Unavailable";
    default:
      return "Bad Request";
  }
}

std::string Serialize(const HttpReply& reply, bool head_only) {
  std::string out =
      absl::StrCat("HTTP/1.1 ", reply.status, " ", std::string(ReasonPhrase(reply.status)),
                   "\r\nContent-Type: ", reply.content_type,
                   "\r\nContent-Length: ", reply.body.size(), "\r\nConnection: close\r\n\r\n");
  if (!head_only) out += reply.body;
  return out;
}

// One connection: read the request head, answer, close.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::ip::tcp::socket socket, const HttpSources* sources)
      : socket_(std::move(socket)), buffer_(kMaxRequestHeadBytes), sources_(sources) {}

  void Start() {
    asio::async_read_until(
        socket_, buffer_, "\r\n\r\n",
        [self = shared_from_this()](std::error_code error, size_t) { self->OnHead(error); });
  }

 private:
  void OnHead(std::error_code error) {
    if (error) return;  // client gone or head too large: just close
    std::istream in(&buffer_);
    std::string request_line;
    std::getline(in, request_line);
    if (!request_line.empty() && request_line.back() == '\r') request_line.pop_back();
    std::vector<std::string> parts = absl::StrSplit(request_line, ' ');
    HttpReply reply;
    bool head_only = false;
    if (parts.size() != 3) {
      reply = {400, "text/plain", "bad request\n"};
    } else {
      head_only = parts[0] == "HEAD";
      reply = AnswerHttp(parts[0], parts[1], *sources_);
    }
    response_ = Serialize(reply, head_only);
    asio::async_write(socket_, asio::buffer(response_),
                      [self = shared_from_this()](std::error_code, size_t) {
                        std::error_code ignored;
                        self->socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
                      });
  }

  asio::ip::tcp::socket socket_;
  asio::streambuf buffer_;
  std::string response_;
  const HttpSources* sources_;
};

}  // namespace

HttpReply AnswerHttp(std::string_view method, std::string_view target, const HttpSources& sources) {
  if (method != "GET" && method != "HEAD") return {405, "text/plain", "method not allowed\n"};
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/health") {
    const bool healthy = sources.healthy();
    return {healthy ? 200 : 503, "application/json",
            healthy ? R"({"health":"true"})" : R"({"health":"false"})"};
  }
  if (path == "/metrics") {
    return {200, "text/plain; version=0.0.4; charset=utf-8", sources.metrics()};
  }
  if (path == "/version") {
    return {200, "application/json",
            absl::StrCat(R"({"etcdserver":")", std::string(kEtcdServerVersion),
                         R"(","etcdcluster":")", std::string(kEtcdClusterVersion), R"("})")};
  }
  return {404, "text/plain", "404 page not found\n"};
}

class HttpEndpoints::Impl {
 public:
  explicit Impl(HttpSources sources) : sources_(std::move(sources)) {}

  ~Impl() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  absl::Status Listen(const Url& url) {
    std::error_code error;
    const asio::ip::address address = url.host == "localhost"
                                          ? asio::ip::address_v4::loopback()
                                          : asio::ip::make_address(url.host, error);
    if (error) return absl::InvalidArgumentError(absl::StrCat("bad host in ", url.ToString()));
    auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(io_);
    const asio::ip::tcp::endpoint endpoint(address, url.port);
    acceptor->open(endpoint.protocol(), error);
    if (!error) acceptor->set_option(asio::socket_base::reuse_address(true), error);
    if (!error) acceptor->bind(endpoint, error);
    if (!error) acceptor->listen(asio::socket_base::max_listen_connections, error);
    if (error) {
      return absl::UnavailableError(
          absl::StrCat("listen tcp ", url.HostPort(), ": ", error.message()));
    }
    spdlog::info("serving /health, /metrics and /version on http://{}:{}", url.host,
                 acceptor->local_endpoint().port());
    acceptors_.push_back(std::move(acceptor));
    Accept(*acceptors_.back());
    return absl::OkStatus();
  }

  void Run() {
    thread_ = std::thread([this] { io_.run(); });
  }

  std::vector<int> ports() const {
    std::vector<int> ports;
    for (const auto& acceptor : acceptors_)
      ports.push_back(acceptor->local_endpoint().port());
    return ports;
  }

 private:
  void Accept(asio::ip::tcp::acceptor& acceptor) {
    acceptor.async_accept([this, &acceptor](std::error_code error, asio::ip::tcp::socket socket) {
      if (error == asio::error::operation_aborted) return;
      if (!error) std::make_shared<Connection>(std::move(socket), &sources_)->Start();
      Accept(acceptor);
    });
  }

  const HttpSources sources_;
  asio::io_context io_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::thread thread_;
};

HttpEndpoints::HttpEndpoints(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpEndpoints::~HttpEndpoints() = default;

absl::StatusOr<std::unique_ptr<HttpEndpoints>> HttpEndpoints::Start(const std::vector<Url>& urls,
                                                                    HttpSources sources) {
  auto impl = std::make_unique<Impl>(std::move(sources));
  for (const Url& url : urls) {
    if (absl::Status status = impl->Listen(url); !status.ok()) return status;
  }
  impl->Run();
  return std::unique_ptr<HttpEndpoints>(new HttpEndpoints(std::move(impl)));
}

std::vector<int> HttpEndpoints::ports() const {
  return impl_->ports();
}

}  // namespace raftkv::server
