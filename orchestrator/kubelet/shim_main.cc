// orch-container-shim: the monitor of one container process, as conmon or containerd-shim are
// for real runtimes. The kubelet starts it in a session of its own; it starts the container in
// its own process group, writes the container's stdout and stderr to the log file in the CRI
// format ("<RFC3339Nano> stdout F <line>"), and records the pid and, at the end, the exit
// status in files. Because the shim and not the kubelet holds the pipes and waits for the
// process, a kubelet that restarts finds its containers still logging and learns their exit
// codes from the files.
//
//   orch-container-shim LOG PID_FILE EXIT_FILE WORKDIR CGROUP_DIR|- PROGRAM [ARGS...]
//
// The container gets the shim's environment. PID_FILE: "<pid> <start ticks> <start unix ns>".
// EXIT_FILE: "<exit code> <signal> <finish unix ns>" (exit code 128+signal when killed).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr size_t kMaxLineBytes = 16 * 1024;  // longer lines are split into partial (P) entries

int64_t UnixNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Rfc3339Nano(int64_t unix_nanos) {
  const time_t seconds = static_cast<time_t>(unix_nanos / 1000000000);
  struct tm utc {};
  gmtime_r(&seconds, &utc);
  std::array<char, 64> text{};
  const size_t length = strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%S", &utc);
  std::array<char, 32> fraction{};
  snprintf(fraction.data(), fraction.size(), ".%09lldZ",
           static_cast<long long>(unix_nanos % 1000000000));
  return std::string(text.data(), length) + fraction.data();
}

// Writes `content` to `path` through a temporary file and rename, so readers never see half.
bool WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << content;
    if (!out.flush()) return false;
  }
  return rename(temporary.c_str(), path.c_str()) == 0;
}

// Field 22 of /proc/<pid>/stat: the start time in clock ticks after boot.
std::string StartTicks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return "0";
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  for (int index = 3; index <= 22 && fields >> field; ++index) {
  }
  return field;
}

// One output stream of the container: bytes in, CRI log lines out.
struct Stream {
  const char* name;
  int fd;
  std::string pending;  // bytes after the last newline
};

void WriteEntry(int log_fd, const char* stream, char tag, std::string_view text) {
  std::string line = Rfc3339Nano(UnixNanos());
  line.append(" ").append(stream).append(" ").push_back(tag);
  line.append(" ").append(text).push_back('\n');
  for (size_t written = 0; written < line.size();) {
    const ssize_t count = write(log_fd, line.data() + written, line.size() - written);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) return;
    written += static_cast<size_t>(count);
  }
}

void EmitLines(int log_fd, Stream& stream, bool at_end) {
  size_t start = 0;
  for (;;) {
    const size_t newline = stream.pending.find('\n', start);
    if (newline == std::string::npos) break;
    WriteEntry(log_fd, stream.name, 'F',
               std::string_view(stream.pending).substr(start, newline - start));
    start = newline + 1;
  }
  stream.pending.erase(0, start);
  while (stream.pending.size() >= kMaxLineBytes) {
    WriteEntry(log_fd, stream.name, 'P', std::string_view(stream.pending).substr(0, kMaxLineBytes));
    stream.pending.erase(0, kMaxLineBytes);
  }
  if (at_end && !stream.pending.empty()) {
    WriteEntry(log_fd, stream.name, 'P', stream.pending);
    stream.pending.clear();
  }
}

