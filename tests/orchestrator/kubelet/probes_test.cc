// Probes against real processes: orch-http-server for HTTP and TCP, sh for exec.
#include "orchestrator/kubelet/probes.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "orchestrator/kubelet/container_process.h"

namespace orch::kubelet {
namespace {

using ::testing::HasSubstr;

uint16_t FreePort() {
  // Port 0 bind, as the harness does; the small race is accepted in tests.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

TEST(RunProbe, Exec) {
  ProbeTarget target;
  target.path_variable = "/usr/bin:/bin";
  api::Probe probe;
  probe.exec_command = std::vector<std::string>{"sh", "-c", "exit 0"};
  EXPECT_TRUE(RunProbe(probe, target).success);
  probe.exec_command = std::vector<std::string>{"sh", "-c", "echo bad; exit 1"};
  ProbeOutcome failed = RunProbe(probe, target);
  EXPECT_FALSE(failed.success);
  EXPECT_THAT(failed.message, HasSubstr("exited with 1: bad"));
  probe.exec_command = std::vector<std::string>{"sleep", "5"};
  const absl::Time start = absl::Now();
  ProbeOutcome timed_out = RunProbe(probe, target);
  EXPECT_FALSE(timed_out.success);
  EXPECT_THAT(timed_out.message, HasSubstr("timed out"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST(RunProbe, HttpAndTcpAgainstTheExampleServer) {
  const uint16_t port = FreePort();
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("orch-probe-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  LaunchRequest request;
  request.shim_path = ORCH_SHIM_PATH;
  request.argv = {ORCH_HTTP_SERVER_PATH};
  request.env = {"POD_IP=127.0.0.1", "PORT=" + std::to_string(port), "POD_NAME=probe-pod"};
  request.working_dir = dir.string();
  request.files = AttemptFiles::In(dir, 0);
  absl::StatusOr<ProcessRecord> server = LaunchContainer(request);
  ASSERT_TRUE(server.ok()) << server.status();

  ProbeTarget target;
  target.pod_ip = "127.0.0.1";
  target.ports = {{"http", port, 0, "TCP"}};
  api::Probe http;
  http.http_get = api::Probe::HttpGet{};
  http.http_get->path = "/healthz";
  http.http_get->port = api::IntOrString{false, 0, "http"};
  bool up = false;
  for (int attempt = 0; attempt < 100 && !up; ++attempt) {
    up = RunProbe(http, target).success;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(up);
  http.http_get->path = "/nothing-here";
  ProbeOutcome not_found = RunProbe(http, target);
  EXPECT_FALSE(not_found.success);
  EXPECT_THAT(not_found.message, HasSubstr("404"));
  api::Probe tcp;
  tcp.tcp_socket = api::Probe::TcpSocket{api::IntOrString{true, port, ""}, ""};
  EXPECT_TRUE(RunProbe(tcp, target).success);

  ASSERT_TRUE(SignalProcessGroup(*server, SIGTERM));
  std::optional<ExitRecord> exit;
  for (int poll = 0; poll < 500 && !exit; ++poll) {
    exit = ReadExitRecord(request.files.exit);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ReapShim(*server);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 0);  // a clean stop on SIGTERM
  EXPECT_FALSE(RunProbe(tcp, target).success);
  std::filesystem::remove_all(dir);
}

TEST(ProbeWorker, ThresholdsDecideTheResult) {
  std::atomic<int> calls{0};
  std::atomic<bool> healthy{true};
  std::atomic<int> changes{0};
  std::atomic<bool> last{true};
  // The first probe waits for the test, so the state before any probe can be observed.
  std::atomic<bool> released{false};
  api::Probe probe;
  probe.period_seconds = 1;
  probe.failure_threshold = 2;
  probe.success_threshold = 1;
  // Readiness starts as failure; one success makes it ready.
  ProbeWorker readiness(
      ProbeKind::kReadiness, probe, absl::Now(),
      [&] {
        while (!released.load())
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        ++calls;
        return ProbeOutcome{healthy.load(), healthy ? "" : "down"};
      },
      [&](bool success, const std::string&) {
        ++changes;
        last = success;
      });
  EXPECT_FALSE(readiness.success());
  released = true;
  for (int poll = 0; poll < 100 && changes == 0; ++poll) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(changes.load(), 1);
  EXPECT_TRUE(readiness.success());
  EXPECT_TRUE(last.load());
}

TEST(ProbeWorker, LivenessReportsFailureAfterTheThreshold) {
  api::Probe probe;
  probe.period_seconds = 1;
  probe.failure_threshold = 1;
  std::atomic<int> failures{0};
  std::string message;
  std::mutex mutex;
  std::atomic<bool> released{false};  // as above: the first probe waits for the test
  ProbeWorker liveness(
      ProbeKind::kLiveness, probe, absl::Now(),
      [&released] {
        while (!released.load())
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return ProbeOutcome{false, "dead"};
      },
      [&](bool success, const std::string& why) {
        std::lock_guard lock(mutex);
        if (!success) ++failures;
        message = why;
      });
  EXPECT_TRUE(liveness.success());  // liveness starts healthy
  released = true;
  for (int poll = 0; poll < 100 && failures == 0; ++poll) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(failures.load(), 1);
  EXPECT_FALSE(liveness.success());
  std::lock_guard lock(mutex);
  EXPECT_EQ(message, "dead");
}

}  // namespace
}  // namespace orch::kubelet
