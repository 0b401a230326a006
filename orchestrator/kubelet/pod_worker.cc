#include "orchestrator/kubelet/pod_worker.h"

#include <signal.h>

#include <atomic>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "orchestrator/api/object.h"
#include "orchestrator/kubelet/container_config.h"
#include "orchestrator/kubelet/pod_status.h"
#include "orchestrator/kubelet/probes.h"
#include "orchestrator/kubelet/restart_backoff.h"
#include "spdlog/spdlog.h"

namespace orch::kubelet {
namespace {

using api::ContainerState;

// A process that vanished without its shim's exit record (the shim was killed too) is
// reported as lost after this long (the shim may still be draining its pipes before then).
constexpr absl::Duration kVanishedGrace = absl::Seconds(5);
// After SIGKILL, how long to wait for the shims' exit records.
constexpr absl::Duration kAfterKillWait = absl::Seconds(5);

std::optional<std::string> ReadFirstLine(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line) || line.empty()) return std::nullopt;
  return line;
}

ContainerState TerminatedState(const ExitRecord& exit, std::optional<absl::Time> started_at,
                               bool oom, bool lost, const std::string& container_id) {
  ContainerState state;
  state.phase = ContainerState::Phase::kTerminated;
  state.exit_code = exit.exit_code;
  state.signal = exit.signal;
  state.started_at = started_at;
  state.finished_at = exit.finished_at;
  state.container_id = container_id;
  if (lost) {
    state.reason = "ContainerStatusUnknown";
    state.message =
        "The container could not be located: its process ended while no shim recorded its exit";
  } else if (oom) {
    state.reason = "OOMKilled";
  } else {
    state.reason = exit.exit_code == 0 ? "Completed" : "Error";
  }
  return state;
}

}  // namespace

struct PodWorker::ContainerRun {
  api::Container spec;
  bool init = false;
  std::filesystem::path dir;
  int64_t attempt = -1;  // the latest run recorded on disk; -1 before the first
  std::optional<ProcessRecord> process;
  std::optional<ExitRecord> exit;  // of the latest run, once it ended
  bool oom = false;
  bool lost = false;  // ended without an exit record
  std::optional<ExitRecord> previous_exit;
  std::optional<absl::Time> previous_started_at;
  bool previous_oom = false;
  // Why it does not run (image, configuration): a waiting reason and message.
  std::string start_error_reason;
  std::string start_error_message;
  std::optional<absl::Time> restart_at;  // the end of the current back-off
  RestartBackOff backoff;
  std::string image_id;
  std::string cgroup;
  std::optional<absl::Time> vanished_at;
  std::optional<absl::Time> kill_deadline;
  ProbeTarget probe_target;
  std::unique_ptr<ProbeWorker> startup, liveness, readiness;
  std::atomic<bool> liveness_failed{false};
  std::atomic<bool> startup_failed{false};
  std::string probe_message;  // guarded by the worker's mutex_

  ContainerRun(api::Container container, bool is_init, std::filesystem::path container_dir,
               const PodWorkerConfig& config)
      : spec(std::move(container)),
        init(is_init),
        dir(std::move(container_dir)),
        backoff(config.backoff_base, config.backoff_max) {}

  bool running() const { return process.has_value() && !exit.has_value(); }
  std::string container_id(const std::string& node) const {
    return process ? absl::StrCat("orch://", node, "/", process->pid) : "";
  }
  void StopProbes() {
    startup.reset();
    liveness.reset();
    readiness.reset();
  }
};

PodWorker::PodWorker(const PodWorkerConfig& config, PodApi& api, SharedPodIps& ips,
                     Cgroups& cgroups, api::Json pod)
    : config_(config),
      api_(api),
      ips_(ips),
      cgroups_(cgroups),
      uid_(api::UidOf(pod)),
      name_(api::NameOf(pod)),
      namespace_(api::NamespaceOf(pod)),
      dir_(config.pods_dir / uid_) {
  absl::StatusOr<api::PodSpec> spec = api::DecodePodSpec(api::ObjectAt(pod, {"spec"}));
  if (spec.ok()) {
    spec_ = *std::move(spec);
  } else {
    spec_error_ = std::string(spec.status().message());
  }
  const api::Json& status = api::ObjectAt(pod, {"status"});
  conditions_ = api::PodStatus::FromJson(status).conditions;
  start_time_ = api::TimestampAt(status, {"startTime"});
  last_written_status_ = status;
  latest_pod_ = std::move(pod);
  thread_ = std::thread([this] { Loop(); });
}

