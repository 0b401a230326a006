// An orchestrator API server inside the test process, over a one-member embedded raftkv store
// in a fresh temporary directory, listening on a free 127.0.0.1 port. Tests of the client,
// scheduler, controllers and kubelet talk to it over real HTTP, as the components do.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "orchestrator/client/config.h"
#include "raftkv/kv.h"

namespace orch::testing {

// A free TCP port on 127.0.0.1 (bound and released; the race is accepted in tests).
uint16_t FreeLoopbackPort();

class InProcessApiServer {
 public:
  static absl::StatusOr<std::unique_ptr<InProcessApiServer>> Start();
  ~InProcessApiServer();  // stops serving, closes the store, removes the directory
  InProcessApiServer(const InProcessApiServer&) = delete;
  InProcessApiServer& operator=(const InProcessApiServer&) = delete;

  uint16_t port() const;
  std::string url() const;  // "http://127.0.0.1:<port>"
  client::ClientConfig client_config() const;
  // The store underneath, for tests that check what was written or compact it.
  raftkv::KV& kv();
  const std::filesystem::path& directory() const;

  struct Impl;
  explicit InProcessApiServer(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace orch::testing
