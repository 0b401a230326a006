// The shim and the process records: real processes, each test well under a second.
#include "orchestrator/kubelet/container_process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "orchestrator/kubelet/log_files.h"

namespace orch::kubelet {
namespace {

using ::testing::HasSubstr;

LogOptions WithTimestamps() {
  LogOptions options;
  options.timestamps = true;
  return options;
}

class ContainerProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("orch-proc-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  LaunchRequest Request(std::vector<std::string> argv, int64_t attempt = 0) {
    LaunchRequest request;
    request.shim_path = ORCH_SHIM_PATH;
    request.argv = std::move(argv);
    request.env = {"PATH=/usr/bin:/bin", "GREETING=hello"};
    request.working_dir = dir_.string();
    request.files = AttemptFiles::In(dir_, attempt);
    return request;
  }

  // Waits for the exit record (at most 10 s).
  std::optional<ExitRecord> AwaitExit(const ProcessRecord& record, const AttemptFiles& files) {
    for (int poll = 0; poll < 1000; ++poll) {
      if (std::optional<ExitRecord> exit = ReadExitRecord(files.exit)) {
        ReapShim(record);
        return exit;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
  }

  std::filesystem::path dir_;
};

TEST_F(ContainerProcess, RunsLogsAndRecordsTheExitCode) {
  LaunchRequest request = Request({"/bin/sh", "-c", "echo $GREETING; pwd; echo oops >&2; exit 3"});
  absl::StatusOr<ProcessRecord> record = LaunchContainer(request);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_GT(record->pid, 0);
  std::optional<ExitRecord> exit = AwaitExit(*record, request.files);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 3);
  EXPECT_EQ(exit->signal, 0);
  EXPECT_FALSE(IsAlive(*record));
  const std::string log = ReadLog(request.files.log, {});
  EXPECT_THAT(log, HasSubstr("hello\n"));
  EXPECT_THAT(log, HasSubstr(dir_.string() + "\n"));
  EXPECT_THAT(log, HasSubstr("oops\n"));
  EXPECT_THAT(ReadLog(request.files.log, WithTimestamps()), HasSubstr("Z hello\n"));
  EXPECT_EQ(RecordedAttempts(dir_), std::vector<int64_t>{0});
}

TEST_F(ContainerProcess, TheWholeProcessGroupIsSignalled) {
  // A child of the container that ignores nothing: it goes with the group.
  LaunchRequest request = Request({"/bin/sh", "-c", "sleep 30 & echo started; wait"});
  absl::StatusOr<ProcessRecord> record = LaunchContainer(request);
  ASSERT_TRUE(record.ok()) << record.status();
  for (int poll = 0; poll < 200 && ReadLog(request.files.log, {}).empty(); ++poll) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(IsAlive(*record));
  ASSERT_TRUE(SignalProcessGroup(*record, SIGTERM));
  std::optional<ExitRecord> exit = AwaitExit(*record, request.files);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->signal, SIGTERM);
  EXPECT_EQ(exit->exit_code, 128 + SIGTERM);
  EXPECT_FALSE(SignalProcessGroup(*record, SIGKILL));  // gone: nothing is signalled
}

TEST_F(ContainerProcess, AProgramThatCannotRunExits127WithTheReasonInItsLog) {
  LaunchRequest request = Request({(dir_ / "missing").string()});
  absl::StatusOr<ProcessRecord> record = LaunchContainer(request);
  ASSERT_TRUE(record.ok()) << record.status();
  std::optional<ExitRecord> exit = AwaitExit(*record, request.files);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 127);
  EXPECT_THAT(ReadLog(request.files.log, {}), HasSubstr("cannot execute"));
}

TEST_F(ContainerProcess, RecordsSurviveForAnotherReader) {
  LaunchRequest request = Request({"/bin/sh", "-c", "sleep 30"}, 4);
  absl::StatusOr<ProcessRecord> launched = LaunchContainer(request);
  ASSERT_TRUE(launched.ok()) << launched.status();
  // What a restarted kubelet sees: the pid file, a live process with the same start time.
  std::optional<ProcessRecord> found = ReadProcessRecord(request.files.pid);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->pid, launched->pid);
  EXPECT_EQ(found->start_ticks, launched->start_ticks);
  EXPECT_TRUE(IsAlive(*found));
  ProcessRecord reused = *found;
  ++reused.start_ticks;  // a different process under the same pid
  EXPECT_FALSE(IsAlive(reused));
  EXPECT_FALSE(SignalProcessGroup(reused, SIGKILL));
  EXPECT_TRUE(SignalProcessGroup(*found, SIGKILL));
  std::optional<ExitRecord> exit = AwaitExit(*launched, request.files);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 128 + SIGKILL);
  EXPECT_EQ(RecordedAttempts(dir_), std::vector<int64_t>{4});
}

}  // namespace
}  // namespace orch::kubelet