PodWorker::~PodWorker() {
  Stop();
}

void PodWorker::Update(api::Json pod) {
  {
    std::lock_guard lock(mutex_);
    latest_pod_ = std::move(pod);
    woken_ = true;
  }
  wake_.notify_all();
}

void PodWorker::Removed() {
  {
    std::lock_guard lock(mutex_);
    removed_ = true;
    woken_ = true;
  }
  wake_.notify_all();
}

void PodWorker::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool PodWorker::finished() const {
  std::lock_guard lock(mutex_);
  return finished_;
}

void PodWorker::Wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

absl::StatusOr<LogLocation> PodWorker::FindLog(const std::string& container, bool previous) const {
  const std::string& pod_name = name_;
  bool known = false;
  for (const auto* list : {&spec_.init_containers, &spec_.containers}) {
    for (const api::Container& candidate : *list)
      known = known || candidate.name == container;
  }
  if (!known) {
    return absl::InvalidArgumentError(
        absl::StrCat("container ", container, " is not valid for pod ", pod_name));
  }
  const std::filesystem::path container_dir = dir_ / "containers" / container;
  std::vector<int64_t> attempts = RecordedAttempts(container_dir);
  if (previous) {
    if (attempts.size() < 2) {
      return absl::InvalidArgumentError(absl::StrCat("previous terminated container \"", container,
                                                     "\" in pod \"", pod_name, "\" not found"));
    }
    AttemptFiles files = AttemptFiles::In(container_dir, attempts[attempts.size() - 2]);
    return LogLocation{files.log, files.exit};
  }
  if (attempts.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("container \"", container, "\" in pod \"",
                                                   pod_name, "\" is waiting to start"));
  }
  AttemptFiles files = AttemptFiles::In(container_dir, attempts.back());
  return LogLocation{files.log, files.exit};
}

void PodWorker::Loop() {
  // The pod's directory and address, kept across kubelet restarts.
  std::error_code error;
  std::filesystem::create_directories(dir_ / "containers", error);
  absl::StatusOr<std::string> ip = ips_.Acquire(uid_, ReadFirstLine(dir_ / "ip"));
  if (ip.ok()) {
    pod_ip_ = *ip;
    std::ofstream(dir_ / "ip") << pod_ip_ << "\n";
  } else {
    spdlog::error("[kubelet {}] pod {}/{}: {}", config_.node_name, namespace_, name_,
                  std::string(ip.status().message()));
  }
  std::ofstream(dir_ / "pod") << namespace_ << "/" << name_ << "\n";
  // What earlier kubelets ran for this pod.
  for (const auto& [list, is_init] :
       {std::pair{&spec_.init_containers, true}, std::pair{&spec_.containers, false}}) {
    for (const api::Container& container : *list) {
      auto run = std::make_unique<ContainerRun>(container, is_init,
                                                dir_ / "containers" / container.name, config_);
      std::filesystem::create_directories(run->dir, error);
      std::vector<int64_t> attempts = RecordedAttempts(run->dir);
      if (!attempts.empty()) {
        run->attempt = attempts.back();
        run->process = ReadProcessRecord(AttemptFiles::In(run->dir, run->attempt).pid);
        run->exit = ReadExitRecord(AttemptFiles::In(run->dir, run->attempt).exit);
        if (run->attempt > 0) {
          AttemptFiles previous = AttemptFiles::In(run->dir, run->attempt - 1);
          run->previous_exit = ReadExitRecord(previous.exit);
          if (std::optional<ProcessRecord> record = ReadProcessRecord(previous.pid)) {
            run->previous_started_at = record->started_at;
          }
        }
        if (run->running()) {
          spdlog::info("[kubelet {}] pod {}/{}: adopted container {} (pid {}, run {})",
                       config_.node_name, namespace_, name_, container.name, run->process->pid,
                       run->attempt);
        }
      }
      runs_.push_back(std::move(run));
    }
  }
  for (;;) {
    api::Json pod;
    bool removed = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock,
                     std::chrono::nanoseconds(absl::ToInt64Nanoseconds(config_.sync_interval)),
                     [this] { return woken_ || stopping_; });
      woken_ = false;
      if (stopping_) return;
      pod = latest_pod_;
      removed = removed_;
    }
    if (removed) {
      TerminatePod(pod, config_.orphan_grace, /*graceful_delete=*/false);
      return;
    }
    if (api::IsBeingDeleted(pod)) {
      const int64_t grace = api::IntAt(pod, {"metadata", "deletionGracePeriodSeconds"})
                                .value_or(spec_.termination_grace_period_seconds);
      TerminatePod(pod, absl::Seconds(grace), /*graceful_delete=*/true);
      return;
    }
    Sync(pod);
  }
}

