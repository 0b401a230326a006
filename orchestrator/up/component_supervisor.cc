#include "orchestrator/up/component_supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

extern char** environ;

namespace orch::up {
namespace {

constexpr absl::Duration kFirstRestartDelay = absl::Seconds(1);
constexpr absl::Duration kMaxRestartDelay = absl::Seconds(30);
// A component that ran this long before dying starts over with the first delay.
constexpr absl::Duration kHealthyRun = absl::Seconds(60);

absl::StatusOr<pid_t> Spawn(const Component& component) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, component.log_file.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // The signals main() blocks for sigwait must not stay blocked in the children.
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
  std::vector<std::string> args = component.argv;
  std::vector<char*> argv;
  for (std::string& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, argv[0], &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0)
    return absl::InternalError(
        absl::StrCat("cannot start ", component.name, " (", argv[0], "): ", strerror(error)));
  return pid;
}

// Children of this process that it did not start itself: what the subreaper adopted.
std::vector<pid_t> AdoptedChildren(const std::map<std::string, pid_t>& started) {
  std::vector<pid_t> children;
  const pid_t self = getpid();
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // pid (comm) state ppid ...: comm may hold spaces, so parse after the last ')'.
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::vector<std::string> fields = absl::StrSplit(line.substr(close + 2), ' ');
    pid_t parent = 0;
    if (fields.size() < 2 || !absl::SimpleAtoi(fields[1], &parent) || parent != self) continue;
    const bool is_component = std::any_of(started.begin(), started.end(),
                                          [pid](const auto& named) { return named.second == pid; });
    if (!is_component) children.push_back(pid);
  }
  return children;
}

bool IsAlive(pid_t pid) {
  return kill(pid, 0) == 0;
}

}  // namespace

struct ComponentSupervisor::State {
  std::filesystem::path pid_file;
  mutable absl::Mutex mutex;
  struct Running {
    Component component;
    pid_t pid = 0;  // 0 while waiting to restart
    absl::Time started;
    absl::Duration next_delay = kFirstRestartDelay;
    absl::Time restart_at = absl::InfiniteFuture();
  };
  std::vector<Running> components ABSL_GUARDED_BY(mutex);
  bool stopping ABSL_GUARDED_BY(mutex) = false;
  std::atomic<bool> done{false};
  std::thread reaper;

