// The kubelet of one node: registers the Node and renews its Lease, runs a PodWorker per pod
// bound to the node (an Informer with fieldSelector spec.nodeName=<node>), serves logs on its
// HTTP port, and at start cleans up what earlier kubelets left for pods that are gone.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orchestrator/api/types.h"
#include "orchestrator/client/config.h"

namespace orch::kubelet {

struct KubeletConfig {
  client::ClientConfig client;
  std::string node_name;
  std::filesystem::path root_dir;   // pods/<uid>/ (working dirs, logs, process records)
  std::filesystem::path image_dir;  // the executables `image:` names
  std::string pod_cidr = "127.1.0.0/16";
  std::string address = "127.0.0.1";  // where the HTTP port listens
  uint16_t port = 0;                  // 0: a free port
  std::optional<api::Quantity> cpu;
  std::optional<api::Quantity> memory;
  int64_t max_pods = 110;
  std::map<std::string, std::string> node_labels;
  std::vector<api::Taint> register_with_taints;
  absl::Duration lease_renew_interval = absl::Seconds(10);
  absl::Duration status_update_interval = absl::Seconds(10);
  absl::Duration backoff_base = absl::Seconds(10);
  absl::Duration backoff_max = absl::Minutes(5);
  absl::Duration sync_interval = absl::Milliseconds(100);
  std::string shim_path;  // orch-container-shim
  std::filesystem::path cgroup_root = "/sys/fs/cgroup";
};

// "key=value,key2=value2" (--node-labels).
absl::StatusOr<std::map<std::string, std::string>> ParseLabels(const std::string& text);
// "key=value:Effect,key:Effect" (--register-with-taints).
absl::StatusOr<std::vector<api::Taint>> ParseTaints(const std::string& text);

class Kubelet {
 public:
  static absl::StatusOr<std::unique_ptr<Kubelet>> Start(KubeletConfig config);
  ~Kubelet();  // Stop()
  Kubelet(const Kubelet&) = delete;
  Kubelet& operator=(const Kubelet&) = delete;

  uint16_t port() const;
  // Stops watching and serving. The containers keep running: a kubelet started later on the
  // same root directory adopts them.
  void Stop();

  struct Impl;
  explicit Kubelet(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace orch::kubelet