void PodWorker::Refresh(ContainerRun& run) {
  if (!run.running()) return;
  const AttemptFiles files = AttemptFiles::In(run.dir, run.attempt);
  std::optional<ExitRecord> exit = ReadExitRecord(files.exit);
  if (!exit && !IsAlive(*run.process)) {
    const absl::Time now = absl::Now();
    if (!run.vanished_at) run.vanished_at = now;
    if (now - *run.vanished_at < kVanishedGrace) return;
    exit = ExitRecord{137, 0, now};
    run.lost = true;
  }
  if (!exit) return;
  run.exit = exit;
  ReapShim(*run.process);
  run.oom = cgroups_.OomKilled(run.cgroup);
  run.StopProbes();
  run.kill_deadline.reset();
  cgroups_.Remove(run.cgroup);
  spdlog::info("[kubelet {}] pod {}/{}: container {} (pid {}) exited with {}", config_.node_name,
               namespace_, name_, run.spec.name, run.process->pid, exit->exit_code);
}

void PodWorker::StartContainer(ContainerRun& run, const api::Json& pod) {
  const absl::Time now = absl::Now();
  if (run.restart_at && now < *run.restart_at) {
    if (run.start_error_reason == "ErrImagePull") run.start_error_reason = "ImagePullBackOff";
    return;
  }
  auto fail = [&](std::string reason, std::string message, std::string event_reason) {
    const bool first = run.start_error_reason.empty() || run.start_error_reason != reason;
    run.start_error_reason = std::move(reason);
    run.start_error_message = std::move(message);
    run.restart_at = now + run.backoff.Next(absl::ZeroDuration());
    if (first || event_reason == "Failed") {
      api_.RecordEvent(pod, "Warning", event_reason, run.start_error_message);
    }
    spdlog::warn("[kubelet {}] pod {}/{}: container {}: {}: {}", config_.node_name, namespace_,
                 name_, run.spec.name, run.start_error_reason, run.start_error_message);
  };
  absl::StatusOr<std::filesystem::path> image = ResolveImage(config_.image_dir, run.spec.image);
  if (!image.ok()) {
    fail("ErrImagePull", std::string(image.status().message()), "Failed");
    return;
  }
  PodFacts facts{&pod, config_.node_name, pod_ip_, config_.host_ip};
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> environment =
      ContainerEnvironment(run.spec, facts, config_.path_variable);
  if (!environment.ok()) {
    fail("CreateContainerConfigError", std::string(environment.status().message()), "Failed");
    return;
  }
  absl::StatusOr<std::vector<std::string>> argv =
      ContainerArgv(run.spec, config_.image_dir, *environment);
  if (!argv.ok()) {
    fail("RunContainerError", std::string(argv.status().message()), "Failed");
    return;
  }
  const std::filesystem::path working_dir =
      run.spec.working_dir.empty() ? dir_ : std::filesystem::path(run.spec.working_dir);
  std::error_code error;
  std::filesystem::create_directories(working_dir, error);
  absl::StatusOr<std::string> cgroup = cgroups_.Prepare(uid_, run.spec.name, run.spec.limits);
  if (!cgroup.ok()) {
    fail("RunContainerError", std::string(cgroup.status().message()), "Failed");
    return;
  }
  LaunchRequest request;
  request.shim_path = config_.shim_path;
  request.argv = *argv;
  for (const auto& [name, value] : *environment)
    request.env.push_back(name + "=" + value);
  request.working_dir = working_dir.string();
  request.cgroup_dir = *cgroup;
  request.files = AttemptFiles::In(run.dir, run.attempt + 1);
  api_.RecordEvent(
      pod, "Normal", "Pulled",
      absl::StrCat("Container image \"", run.spec.image, "\" already present on machine"));
  absl::StatusOr<ProcessRecord> process = LaunchContainer(request);
  if (!process.ok()) {
    fail("RunContainerError", std::string(process.status().message()), "Failed");
    return;
  }
  api_.RecordEvent(pod, "Normal", "Created", absl::StrCat("Created container ", run.spec.name));
  api_.RecordEvent(pod, "Normal", "Started", absl::StrCat("Started container ", run.spec.name));
  spdlog::info("[kubelet {}] pod {}/{}: started container {} (pid {}, run {}): {}",
               config_.node_name, namespace_, name_, run.spec.name, process->pid, run.attempt + 1,
               absl::StrJoin(*argv, " "));
  // The run that ended becomes the previous one.
  if (run.exit) {
    run.previous_exit = run.exit;
    run.previous_started_at = run.process ? std::optional(run.process->started_at) : std::nullopt;
    run.previous_oom = run.oom;
  }
  run.attempt += 1;
  run.process = *process;
  run.exit.reset();
  run.oom = run.lost = false;
  run.vanished_at.reset();
  run.restart_at.reset();
  run.start_error_reason.clear();
  run.start_error_message.clear();
  run.image_id = "local://" + image->string();
  run.cgroup = *cgroup;
  run.probe_target.pod_ip = pod_ip_;
  run.probe_target.ports = run.spec.ports;
  run.probe_target.env = request.env;
  run.probe_target.working_dir = request.working_dir;
  run.probe_target.image_dir = config_.image_dir.string();
  run.probe_target.path_variable = config_.path_variable;
}

