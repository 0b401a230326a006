// Resource limits through cgroup v2: each container gets a cgroup under the kubelet's own
// (<cgroup root>/orch-kubelet-<node>/<pod uid>-<container>) with memory.max and cpu.max from
// resources.limits. Only when the unified hierarchy is mounted at the root, and the kubelet
// may create cgroups and enable the memory and cpu controllers there; otherwise limits are not
// enforced (said once in the log and in the node's annotation orch.raftkv.io/limits).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "orchestrator/api/types.h"

namespace orch::kubelet {

// "max 100000" or "<quota> 100000": cpu.max for a CPU limit (a 100 ms period).
std::string CpuMaxValue(const std::optional<api::Quantity>& cpu_limit);
// "max" or the byte count: memory.max for a memory limit.
std::string MemoryMaxValue(const std::optional<api::Quantity>& memory_limit);

class Cgroups {
 public:
  // Probes `root` (normally /sys/fs/cgroup). Never fails: a Cgroups that cannot enforce says
  // why in reason().
  static Cgroups Detect(const std::filesystem::path& root, const std::string& node_name);

  bool enforced() const { return enforced_; }
  const std::string& reason() const { return reason_; }

  // Creates the container's cgroup with its limits; its directory (the shim moves the process
  // there). "" when limits are not enforced.
  absl::StatusOr<std::string> Prepare(const std::string& pod_uid, const std::string& container,
                                      const api::ResourceList& limits);
  // Whether the kernel killed a process of the cgroup for memory (memory.events oom_kill).
  bool OomKilled(const std::string& cgroup_dir) const;
  // Removes a container's cgroup (after its processes ended).
  void Remove(const std::string& cgroup_dir) const;

 private:
  bool enforced_ = false;
  std::string reason_;
  std::filesystem::path base_;
};

}  // namespace orch::kubelet