// The container process, after fork: its own process group, the cgroup, the pipes, the
// directory, then exec. Only async-signal-safe calls (the shim is single-threaded anyway).
[[noreturn]] void ExecContainer(int stdout_fd, int stderr_fd, const char* workdir,
                                const char* cgroup_dir, char** argv) {
  setpgid(0, 0);
  if (strcmp(cgroup_dir, "-") != 0) {
    std::string procs = std::string(cgroup_dir) + "/cgroup.procs";
    const int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      (void)!write(fd, "0", 1);
      close(fd);
    }
  }
  const int null_fd = open("/dev/null", O_RDONLY);
  dup2(null_fd, STDIN_FILENO);
  dup2(stdout_fd, STDOUT_FILENO);
  dup2(stderr_fd, STDERR_FILENO);
  if (chdir(workdir) != 0) {
    dprintf(STDERR_FILENO, "orch-container-shim: cannot enter working directory %s: %s\n", workdir,
            strerror(errno));
    _exit(126);
  }
  execv(argv[0], argv);
  dprintf(STDERR_FILENO, "orch-container-shim: cannot execute %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    fprintf(stderr,
            "usage: orch-container-shim LOG PID_FILE EXIT_FILE WORKDIR CGROUP_DIR|- PROGRAM "
            "[ARGS...]\n");
    return 2;
  }
  close_range(3, ~0U, 0);  // descriptors the kubelet had open are not the container's
  const std::string log_path = argv[1], pid_path = argv[2], exit_path = argv[3];
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return 3;
  std::array<int, 2> out_pipe{}, err_pipe{};
  if (pipe2(out_pipe.data(), O_CLOEXEC) != 0 || pipe2(err_pipe.data(), O_CLOEXEC) != 0) return 4;

  const int64_t started_nanos = UnixNanos();
  const pid_t pid = fork();
  if (pid < 0) return 5;
  if (pid == 0) ExecContainer(out_pipe[1], err_pipe[1], argv[4], argv[5], argv + 6);
  setpgid(pid, pid);  // also here, so the group exists before anyone signals it
  close(out_pipe[1]);
  close(err_pipe[1]);
  WriteFileAtomically(pid_path, std::to_string(pid) + " " + StartTicks(pid) + " " +
                                    std::to_string(started_nanos) + "\n");

  std::array<Stream, 2> streams{Stream{"stdout", out_pipe[0], {}},
                                Stream{"stderr", err_pipe[0], {}}};
  int wait_status = 0;
  bool exited = false;
  int64_t exited_at = 0;
  constexpr int64_t kDrainNanos = 2'000'000'000;  // after the exit, at most this long for EOF
  for (;;) {
    std::array<pollfd, 2> fds{};
    nfds_t count = 0;
    std::array<Stream*, 2> polled{};
    for (Stream& stream : streams) {
      if (stream.fd < 0) continue;
      fds[count] = {stream.fd, POLLIN, 0};
      polled[count++] = &stream;
    }
    if (count == 0 && exited) break;
    if (count > 0) poll(fds.data(), count, 100);
    for (nfds_t index = 0; index < count; ++index) {
      if (fds[index].revents == 0) continue;
      Stream& stream = *polled[index];
      std::array<char, 8192> buffer{};
      const ssize_t got = read(stream.fd, buffer.data(), buffer.size());
      if (got > 0) {
        stream.pending.append(buffer.data(), static_cast<size_t>(got));
        EmitLines(log_fd, stream, false);
      } else if (got == 0 || errno != EINTR) {
        EmitLines(log_fd, stream, true);
        close(stream.fd);
        stream.fd = -1;
      }
    }
    if (!exited && waitpid(pid, &wait_status, WNOHANG) == pid) {
      exited = true;
      exited_at = UnixNanos();
      // The container is its process group: what it left behind goes with it.
      kill(-pid, SIGKILL);
    }
    if (count == 0 && !exited) {
      // Both pipes closed, the process still runs: wait for it.
      if (waitpid(pid, &wait_status, 0) == pid) {
        exited = true;
        exited_at = UnixNanos();
        kill(-pid, SIGKILL);
      }
    }
    if (exited && UnixNanos() - exited_at > kDrainNanos) break;
  }
  for (Stream& stream : streams)
    EmitLines(log_fd, stream, true);
  int exit_code = 0, signal_number = 0;
  if (WIFEXITED(wait_status)) exit_code = WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) {
    signal_number = WTERMSIG(wait_status);
    exit_code = 128 + signal_number;
  }
  WriteFileAtomically(exit_path, std::to_string(exit_code) + " " + std::to_string(signal_number) +
                                     " " + std::to_string(exited_at) + "\n");
  return 0;
}