void PodWorker::HandleExited(ContainerRun& run, const api::Json& pod, bool restart) {
  if (!restart) return;
  const absl::Time now = absl::Now();
  if (!run.restart_at) {
    const absl::Duration ran_for =
        run.exit->finished_at - (run.process ? run.process->started_at : run.exit->finished_at);
    const absl::Duration delay = run.backoff.Next(ran_for);
    run.restart_at = now + delay;
    run.start_error_reason = "CrashLoopBackOff";
    run.start_error_message = absl::StrCat("back-off ", absl::FormatDuration(delay),
                                           " restarting failed container=", run.spec.name,
                                           " pod=", name_, "_", namespace_, "(", uid_, ")");
    api_.RecordEvent(pod, "Warning", "BackOff",
                     absl::StrCat("Back-off restarting failed container ", run.spec.name,
                                  " in pod ", name_, "_", namespace_, "(", uid_, ")"));
    return;
  }
  if (now >= *run.restart_at) {
    run.restart_at.reset();  // the back-off is over: StartContainer may go
    StartContainer(run, pod);
  }
}

void PodWorker::Kill(ContainerRun& run, absl::Duration grace, const std::string& why,
                     const api::Json& pod) {
  if (!run.running() || run.kill_deadline) return;
  api_.RecordEvent(pod, "Normal", "Killing", why);
  spdlog::info("[kubelet {}] pod {}/{}: {} (pid {}, grace {})", config_.node_name, namespace_,
               name_, why, run.process->pid, absl::FormatDuration(grace));
  run.StopProbes();
  run.kill_deadline = absl::Now() + grace;
  if (grace <= absl::ZeroDuration() || !SignalProcessGroup(*run.process, SIGTERM)) {
    SignalProcessGroup(*run.process, SIGKILL);
  }
}

void PodWorker::EnforceKillDeadline(ContainerRun& run) {
  if (run.running() && run.kill_deadline && absl::Now() >= *run.kill_deadline) {
    SignalProcessGroup(*run.process, SIGKILL);
  }
}

void PodWorker::Sync(const api::Json& pod) {
  if (!spec_error_.empty()) {
    WriteStatusIfChanged(pod);
    return;
  }
  // Init containers, in order: each must succeed before the next starts.
  bool initialized = true;
  for (auto& run : runs_) {
    if (!run->init) continue;
    Refresh(*run);
    if (run->exit && run->exit->exit_code == 0) continue;
    initialized = false;
    if (run->running()) {
      EnforceKillDeadline(*run);
    } else if (run->exit) {
      HandleExited(*run, pod, spec_.restart_policy != "Never");
    } else {
      StartContainer(*run, pod);
    }
    break;
  }
  if (initialized) {
    for (auto& run : runs_) {
      if (run->init) continue;
      Refresh(*run);
      if (run->running()) {
        ManageProbes(*run, pod);
        EnforceKillDeadline(*run);
      } else if (run->exit) {
        const bool restart = spec_.restart_policy == "Always" ||
                             (spec_.restart_policy == "OnFailure" && run->exit->exit_code != 0);
        HandleExited(*run, pod, restart);
      } else {
        StartContainer(*run, pod);
      }
    }
  }
  WriteStatusIfChanged(pod);
}

