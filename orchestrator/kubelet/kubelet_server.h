// The kubelet's HTTP port (Boost.Beast, a thread per connection):
//   GET /healthz                                         "ok"
//   GET /containerLogs/<ns>/<pod>/<container>?follow=&tailLines=&previous=&timestamps=
// Logs are text/plain; with follow=true the body is chunked and streams new lines until the
// container's run ends or the client goes away. The API server's pods/<name>/log proxies here.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "orchestrator/kubelet/pod_worker.h"

namespace orch::kubelet {

// Finds a container's log: NotFound (404) for an unknown pod, InvalidArgument (400) for an
// unknown container or a missing previous run.
using LogFinder = std::function<absl::StatusOr<LogLocation>(
    const std::string& namespace_name, const std::string& pod, const std::string& container,
    bool previous)>;

class KubeletServer {
 public:
  // Binds `address`:`port` (0: a free port) and serves on a background thread.
  static absl::StatusOr<std::unique_ptr<KubeletServer>> Start(const std::string& address,
                                                              uint16_t port, LogFinder find_log);
  ~KubeletServer();  // Stop()
  KubeletServer(const KubeletServer&) = delete;
  KubeletServer& operator=(const KubeletServer&) = delete;

  uint16_t port() const;
  // Closes the port and every connection (ending follows), and joins the threads.
  void Stop();

  struct Impl;
  explicit KubeletServer(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace orch::kubelet