  void WritePidFile() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    nlohmann::json pids = nlohmann::json::object();
    for (const Running& running : components)
      if (running.pid != 0) pids[running.component.name] = running.pid;
    const std::filesystem::path temporary = pid_file.string() + ".tmp";
    std::ofstream(temporary) << pids.dump(2) << "\n";
    std::error_code error;
    std::filesystem::rename(temporary, pid_file, error);
  }

  void OnExit(pid_t pid, int status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    for (Running& running : components) {
      if (running.pid != pid) continue;
      running.pid = 0;
      const std::string how = WIFSIGNALED(status) ? absl::StrCat("signal ", WTERMSIG(status))
                                                  : absl::StrCat("exit code ", WEXITSTATUS(status));
      if (stopping) return;
      if (!running.component.restart) {
        spdlog::warn("up: {} ended ({}); not restarting it", running.component.name, how);
        return;
      }
      if (absl::Now() - running.started > kHealthyRun) running.next_delay = kFirstRestartDelay;
      running.restart_at = absl::Now() + running.next_delay;
      spdlog::warn("up: {} ended ({}); starting it again in {}", running.component.name, how,
                   absl::FormatDuration(running.next_delay));
      running.next_delay = std::min(running.next_delay * 2, kMaxRestartDelay);
      WritePidFile();
      return;
    }
  }

  void RestartDue() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    for (Running& running : components) {
      if (stopping || running.pid != 0 || running.restart_at > absl::Now()) continue;
      running.restart_at = absl::InfiniteFuture();
      absl::StatusOr<pid_t> pid = Spawn(running.component);
      if (!pid.ok()) {
        spdlog::error("up: {}", pid.status().ToString());
        continue;
      }
      running.pid = *pid;
      running.started = absl::Now();
      spdlog::info("up: {} started again (pid {})", running.component.name, *pid);
      WritePidFile();
    }
  }

  // Reaps every child (components and adopted orphans) and restarts crashed components.
  void ReapLoop() {
    while (!done.load()) {
      int status = 0;
      pid_t pid = 0;
      while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        absl::MutexLock lock(&mutex);
        OnExit(pid, status);
      }
      {
        absl::MutexLock lock(&mutex);
        RestartDue();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
};

ComponentSupervisor::ComponentSupervisor(std::filesystem::path pid_file)
    : state_(std::make_unique<State>()) {
  state_->pid_file = std::move(pid_file);
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  state_->reaper = std::thread([state = state_.get()] { state->ReapLoop(); });
}

ComponentSupervisor::~ComponentSupervisor() {
  StopAll(absl::Seconds(10));
  state_->done = true;
  state_->reaper.join();
}

absl::Status ComponentSupervisor::Start(const Component& component) {
  absl::MutexLock lock(&state_->mutex);
  absl::StatusOr<pid_t> pid = Spawn(component);
  if (!pid.ok()) return pid.status();
  state_->components.push_back(
      State::Running{.component = component, .pid = *pid, .started = absl::Now()});
  spdlog::info("up: started {} (pid {}), log {}", component.name, *pid,
               component.log_file.string());
  state_->WritePidFile();
  return absl::OkStatus();
}

std::optional<pid_t> ComponentSupervisor::PidOf(const std::string& name) const {
  absl::MutexLock lock(&state_->mutex);
  for (const State::Running& running : state_->components)
    if (running.component.name == name && running.pid != 0) return running.pid;
  return std::nullopt;
}

std::map<std::string, pid_t> ComponentSupervisor::Pids() const {
  absl::MutexLock lock(&state_->mutex);
  std::map<std::string, pid_t> pids;
  for (const State::Running& running : state_->components)
    if (running.pid != 0) pids[running.component.name] = running.pid;
  return pids;
}

namespace {

// SIGTERM to all of `pids` (and their process groups when `groups`), then SIGKILL to those
// still alive after `grace`.
void Terminate(const std::vector<pid_t>& pids, bool groups, absl::Duration grace) {
  for (pid_t pid : pids)
    kill(groups ? -pid : pid, SIGTERM);
  const absl::Time deadline = absl::Now() + grace;
  auto any_alive = [&pids] { return std::any_of(pids.begin(), pids.end(), IsAlive); };
  while (any_alive() && absl::Now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (pid_t pid : pids) {
    if (!IsAlive(pid)) continue;
    kill(groups ? -pid : pid, SIGKILL);
    kill(pid, SIGKILL);
  }
}

}  // namespace

void ComponentSupervisor::StopAll(absl::Duration grace) {
  std::vector<std::vector<pid_t>> waves;  // reverse start order; one kind per wave
  std::map<std::string, pid_t> started;
  {
    absl::MutexLock lock(&state_->mutex);
    if (state_->stopping) return;
    state_->stopping = true;
    std::optional<ComponentKind> kind;
    for (auto it = state_->components.rbegin(); it != state_->components.rend(); ++it) {
      if (it->pid == 0) continue;
      if (!kind.has_value() || *kind != it->component.kind) waves.emplace_back();
      kind = it->component.kind;
      waves.back().push_back(it->pid);
      started[it->component.name] = it->pid;
    }
  }
  for (const std::vector<pid_t>& wave : waves)
    Terminate(wave, /*groups=*/false, grace);
  // A kubelet leaves its pods running when it stops (a restarted kubelet adopts them); here
  // they came to this subreaper and end with the cluster. Ending a container's monitor
  // orphans the container itself to this process in turn, hence the rounds.
  for (int round = 0; round < 4; ++round) {
    const std::vector<pid_t> adopted = AdoptedChildren(started);
    if (adopted.empty()) break;
    spdlog::info("up: stopping {} process(es) the kubelets left running", adopted.size());
    Terminate(adopted, /*groups=*/true, grace);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace orch::up