void PodWorker::ManageProbes(ContainerRun& run, const api::Json& pod) {
  const absl::Duration grace = absl::Seconds(spec_.termination_grace_period_seconds);
  std::string probe_message;
  {
    std::lock_guard lock(mutex_);
    probe_message = run.probe_message;
  }
  if (run.liveness_failed.exchange(false)) {
    api_.RecordEvent(pod, "Warning", "Unhealthy", "Liveness probe failed: " + probe_message);
    Kill(run, grace,
         absl::StrCat("Container ", run.spec.name, " failed liveness probe, will be restarted"),
         pod);
    return;
  }
  if (run.startup_failed.exchange(false)) {
    api_.RecordEvent(pod, "Warning", "Unhealthy", "Startup probe failed: " + probe_message);
    Kill(run, grace,
         absl::StrCat("Container ", run.spec.name, " failed startup probe, will be restarted"),
         pod);
    return;
  }
  if (run.kill_deadline) return;
  auto make = [&](ProbeKind kind, const api::Probe& probe) {
    ContainerRun* target = &run;
    return std::make_unique<ProbeWorker>(
        kind, probe, run.process->started_at,
        [probe, target] { return RunProbe(probe, target->probe_target); },
        [this, kind, target](bool success, const std::string& message) {
          {
            std::lock_guard lock(mutex_);
            target->probe_message = message;
          }
          if (!success && kind == ProbeKind::kLiveness) target->liveness_failed = true;
          if (!success && kind == ProbeKind::kStartup) target->startup_failed = true;
          Wake();
        });
  };
  if (run.spec.startup_probe && !run.startup && !StartedOf(run)) {
    run.startup = make(ProbeKind::kStartup, *run.spec.startup_probe);
  }
  if (!StartedOf(run)) return;
  if (run.spec.liveness_probe && !run.liveness) {
    run.liveness = make(ProbeKind::kLiveness, *run.spec.liveness_probe);
  }
  if (run.spec.readiness_probe && !run.readiness) {
    run.readiness = make(ProbeKind::kReadiness, *run.spec.readiness_probe);
  }
}

bool PodWorker::StartedOf(const ContainerRun& run) const {
  if (!run.running()) return false;
  if (!run.spec.startup_probe) return true;
  return run.startup != nullptr && run.startup->success();
}

void PodWorker::TerminatePod(const api::Json& pod, absl::Duration grace, bool graceful_delete) {
  spdlog::info("[kubelet {}] pod {}/{}: stopping (grace {})", config_.node_name, namespace_, name_,
               absl::FormatDuration(grace));
  for (auto& run : runs_) {
    Refresh(*run);
    run->kill_deadline.reset();
    Kill(*run, grace, absl::StrCat("Stopping container ", run->spec.name), pod);
  }
  const absl::Time kill_at = absl::Now() + grace;
  const absl::Time give_up = kill_at + kAfterKillWait;
  for (;;) {
    bool any_running = false;
    for (auto& run : runs_) {
      Refresh(*run);
      if (run->running()) {
        any_running = true;
        if (absl::Now() >= kill_at) SignalProcessGroup(*run->process, SIGKILL);
      }
    }
    if (!any_running || absl::Now() >= give_up) break;
    absl::SleepFor(std::min(config_.sync_interval, absl::Milliseconds(50)));
  }
  terminating_ = true;
  if (graceful_delete) {
    WriteStatusIfChanged(pod);
    absl::Status deleted = api_.DeletePod(pod);
    if (!deleted.ok()) {
      spdlog::warn("[kubelet {}] pod {}/{}: delete after stopping: {}", config_.node_name,
                   namespace_, name_, std::string(deleted.message()));
    }
  }
  for (auto& run : runs_)
    run->StopProbes();
  ips_.Release(uid_);
  std::error_code error;
  std::filesystem::remove_all(dir_, error);
  spdlog::info("[kubelet {}] pod {}/{}: stopped and cleaned up", config_.node_name, namespace_,
               name_);
  std::lock_guard lock(mutex_);
  finished_ = true;
}

