#include "orchestrator/apiserver/http_server.h"

#include <poll.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "spdlog/spdlog.h"

namespace orch::apiserver {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr uint64_t kBodyLimit = 3 * 1024 * 1024;  // Kubernetes' request size limit

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The handler's extra header fields: Cache-Control replaces the default, others are added
// (Warning may appear several times).
template <typename Message>
void AddHeaders(Message& message, const std::vector<std::pair<std::string, std::string>>& headers) {
  for (const auto& [name, value] : headers) {
    if (boost::beast::iequals(name, "Cache-Control")) {
      message.set(http::field::cache_control, value);
    } else {
      message.insert(name, value);
    }
  }
}

HttpRequest ToHttpRequest(http::request<http::string_body>& message) {
  HttpRequest request;
  request.method = std::string(message.method_string());
  const std::string target_text(message.target());
  std::string_view target = target_text;
  size_t question = target.find('?');
  request.path = PercentDecode(target.substr(0, question), false);
  if (question != std::string_view::npos) {
    for (absl::string_view pair : absl::StrSplit(
             absl::string_view(target_text).substr(question + 1), '&', absl::SkipEmpty())) {
      std::string_view pair_text(pair.data(), pair.size());
      size_t equals = pair_text.find('=');
      std::string name = PercentDecode(pair_text.substr(0, equals), true);
      std::string value =
          equals == std::string_view::npos ? "" : PercentDecode(pair_text.substr(equals + 1), true);
      request.query.emplace(std::move(name), std::move(value));
    }
  }
  request.accept = std::string(message[http::field::accept]);
  request.content_type = std::string(message[http::field::content_type]);
  request.body = std::move(message.body());
  return request;
}

// Chunks of a streamed response, written straight to the connection's socket.
class SocketChunkSink : public ChunkSink {
 public:
  SocketChunkSink(tcp::socket& socket, const std::atomic<bool>& stopping)
      : socket_(socket), stopping_(stopping) {}

  bool Write(std::string_view chunk) override {
    boost::system::error_code error;
    asio::write(socket_, http::make_chunk(asio::buffer(chunk.data(), chunk.size())), error);
    return !error;
  }

  bool ClientGone() override {
    if (stopping_) return true;
    pollfd descriptor{.fd = socket_.native_handle(), .events = POLLIN | POLLRDHUP, .revents = 0};
    if (::poll(&descriptor, 1, 0) <= 0) return false;
    if ((descriptor.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) return true;
    char byte = 0;
    return ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
  }

 private:
  tcp::socket& socket_;
  const std::atomic<bool>& stopping_;
};

}  // namespace

std::string HttpRequest::Query(std::string_view name) const {
  auto found = query.find(name);
  return found == query.end() ? std::string() : found->second;
}

std::string PercentDecode(std::string_view text, bool plus_is_space) {
  std::string decoded;
  decoded.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
        HexValue(text[i + 2]) >= 0) {
      decoded.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else if (text[i] == '+' && plus_is_space) {
      decoded.push_back(' ');
    } else {
      decoded.push_back(text[i]);
    }
  }
  return decoded;
}

struct HttpServer::Impl {
  struct Connection {
    std::shared_ptr<tcp::socket> socket;
    std::thread thread;
    std::atomic<bool> done{false};
  };

  explicit Impl(HttpHandler handler_in) : handler(std::move(handler_in)) {}

  void AcceptLoop() {
    while (!stopping) {
      auto socket = std::make_shared<tcp::socket>(io);
      boost::system::error_code error;
      acceptor.accept(*socket, error);
      if (error) {
        if (stopping) return;
        spdlog::warn("apiserver: accept failed: {}", error.message());
        continue;
      }
      std::lock_guard lock(mutex);
      ReapFinishedLocked();
      auto& connection = connections.emplace_back();
      connection.socket = socket;
      connection.thread = std::thread([this, &connection] {
        Serve(*connection.socket);
        connection.done = true;
      });
    }
  }

  void ReapFinishedLocked() {
    for (auto it = connections.begin(); it != connections.end();) {
      if (it->done) {
        it->thread.join();
        it = connections.erase(it);
      } else {
        ++it;
      }
    }
  }

  void Serve(tcp::socket& socket) {
    boost::beast::flat_buffer buffer;
    boost::system::error_code error;
    while (!stopping) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(kBodyLimit);
      http::read(socket, buffer, parser, error);
      if (error) break;
      http::request<http::string_body> message = parser.release();
      const bool keep_alive = message.keep_alive();
      const unsigned version = message.version();
      HttpResponse response = handler(ToHttpRequest(message));
      if (response.stream) {
        http::response<http::empty_body> header{static_cast<http::status>(response.status),
                                                version};
        header.set(http::field::content_type, response.content_type);
        header.set(http::field::cache_control, "no-cache, private");
        AddHeaders(header, response.headers);
        header.chunked(true);
        header.keep_alive(keep_alive);
        http::response_serializer<http::empty_body> serializer{header};
        http::write_header(socket, serializer, error);
        if (error) break;
        SocketChunkSink sink(socket, stopping);
        response.stream(sink);
        asio::write(socket, http::make_chunk_last(), error);
      } else {
        http::response<http::string_body> reply{static_cast<http::status>(response.status),
                                                version};
        reply.set(http::field::content_type, response.content_type);
        reply.set(http::field::cache_control, "no-cache, private");
        AddHeaders(reply, response.headers);
        reply.body() = std::move(response.body);
        reply.keep_alive(keep_alive);
        reply.prepare_payload();
        http::write(socket, reply, error);
      }
      if (error || !keep_alive) break;
    }
    socket.shutdown(tcp::socket::shutdown_both, error);
  }

  HttpHandler handler;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::atomic<bool> stopping{false};
  std::thread accept_thread;
  std::mutex mutex;
  std::list<Connection> connections;  // guarded by mutex
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  Stop();
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& host,
                                                              uint16_t port, HttpHandler handler) {
  auto impl = std::make_unique<Impl>(std::move(handler));
  boost::system::error_code error;
  auto address = asio::ip::make_address(host, error);
  if (error) return absl::InvalidArgumentError(absl::StrCat("bad listen address ", host));
  tcp::endpoint endpoint(address, port);
  impl->acceptor.open(endpoint.protocol(), error);
  if (!error) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), error);
  if (!error) impl->acceptor.bind(endpoint, error);
  if (!error) impl->acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", host, ":", port, ": ", error.message()));
  }
  const uint16_t bound_port = impl->acceptor.local_endpoint().port();
  Impl* raw = impl.get();
  impl->accept_thread = std::thread([raw] { raw->AcceptLoop(); });
  auto server = std::make_unique<HttpServer>(std::move(impl));
  server->port_ = bound_port;
  return server;
}

void HttpServer::Stop() {
  if (impl_ == nullptr || impl_->stopping.exchange(true)) return;
  boost::system::error_code error;
  // Wakes the blocked accept (Linux fails it once the listening socket is shut down).
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  impl_->accept_thread.join();
  impl_->acceptor.close(error);
  std::lock_guard lock(impl_->mutex);
  for (auto& connection : impl_->connections) {
    connection.socket->shutdown(tcp::socket::shutdown_both, error);
  }
  for (auto& connection : impl_->connections)
    connection.thread.join();
  impl_->connections.clear();
}

}  // namespace orch::apiserver
