#include "orchestrator/kubelet/probes.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "orchestrator/kubelet/container_config.h"

namespace orch::kubelet {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr size_t kMaxOutputBytes = 10 * 1024;

absl::Duration ProbeTimeout(const api::Probe& probe) {
  return absl::Seconds(std::max<int64_t>(probe.timeout_seconds, 1));
}

// A port number, or the container port of that name.
std::optional<int> ResolvePort(const api::IntOrString& port, const ProbeTarget& target) {
  if (port.is_int) return static_cast<int>(port.int_value);
  int number = 0;
  if (absl::SimpleAtoi(port.string_value, &number)) return number;
  for (const api::ContainerPort& named : target.ports) {
    if (named.name == port.string_value) return static_cast<int>(named.container_port);
  }
  return std::nullopt;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& text : strings)
    pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

ProbeOutcome ExecProbe(const std::vector<std::string>& command, const api::Probe& probe,
                       const ProbeTarget& target) {
  if (command.empty()) return {false, "exec probe without a command"};
  absl::StatusOr<std::filesystem::path> program =
      ResolveProgram(target.image_dir, command[0], target.path_variable);
  if (!program.ok()) return {false, std::string(program.status().message())};
  std::vector<std::string> argv = command;
  argv[0] = program->string();
  std::string output;
  const int code =
      RunCommandWithTimeout(argv, target.env, target.working_dir, ProbeTimeout(probe), &output);
  if (code == 0) return {true, ""};
  if (code < 0) {
    return {false, absl::StrCat("command ", command[0], " timed out after ",
                                absl::FormatDuration(ProbeTimeout(probe)))};
  }
  return {false, absl::StrCat("command ", command[0], " exited with ", code,
                              output.empty() ? "" : ": ", output)};
}

ProbeOutcome HttpProbe(const api::Probe::HttpGet& get, const api::Probe& probe,
                       const ProbeTarget& target) {
  if (get.scheme != "HTTP") return {false, "only HTTP probes are supported, not " + get.scheme};
  std::optional<int> port = ResolvePort(get.port, target);
  if (!port) return {false, "unknown port " + get.port.string_value};
  const std::string host = get.host.empty() ? target.pod_ip : get.host;
  const std::string url = absl::StrCat("http://", host, ":", *port, get.path);
  try {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::milliseconds(absl::ToInt64Milliseconds(ProbeTimeout(probe))));
    asio::ip::tcp::resolver resolver(io);
    stream.connect(resolver.resolve(host, std::to_string(*port)));
    http::request<http::empty_body> request(http::verb::get, get.path.empty() ? "/" : get.path, 11);
    request.set(http::field::host, absl::StrCat(host, ":", *port));
    request.set(http::field::user_agent, "kube-probe/1.32");
    request.set(http::field::connection, "close");
    for (const auto& [name, value] : get.headers)
      request.set(name, value);
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    const unsigned code = response.result_int();
    if (code >= 200 && code < 400) return {true, ""};
    return {false, absl::StrCat("HTTP probe failed with statuscode: ", code)};
  } catch (const std::exception& error) {
    return {false, absl::StrCat("Get \"", url, "\": ", error.what())};
  }
}

ProbeOutcome TcpProbe(const api::Probe::TcpSocket& socket, const api::Probe& probe,
                      const ProbeTarget& target) {
  std::optional<int> port = ResolvePort(socket.port, target);
  if (!port) return {false, "unknown port " + socket.port.string_value};
  const std::string host = socket.host.empty() ? target.pod_ip : socket.host;
  try {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::milliseconds(absl::ToInt64Milliseconds(ProbeTimeout(probe))));
    asio::ip::tcp::resolver resolver(io);
    stream.connect(resolver.resolve(host, std::to_string(*port)));
    return {true, ""};
  } catch (const std::exception& error) {
    return {false, absl::StrCat("dial tcp ", host, ":", *port, ": ", error.what())};
  }
}

}  // namespace

