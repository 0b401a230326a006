// Runs the processes of a local cluster: starts each with its output appended to its log
// file, starts it again when it dies (with back-off) unless its Component says not to, and stops
// them all in reverse order. It is the child subreaper of what it starts, so processes a kubelet
// left behind (its pods) come back to it and are stopped last rather than outliving the cluster.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "orchestrator/up/cluster_plan.h"

namespace orch::up {

class ComponentSupervisor {
 public:
  // `pid_file` is rewritten on every start as a JSON object {name: pid}, for tests and tools
  // that want to signal one component.
  explicit ComponentSupervisor(std::filesystem::path pid_file);
  ~ComponentSupervisor();  // StopAll(10 s)
  ComponentSupervisor(const ComponentSupervisor&) = delete;
  ComponentSupervisor& operator=(const ComponentSupervisor&) = delete;

  absl::Status Start(const Component& component);
  std::optional<pid_t> PidOf(const std::string& name) const;
  std::map<std::string, pid_t> Pids() const;
  // SIGTERM to each component in reverse start order (kubelets together), SIGKILL to what is
  // left after `grace`; then the same for processes adopted as subreaper.
  void StopAll(absl::Duration grace);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace orch::up
