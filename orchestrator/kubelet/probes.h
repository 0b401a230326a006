// Container probes (exec, HTTP GET, TCP) and the worker that runs one probe periodically with
// Kubernetes' thresholds.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "orchestrator/api/types.h"

namespace orch::kubelet {

struct ProbeOutcome {
  bool success = false;
  std::string message;  // why it failed
};

// Where a probe of one container goes and how an exec probe runs.
struct ProbeTarget {
  std::string pod_ip;                     // HTTP and TCP probes default to it
  std::vector<api::ContainerPort> ports;  // for named ports
  std::vector<std::string> env;           // "NAME=value", for exec probes
  std::string working_dir;
  std::string image_dir;
  std::string path_variable;
};

// One attempt, bounded by probe.timeout_seconds.
ProbeOutcome RunProbe(const api::Probe& probe, const ProbeTarget& target);

// Runs a program in its own process group with a deadline; the exit code, or -1 on timeout
// (the group is killed) or when it could not start. Its output goes to `output` (cut at 10 KiB).
int RunCommandWithTimeout(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                          const std::string& working_dir, absl::Duration timeout,
                          std::string* output);

enum class ProbeKind { kLiveness, kReadiness, kStartup };
const char* ProbeKindName(ProbeKind kind);  // "Liveness", "Readiness", "Startup"

// Runs a probe every period after the initial delay (counted from `container_started`), and
// turns outcomes into a result with the success and failure thresholds. The result starts as
// Kubernetes' does: liveness succeeds, readiness and startup fail, until the thresholds say
// otherwise. `on_change(success, message)` runs on the worker's thread when the result flips.
// A startup probe stops after its first success, as upstream's.
class ProbeWorker {
 public:
  using ProbeFunction = std::function<ProbeOutcome()>;
  ProbeWorker(ProbeKind kind, api::Probe probe, absl::Time container_started, ProbeFunction run,
              std::function<void(bool, const std::string&)> on_change);
  ~ProbeWorker();  // stops and joins
  ProbeWorker(const ProbeWorker&) = delete;
  ProbeWorker& operator=(const ProbeWorker&) = delete;

  bool success() const { return success_.load(); }
  ProbeKind kind() const { return kind_; }

 private:
  void Loop(absl::Time container_started);

  const ProbeKind kind_;
  const api::Probe probe_;
  const ProbeFunction run_;
  const std::function<void(bool, const std::string&)> on_change_;
  std::atomic<bool> success_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace orch::kubelet
