// orch-http-server: the example "image" of the orchestrator. Binds $POD_IP (default 127.0.0.1)
// on $PORT (default 8080), answers GET / with a line naming the pod ($POD_NAME) and
// GET /healthz with "ok", logs one line per request to stdout, and exits 0 on SIGTERM/SIGINT.
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

// One connection: requests in order, keep-alive, until the client closes.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::string pod_name)
      : stream_(std::move(socket)), pod_name_(std::move(pod_name)) {}

  void Read() {
    request_ = {};
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code error, size_t) {
                       if (!error) self->Answer();
                     });
  }

 private:
  void Answer() {
    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(request_.version());
    response->keep_alive(request_.keep_alive());
    response->set(http::field::content_type, "text/plain");
    const std::string target(request_.target());
    if (request_.method() != http::verb::get) {
      response->result(http::status::method_not_allowed);
      response->body() = "only GET\n";
    } else if (target == "/healthz") {
      response->body() = "ok\n";
    } else if (target == "/" || target.starts_with("/?")) {
      response->body() = "hello from pod " + pod_name_ + "\n";
    } else {
      response->result(http::status::not_found);
      response->body() = "not found\n";
    }
    response->prepare_payload();
    std::cout << request_.method_string() << " " << target << " " << response->result_int()
              << " from " << RemoteAddress() << std::endl;
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response](beast::error_code error, size_t) {
                        if (!error && response->keep_alive()) self->Read();
                      });
  }

  std::string RemoteAddress() {
    beast::error_code error;
    tcp::endpoint remote = stream_.socket().remote_endpoint(error);
    return error ? "?" : remote.address().to_string();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  std::string pod_name_;
};

void Accept(tcp::acceptor& acceptor, const std::string& pod_name) {
  acceptor.async_accept([&acceptor, &pod_name](beast::error_code error, tcp::socket socket) {
    if (error) return;
    std::make_shared<Session>(std::move(socket), pod_name)->Read();
    Accept(acceptor, pod_name);
  });
}

}  // namespace

int main() {
  const std::string address = EnvOr("POD_IP", "127.0.0.1");
  const std::string port_text = EnvOr("PORT", "8080");
  const std::string pod_name = EnvOr("POD_NAME", "unknown");
  try {
    asio::io_context io;
    tcp::endpoint endpoint(asio::ip::make_address(address),
                           static_cast<unsigned short>(std::stoi(port_text)));
    tcp::acceptor acceptor(io);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen();
    asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](beast::error_code, int signal_number) {
      std::cout << "received signal " << signal_number << ", shutting down" << std::endl;
      io.stop();
    });
    std::cout << "listening on " << address << ":" << acceptor.local_endpoint().port() << " as pod "
              << pod_name << std::endl;
    Accept(acceptor, pod_name);
    io.run();
  } catch (const std::exception& error) {
    std::cerr << "orch-http-server: " << error.what() << std::endl;
    return 1;
  }
  return 0;
}
