#include "orchestrator/kubelet/container_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace orch::kubelet {
namespace {

std::optional<std::string> ReadSmallFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::vector<std::string> Fields(const std::string& text) {
  return absl::StrSplit(text, absl::ByAnyChar(" \n"), absl::SkipEmpty());
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (std::string& text : strings)
    pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

AttemptFiles AttemptFiles::In(const std::filesystem::path& container_dir, int64_t attempt) {
  const std::string stem = std::to_string(attempt);
  return {container_dir / (stem + ".log"), container_dir / (stem + ".pid"),
          container_dir / (stem + ".exit")};
}

std::vector<int64_t> RecordedAttempts(const std::filesystem::path& container_dir) {
  std::vector<int64_t> attempts;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(container_dir, error)) {
    if (entry.path().extension() != ".pid") continue;
    int64_t attempt = 0;
    if (absl::SimpleAtoi(entry.path().stem().string(), &attempt)) attempts.push_back(attempt);
  }
  std::sort(attempts.begin(), attempts.end());
  return attempts;
}

absl::StatusOr<ProcessRecord> LaunchContainer(const LaunchRequest& request) {
  std::vector<std::string> argv = {
      request.shim_path,          request.files.log.string(),
      request.files.pid.string(), request.files.exit.string(),
      request.working_dir,        request.cgroup_dir.empty() ? "-" : request.cgroup_dir};
  argv.insert(argv.end(), request.argv.begin(), request.argv.end());
  std::vector<std::string> env = request.env;
  std::vector<char*> argv_pointers = CStrings(argv);
  std::vector<char*> env_pointers = CStrings(env);

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  sigset_t all_signals, no_signals;
  sigfillset(&all_signals);
  sigemptyset(&no_signals);
  posix_spawnattr_setsigdefault(&attributes, &all_signals);
  posix_spawnattr_setsigmask(&attributes, &no_signals);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
    posix_spawn_file_actions_addopen(&actions, fd, "/dev/null",
                                     fd == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0);
  }
  pid_t shim = 0;
  const int spawned = posix_spawn(&shim, request.shim_path.c_str(), &actions, &attributes,
                                  argv_pointers.data(), env_pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    return absl::InternalError(
        absl::StrCat("cannot start ", request.shim_path, ": ", strerror(spawned)));
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    if (std::optional<ProcessRecord> record = ReadProcessRecord(request.files.pid)) {
      record->shim_pid = shim;
      return *record;
    }
    int wait_status = 0;
    if (waitpid(shim, &wait_status, WNOHANG) == shim) {
      if (std::optional<ProcessRecord> record = ReadProcessRecord(request.files.pid))
        return *record;
      return absl::InternalError(absl::StrCat(request.shim_path, " ended with status ", wait_status,
                                              " before starting the container"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(shim, SIGKILL);
  waitpid(shim, nullptr, 0);
  return absl::DeadlineExceededError(
      absl::StrCat(request.shim_path, " did not start the container within 10 s"));
}

std::optional<ProcessRecord> ReadProcessRecord(const std::filesystem::path& pid_file) {
  std::optional<std::string> text = ReadSmallFile(pid_file);
  if (!text) return std::nullopt;
  std::vector<std::string> fields = Fields(*text);
  ProcessRecord record;
  int64_t started_nanos = 0;
  if (fields.size() != 3 || !absl::SimpleAtoi(fields[0], &record.pid) ||
      !absl::SimpleAtoi(fields[1], &record.start_ticks) ||
      !absl::SimpleAtoi(fields[2], &started_nanos)) {
    return std::nullopt;
  }
  record.started_at = absl::FromUnixNanos(started_nanos);
  return record;
}

std::optional<ExitRecord> ReadExitRecord(const std::filesystem::path& exit_file) {
  std::optional<std::string> text = ReadSmallFile(exit_file);
  if (!text) return std::nullopt;
  std::vector<std::string> fields = Fields(*text);
  ExitRecord record;
  int64_t finished_nanos = 0;
  if (fields.size() != 3 || !absl::SimpleAtoi(fields[0], &record.exit_code) ||
      !absl::SimpleAtoi(fields[1], &record.signal) ||
      !absl::SimpleAtoi(fields[2], &finished_nanos)) {
    return std::nullopt;
  }
  record.finished_at = absl::FromUnixNanos(finished_nanos);
  return record;
}

std::optional<uint64_t> ProcessStartTicks(pid_t pid) {
  std::optional<std::string> stat = ReadSmallFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat) return std::nullopt;
  // "pid (comm) state ...": comm may hold spaces and parentheses; fields follow the last ')'.
  const size_t close = stat->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::vector<std::string> fields = Fields(stat->substr(close + 1));
  // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
  if (fields.size() < 20 || fields[0] == "Z" || fields[0] == "X") return std::nullopt;
  uint64_t ticks = 0;
  if (!absl::SimpleAtoi(fields[19], &ticks)) return std::nullopt;
  return ticks;
}

bool IsAlive(const ProcessRecord& record) {
  std::optional<uint64_t> ticks = ProcessStartTicks(record.pid);
  return ticks.has_value() && *ticks == record.start_ticks;
}

bool SignalProcessGroup(const ProcessRecord& record, int signal) {
  if (!IsAlive(record)) return false;
  return kill(-record.pid, signal) == 0;
}

void ReapShim(const ProcessRecord& record) {
  if (record.shim_pid <= 0) return;
  // The shim exits right after writing the exit record; ECHILD when it is not our child.
  while (waitpid(record.shim_pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace orch::kubelet
