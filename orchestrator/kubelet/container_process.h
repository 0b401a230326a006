// Container processes: started through orch-container-shim (see shim_main.cc), found again by
// the files the shim writes. Each run of a container ("attempt" n, n = its restart count) has
// three files in the container's directory: n.log (CRI log lines), n.pid (the process and its
// start time) and n.exit (its exit status, once it ended). The files, not the kubelet's memory,
// say what ran: a restarted kubelet reads them and never starts an attempt twice.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace orch::kubelet {

struct AttemptFiles {
  std::filesystem::path log;
  std::filesystem::path pid;
  std::filesystem::path exit;

  static AttemptFiles In(const std::filesystem::path& container_dir, int64_t attempt);
};

// The attempts recorded in a container directory (those with a pid file), ascending.
std::vector<int64_t> RecordedAttempts(const std::filesystem::path& container_dir);

// A container process: the pid and its start time (field 22 of /proc/<pid>/stat) together
// name it even after the pid is reused.
struct ProcessRecord {
  pid_t pid = 0;
  uint64_t start_ticks = 0;
  absl::Time started_at;
  pid_t shim_pid = 0;  // 0 when the shim is not this process's child (an adopted container)
};

struct ExitRecord {
  int exit_code = 0;  // 128 + signal when killed by one
  int signal = 0;
  absl::Time finished_at;
};

struct LaunchRequest {
  std::string shim_path;
  std::vector<std::string> argv;  // argv[0] is the program's path
  std::vector<std::string> env;   // "NAME=value"
  std::string working_dir;
  std::string cgroup_dir;  // "" for none
  AttemptFiles files;
};

// Starts the shim in a new session and returns once the container process exists. A program
// that cannot be executed still starts (and exits 126/127 with the reason in its log), as a
// container runtime reports a failed start.
absl::StatusOr<ProcessRecord> LaunchContainer(const LaunchRequest& request);

std::optional<ProcessRecord> ReadProcessRecord(const std::filesystem::path& pid_file);
std::optional<ExitRecord> ReadExitRecord(const std::filesystem::path& exit_file);

// The start time of a live (non-zombie) process, nullopt when there is none.
std::optional<uint64_t> ProcessStartTicks(pid_t pid);
// Whether the recorded process still runs (same pid and start time).
bool IsAlive(const ProcessRecord& record);
// Sends `signal` to the record's process group, only while the process is still the recorded
// one (a reused pid is never signalled). False when it is gone.
bool SignalProcessGroup(const ProcessRecord& record, int signal);
// Collects the exit of the shim once the container's exit record exists (no zombie is left).
void ReapShim(const ProcessRecord& record);

}  // namespace orch::kubelet
