#include "tests/orchestrator/harness/in_process_apiserver.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "orchestrator/apiserver/api_handler.h"
#include "orchestrator/apiserver/http_server.h"
#include "raftkv/open.h"

namespace orch::testing {

uint16_t FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  uint16_t port = 0;
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  if (fd >= 0) close(fd);
  return port;
}

struct InProcessApiServer::Impl {
  std::filesystem::path directory;
  std::unique_ptr<raftkv::KV> kv;
  std::unique_ptr<apiserver::ApiHandler> handler;
  std::unique_ptr<apiserver::HttpServer> server;
};

absl::StatusOr<std::unique_ptr<InProcessApiServer>> InProcessApiServer::Start() {
  static std::atomic<int> sequence{0};
  auto impl = std::make_unique<Impl>();
  impl->directory = std::filesystem::temp_directory_path() /
                    absl::StrCat("orch-test-", getpid(), "-", sequence++, "-", FreeLoopbackPort());
  std::error_code error;
  std::filesystem::remove_all(impl->directory, error);
  std::filesystem::create_directories(impl->directory, error);
  if (error) return absl::InternalError(absl::StrCat("cannot create ", impl->directory.string()));
  // Peer and client ports of its own: the defaults (2380, 2379) may be taken.
  const std::string store = absl::StrCat("embedded://", (impl->directory / "store").string(),
                                         "?peer=http://127.0.0.1:", FreeLoopbackPort());
  absl::StatusOr<std::unique_ptr<raftkv::KV>> kv = raftkv::OpenKV(store);
  if (!kv.ok()) return kv.status();
  impl->kv = std::move(*kv);
  const uint16_t port = FreeLoopbackPort();
  impl->handler =
      std::make_unique<apiserver::ApiHandler>(*impl->kv, absl::StrCat("127.0.0.1:", port));
  if (absl::Status status = impl->handler->EnsureDefaultNamespace(); !status.ok()) return status;
  apiserver::ApiHandler* handler = impl->handler.get();
  absl::StatusOr<std::unique_ptr<apiserver::HttpServer>> server = apiserver::HttpServer::Start(
      "127.0.0.1", port,
      [handler](const apiserver::HttpRequest& request) { return handler->Handle(request); });
  if (!server.ok()) return server.status();
  impl->server = std::move(*server);
  return std::make_unique<InProcessApiServer>(std::move(impl));
}

InProcessApiServer::InProcessApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

InProcessApiServer::~InProcessApiServer() {
  impl_->server->Stop();
  impl_->server.reset();
  impl_->handler.reset();
  impl_->kv.reset();
  std::error_code error;
  std::filesystem::remove_all(impl_->directory, error);
}

uint16_t InProcessApiServer::port() const {
  return impl_->server->port();
}

std::string InProcessApiServer::url() const {
  return absl::StrCat("http://127.0.0.1:", port());
}

client::ClientConfig InProcessApiServer::client_config() const {
  client::ClientConfig config;
  config.port = port();
  config.user_agent = "orch-test";
  return config;
}

raftkv::KV& InProcessApiServer::kv() {
  return *impl_->kv;
}

const std::filesystem::path& InProcessApiServer::directory() const {
  return impl_->directory;
}

}  // namespace orch::testing