api::ContainerStatus PodWorker::StatusOf(const ContainerRun& run) const {
  api::ContainerStatus status;
  status.name = run.spec.name;
  status.image = run.spec.image;
  status.image_id = run.image_id;
  const std::string container_id = run.container_id(config_.node_name);
  auto previous = [&] {
    if (!run.previous_exit) return ContainerState{};
    return TerminatedState(*run.previous_exit, run.previous_started_at, run.previous_oom, false,
                           "");
  };
  auto waiting = [&](std::string reason, std::string message) {
    ContainerState state;
    state.phase = ContainerState::Phase::kWaiting;
    state.reason = std::move(reason);
    state.message = std::move(message);
    return state;
  };
  status.started = false;
  if (run.attempt < 0) {
    // Never ran: creating, blocked by init containers, or unable to start.
    std::string reason = run.start_error_reason;
    if (reason.empty()) {
      bool init_pending = false;
      if (!run.init) {
        for (const auto& other : runs_) {
          init_pending =
              init_pending || (other->init && !(other->exit && other->exit->exit_code == 0));
        }
      }
      reason = init_pending ? "PodInitializing" : "ContainerCreating";
    }
    status.state = waiting(reason, run.start_error_message);
    return status;
  }
  status.container_id = container_id;
  if (run.running()) {
    status.state.phase = ContainerState::Phase::kRunning;
    status.state.started_at = run.process->started_at;
    status.last_state = previous();
    status.restart_count = run.attempt;
    status.started = StartedOf(run);
    status.ready = *status.started && !run.kill_deadline &&
                   (!run.spec.readiness_probe || (run.readiness && run.readiness->success()));
    return status;
  }
  const ContainerState ended = TerminatedState(
      *run.exit, run.process ? std::optional(run.process->started_at) : std::nullopt, run.oom,
      run.lost, container_id);
  if (!run.start_error_reason.empty() && !terminating_) {
    // Waiting to run again (back-off, or a start that failed).
    status.state = waiting(run.start_error_reason, run.start_error_message);
    status.last_state = ended;
    status.restart_count = run.attempt + 1;
    return status;
  }
  status.state = ended;
  status.last_state = previous();
  status.restart_count = run.attempt;
  return status;
}

api::Json PodWorker::ComputeStatus(const api::Json& pod) {
  api::PodStatus status;
  status.host_ip = config_.host_ip;
  status.pod_ip = pod_ip_;
  if (!start_time_) start_time_ = absl::Now();
  status.start_time = start_time_;
  for (const auto& run : runs_) {
    (run->init ? status.init_container_statuses : status.container_statuses)
        .push_back(StatusOf(*run));
  }
  if (!spec_error_.empty()) {
    status.phase = "Failed";
    status.reason = "InvalidSpec";
    status.message = spec_error_;
  } else {
    status.phase =
        ComputePodPhase(spec_, status.init_container_statuses, status.container_statuses);
    if (terminating_ && status.phase != "Succeeded" && status.phase != "Failed") {
      bool all_succeeded = !status.container_statuses.empty();
      for (const api::ContainerStatus& container : status.container_statuses) {
        all_succeeded = all_succeeded &&
                        container.state.phase == ContainerState::Phase::kTerminated &&
                        container.state.exit_code == 0;
      }
      status.phase = all_succeeded ? "Succeeded" : "Failed";
    }
  }
  conditions_ =
      ComputePodConditions(spec_, status.init_container_statuses, status.container_statuses,
                           status.phase, conditions_, absl::Now());
  status.conditions = conditions_;
  // Start from what the pod has, so fields others write (qosClass, nominatedNodeName) stay.
  api::Json merged = api::ObjectAt(pod, {"status"});
  if (!merged.is_object()) merged = api::Json::object();
  const api::Json computed = status.ToJson();
  for (auto it = computed.begin(); it != computed.end(); ++it)
    merged[it.key()] = it.value();
  return merged;
}

void PodWorker::WriteStatusIfChanged(const api::Json& pod) {
  api::Json status = ComputeStatus(pod);
  if (status == last_written_status_) return;
  absl::Status written = api_.WritePodStatus(pod, status);
  if (!written.ok()) {
    spdlog::warn("[kubelet {}] pod {}/{}: writing status: {}", config_.node_name, namespace_, name_,
                 std::string(written.message()));
    return;
  }
  last_written_status_ = std::move(status);
}

}  // namespace orch::kubelet
