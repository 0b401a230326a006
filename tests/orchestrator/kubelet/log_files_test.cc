#include "orchestrator/kubelet/log_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

namespace orch::kubelet {
namespace {

LogOptions Tail(int64_t lines, bool timestamps = false) {
  LogOptions options;
  options.tail_lines = lines;
  options.timestamps = timestamps;
  return options;
}

class LogFile : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("orch-log-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".log");
    std::ofstream out(path_);
    out << "2024-05-01T10:00:00.000000001Z stdout F one\n"
        << "2024-05-01T10:00:01.000000001Z stderr F two\n"
        << "2024-05-01T10:00:02.000000001Z stdout P thr\n"
        << "2024-05-01T10:00:02.000000002Z stdout F ee\n"
        << "2024-05-01T10:00:03.000000001Z stdout F \n";
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::filesystem::path path_;
};

TEST(ParseLogEntry, ReadsCriLines) {
  std::optional<LogEntry> entry = ParseLogEntry("2024-05-01T10:00:00Z stderr F hello world");
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->stream, "stderr");
  EXPECT_FALSE(entry->partial);
  EXPECT_EQ(entry->text, "hello world");
  EXPECT_FALSE(ParseLogEntry("garbage").has_value());
  EXPECT_FALSE(ParseLogEntry("ts stdout X text").has_value());
}

TEST_F(LogFile, RendersAllTailAndTimestamps) {
  EXPECT_EQ(ReadLog(path_, {}), "one\ntwo\nthree\n\n");
  EXPECT_EQ(ReadLog(path_, Tail(2)), "three\n\n");
  EXPECT_EQ(ReadLog(path_, Tail(0)), "");
  EXPECT_EQ(ReadLog(path_, Tail(1, true)), "2024-05-01T10:00:03.000000001Z \n");
  EXPECT_EQ(ReadLog(path_.string() + ".missing", {}), "");
}

TEST_F(LogFile, FollowSendsNewLinesUntilTheWriterIsDone) {
  std::atomic<bool> done{false};
  std::string received;
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    {
      std::ofstream out(path_, std::ios::app);
      out << "2024-05-01T10:00:04.000000001Z stdout F fo";
      out.flush();
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      out << "ur\n";
    }
    done = true;
  });
  FollowLog(
      path_, Tail(1),
      [&](std::string_view text) {
        received += text;
        return true;
      },
      [&] { return done.load(); }, 5);
  writer.join();
  EXPECT_EQ(received, "\nfour\n");
}

TEST_F(LogFile, FollowStopsWhenTheReaderGoes) {
  int writes = 0;
  FollowLog(
      path_, {},
      [&](std::string_view) {
        ++writes;
        return false;
      },
      [] { return false; }, 5);
  EXPECT_EQ(writes, 1);
}

}  // namespace
}  // namespace orch::kubelet
