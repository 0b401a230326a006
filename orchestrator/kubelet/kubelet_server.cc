#include "orchestrator/kubelet/kubelet_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "orchestrator/kubelet/log_files.h"
#include "spdlog/spdlog.h"

namespace orch::kubelet {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

std::string PercentDecode(const std::string& text) {
  std::string out;
  for (size_t index = 0; index < text.size(); ++index) {
    if (text[index] == '%' && index + 2 < text.size()) {
      int value = 0;
      if (absl::SimpleHexAtoi(text.substr(index + 1, 2), &value)) {
        out.push_back(static_cast<char>(value));
        index += 2;
        continue;
      }
    }
    out.push_back(text[index] == '+' ? ' ' : text[index]);
  }
  return out;
}

struct Target {
  std::vector<std::string> segments;
  std::map<std::string, std::string> query;
};

Target ParseTarget(const std::string& target) {
  Target parsed;
  const size_t question = target.find('?');
  const std::string path = target.substr(0, question);
  for (absl::string_view segment : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    parsed.segments.push_back(PercentDecode(std::string(segment)));
  }
  if (question != std::string::npos) {
    for (absl::string_view pair :
         absl::StrSplit(target.substr(question + 1), '&', absl::SkipEmpty())) {
      std::vector<std::string> parts = absl::StrSplit(pair, absl::MaxSplits('=', 1));
      parsed.query[PercentDecode(parts[0])] = parts.size() > 1 ? PercentDecode(parts[1]) : "";
    }
  }
  return parsed;
}

bool QueryFlag(const Target& target, const std::string& name) {
  auto found = target.query.find(name);
  return found != target.query.end() && (found->second == "true" || found->second == "1");
}

}  // namespace

struct KubeletServer::Impl {
  LogFinder find_log;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  uint16_t port = 0;
  std::atomic<bool> stopping{false};
  std::thread accept_thread;
  std::mutex mutex;  // guards connections
  struct Connection {
    tcp::socket socket;
    std::thread thread;
    std::atomic<bool> done{false};
    explicit Connection(tcp::socket s) : socket(std::move(s)) {}
  };
  std::list<std::unique_ptr<Connection>> connections;

  void AcceptLoop() {
    while (!stopping) {
      beast::error_code error;
      tcp::socket socket(io);
      acceptor.accept(socket, error);
      if (error) {
        if (stopping) return;
        continue;
      }
      std::lock_guard lock(mutex);
      // Joins connections that ended, so threads do not pile up.
      for (auto it = connections.begin(); it != connections.end();) {
        if ((*it)->done) {
          (*it)->thread.join();
          it = connections.erase(it);
        } else {
          ++it;
        }
      }
      auto connection = std::make_unique<Connection>(std::move(socket));
      Connection* raw = connection.get();
      connection->thread = std::thread([this, raw] {
        Serve(raw->socket);
        raw->done = true;
      });
      connections.push_back(std::move(connection));
    }
  }

  void Serve(tcp::socket& socket) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> request;
      beast::error_code error;
      http::read(socket, buffer, request, error);
      if (error) return;
      if (!Answer(socket, request)) return;
      if (!request.keep_alive()) return;
    }
  }

  // False when the connection must close.
  bool Answer(tcp::socket& socket, const http::request<http::string_body>& request) {
    const Target target = ParseTarget(std::string(request.target()));
    auto reply = [&](http::status status, std::string body) {
      http::response<http::string_body> response(status, request.version());
      response.set(http::field::content_type, "text/plain; charset=utf-8");
      response.keep_alive(request.keep_alive());
      response.body() = std::move(body);
      response.prepare_payload();
      beast::error_code error;
      http::write(socket, response, error);
      return !error;
    };
    if (request.method() != http::verb::get) {
      return reply(http::status::method_not_allowed, "only GET is served\n");
    }
    if (target.segments.size() == 1 && target.segments[0] == "healthz") {
      return reply(http::status::ok, "ok");
    }
    if (target.segments.size() != 4 || target.segments[0] != "containerLogs") {
      return reply(http::status::not_found, "404 page not found\n");
    }
    absl::StatusOr<LogLocation> location = find_log(
        target.segments[1], target.segments[2], target.segments[3], QueryFlag(target, "previous"));
    if (!location.ok()) {
      const http::status status =
          absl::IsNotFound(location.status()) ? http::status::not_found : http::status::bad_request;
      return reply(status, std::string(location.status().message()) + "\n");
    }
    LogOptions options;
    options.timestamps = QueryFlag(target, "timestamps");
    if (auto tail = target.query.find("tailLines"); tail != target.query.end()) {
      int64_t lines = 0;
      if (!absl::SimpleAtoi(tail->second, &lines) || lines < 0) {
        return reply(http::status::bad_request, "tailLines must be a non-negative integer\n");
      }
      options.tail_lines = lines;
    }
    if (!QueryFlag(target, "follow"))
      return reply(http::status::ok, ReadLog(location->log, options));
    // Streamed: a chunk per batch of lines, until the run ends or the client leaves.
    http::response<http::empty_body> response(http::status::ok, request.version());
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    response.chunked(true);
    http::response_serializer<http::empty_body> serializer(response);
    beast::error_code error;
    http::write_header(socket, serializer, error);
    if (error) return false;
    const std::filesystem::path exit_file = location->exit;
    FollowLog(
        location->log, options,
        [&](std::string_view text) {
          asio::write(socket, http::make_chunk(asio::buffer(text.data(), text.size())), error);
          return !error && !stopping;
        },
        [&] {
          std::error_code ignored;
          return stopping || std::filesystem::exists(exit_file, ignored);
        });
    if (error) return false;
    asio::write(socket, http::make_chunk_last(), error);
    return false;  // close after a stream: simpler for every client
  }
};

absl::StatusOr<std::unique_ptr<KubeletServer>> KubeletServer::Start(const std::string& address,
                                                                    uint16_t port,
                                                                    LogFinder find_log) {
  auto impl = std::make_unique<Impl>();
  impl->find_log = std::move(find_log);
  beast::error_code error;
  tcp::endpoint endpoint(asio::ip::make_address(address, error), port);
  if (error) return absl::InvalidArgumentError(absl::StrCat("bad address ", address));
  impl->acceptor.open(endpoint.protocol(), error);
  if (!error) impl->acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) impl->acceptor.bind(endpoint, error);
  if (!error) impl->acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, ":", port, ": ", error.message()));
  }
  impl->port = impl->acceptor.local_endpoint().port();
  Impl* raw = impl.get();
  impl->accept_thread = std::thread([raw] { raw->AcceptLoop(); });
  return std::make_unique<KubeletServer>(std::move(impl));
}

KubeletServer::KubeletServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

KubeletServer::~KubeletServer() {
  Stop();
}

uint16_t KubeletServer::port() const {
  return impl_->port;
}

void KubeletServer::Stop() {
  if (impl_->stopping.exchange(true)) return;
  beast::error_code error;
  impl_->acceptor.cancel(error);
  impl_->acceptor.close(error);
  // A blocking accept is not woken by close on every platform: connect once to wake it.
  {
    asio::io_context io;
    tcp::socket poke(io);
    poke.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), impl_->port), error);
  }
  impl_->accept_thread.join();
  std::lock_guard lock(impl_->mutex);
  for (auto& connection : impl_->connections) {
    connection->socket.shutdown(tcp::socket::shutdown_both, error);
  }
  for (auto& connection : impl_->connections)
    connection->thread.join();
  impl_->connections.clear();
}

}  // namespace orch::kubelet