int RunCommandWithTimeout(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                          const std::string& working_dir, absl::Duration timeout,
                          std::string* output) {
  // Output goes to an unlinked temporary file: a pipe would need a reader thread.
  char output_template[] = "/tmp/orch-probe-XXXXXX";
  const int output_fd = mkostemp(output_template, O_CLOEXEC);
  if (output_fd < 0) return -1;
  unlink(output_template);
  std::vector<std::string> argv_copy = argv, env_copy = env;
  std::vector<char*> argv_pointers = CStrings(argv_copy), env_pointers = CStrings(env_copy);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK);
  sigset_t no_signals;
  sigemptyset(&no_signals);
  posix_spawnattr_setsigmask(&attributes, &no_signals);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, output_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, output_fd, STDERR_FILENO);
  if (!working_dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, working_dir.c_str());
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, argv_pointers[0], &actions, &attributes,
                                  argv_pointers.data(), env_pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    close(output_fd);
    if (output != nullptr) *output = strerror(spawned);
    return -1;
  }
  int wait_status = 0;
  const absl::Time deadline = absl::Now() + timeout;
  bool timed_out = false;
  while (waitpid(pid, &wait_status, WNOHANG) != pid) {
    if (absl::Now() >= deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &wait_status, 0);
      timed_out = true;
      break;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  if (output != nullptr) {
    std::string text(kMaxOutputBytes, '\0');
    const ssize_t got = pread(output_fd, text.data(), text.size(), 0);
    text.resize(got > 0 ? static_cast<size_t>(got) : 0);
    while (!text.empty() && text.back() == '\n')
      text.pop_back();
    *output = std::move(text);
  }
  close(output_fd);
  if (timed_out) return -1;
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  return 128 + WTERMSIG(wait_status);
}

ProbeOutcome RunProbe(const api::Probe& probe, const ProbeTarget& target) {
  if (probe.exec_command) return ExecProbe(*probe.exec_command, probe, target);
  if (probe.http_get) return HttpProbe(*probe.http_get, probe, target);
  if (probe.tcp_socket) return TcpProbe(*probe.tcp_socket, probe, target);
  return {false, "the probe has no handler (exec, httpGet or tcpSocket)"};
}

const char* ProbeKindName(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::kLiveness:
      return "Liveness";
    case ProbeKind::kReadiness:
      return "Readiness";
    case ProbeKind::kStartup:
      return "Startup";
  }
  return "";
}

ProbeWorker::ProbeWorker(ProbeKind kind, api::Probe probe, absl::Time container_started,
                         ProbeFunction run, std::function<void(bool, const std::string&)> on_change)
    : kind_(kind),
      probe_(std::move(probe)),
      run_(std::move(run)),
      on_change_(std::move(on_change)),
      success_(kind == ProbeKind::kLiveness),
      thread_([this, container_started] { Loop(container_started); }) {}

ProbeWorker::~ProbeWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ProbeWorker::Loop(absl::Time container_started) {
  const absl::Duration period = absl::Seconds(std::max<int64_t>(probe_.period_seconds, 1));
  absl::Time next = container_started + absl::Seconds(probe_.initial_delay_seconds);
  int64_t successes = 0, failures = 0;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock,
                     std::chrono::nanoseconds(absl::ToInt64Nanoseconds(
                         std::max(next - absl::Now(), absl::ZeroDuration()))),
                     [&] { return stopping_ || absl::Now() >= next; });
      if (stopping_) return;
    }
    next = absl::Now() + period;
    ProbeOutcome outcome = run_();
    if (outcome.success) {
      failures = 0;
      ++successes;
    } else {
      successes = 0;
      ++failures;
    }
    const int64_t failure_threshold = std::max<int64_t>(probe_.failure_threshold, 1);
    const int64_t success_threshold = std::max<int64_t>(probe_.success_threshold, 1);
    if (!success_.load() && successes >= success_threshold) {
      success_ = true;
      on_change_(true, "");
      if (kind_ == ProbeKind::kStartup) return;  // upstream stops probing once started
    } else if (failures >= failure_threshold &&
               (success_.load() || kind_ != ProbeKind::kReadiness)) {
      success_ = false;
      on_change_(false, outcome.message);
      // A failed liveness or startup probe kills the container; the next run has a new worker.
      if (kind_ != ProbeKind::kReadiness) return;
    }
  }
}

}  // namespace orch::kubelet
