// One pod on this node: its own thread starts the pod's containers (init containers first, in
// order), watches them through their shim files, restarts them by the restart policy with
// back-off, probes them, stops them when the pod is deleted, and writes the pod's status when
// it changed. Everything it knows about what ran is on disk under the pod's directory
// (<root>/pods/<uid>/), so a new kubelet's worker for the same pod continues where the old one
// stopped: it adopts live processes and never starts an attempt twice.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/types.h"
#include "orchestrator/kubelet/cgroups.h"
#include "orchestrator/kubelet/container_process.h"
#include "orchestrator/kubelet/pod_ips.h"

namespace orch::kubelet {

// What a pod worker asks of the API server.
class PodApi {
 public:
  virtual ~PodApi() = default;
  // Writes `status` (a complete pod status) through the status subresource.
  virtual absl::Status WritePodStatus(const api::Json& pod, const api::Json& status) = 0;
  // Removes the pod object at once (grace period 0, precondition: its uid).
  virtual absl::Status DeletePod(const api::Json& pod) = 0;
  virtual void RecordEvent(const api::Json& pod, std::string_view type, std::string_view reason,
                           std::string_view message) = 0;
};

struct PodWorkerConfig {
  std::string node_name;
  std::string host_ip = "127.0.0.1";
  std::filesystem::path pods_dir;  // <root>/pods
  std::filesystem::path image_dir;
  std::string shim_path;
  std::string path_variable = "/usr/local/bin:/usr/bin:/bin";
  absl::Duration backoff_base = absl::Seconds(10);
  absl::Duration backoff_max = absl::Minutes(5);
  absl::Duration sync_interval = absl::Milliseconds(100);
  // The grace period for pods removed from the API without a graceful deletion.
  absl::Duration orphan_grace = absl::Seconds(2);
};

// Where a container's log is, for the log endpoint.
struct LogLocation {
  std::filesystem::path log;
  std::filesystem::path exit;  // exists once that run ended (a follow stops there)
};

class PodWorker {
 public:
  PodWorker(const PodWorkerConfig& config, PodApi& api, SharedPodIps& ips, Cgroups& cgroups,
            api::Json pod);
  ~PodWorker();  // Stop()
  PodWorker(const PodWorker&) = delete;
  PodWorker& operator=(const PodWorker&) = delete;

  // The latest version of the pod from the informer.
  void Update(api::Json pod);
  // The pod is gone from the API: stop its containers.
  void Removed();
  // The kubelet stops: the thread ends and the containers keep running (a new kubelet adopts
  // them).
  void Stop();
  // True once the pod is stopped and cleaned up (the worker can be dropped).
  bool finished() const;

  const std::string& uid() const { return uid_; }
  const std::string& name() const { return name_; }
  const std::string& namespace_name() const { return namespace_; }
  // The current (or, with previous, the one before) run of a container; NotFound/
  // InvalidArgument as the API server's pods/log reports them.
  absl::StatusOr<LogLocation> FindLog(const std::string& container, bool previous) const;

 private:
  struct ContainerRun;

  void Loop();
  void Sync(const api::Json& pod);
  void Refresh(ContainerRun& run);
  void StartContainer(ContainerRun& run, const api::Json& pod);
  // Restart or stay terminated after the latest run ended.
  void HandleExited(ContainerRun& run, const api::Json& pod, bool restart);
  void ManageProbes(ContainerRun& run, const api::Json& pod);
  bool StartedOf(const ContainerRun& run) const;
  void Kill(ContainerRun& run, absl::Duration grace, const std::string& why, const api::Json& pod);
  void EnforceKillDeadline(ContainerRun& run);
  void TerminatePod(const api::Json& pod, absl::Duration grace, bool graceful_delete);
  void WriteStatusIfChanged(const api::Json& pod);
  api::Json ComputeStatus(const api::Json& pod);
  api::ContainerStatus StatusOf(const ContainerRun& run) const;
  void Wake();

  const PodWorkerConfig config_;
  PodApi& api_;
  SharedPodIps& ips_;
  Cgroups& cgroups_;
  const std::string uid_;
  const std::string name_;
  const std::string namespace_;
  const std::filesystem::path dir_;
  api::PodSpec spec_;
  std::string spec_error_;
  std::string pod_ip_;
  std::optional<absl::Time> start_time_;
  std::vector<std::unique_ptr<ContainerRun>> runs_;  // init containers first; worker thread only
  std::vector<api::Condition> conditions_;
  api::Json last_written_status_;
  bool terminating_ = false;  // the containers were stopped for good: the phase is final

  mutable std::mutex mutex_;  // guards what follows and the containers' log lookup
  std::condition_variable wake_;
  api::Json latest_pod_;
  bool removed_ = false;
  bool stopping_ = false;
  bool finished_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace orch::kubelet
