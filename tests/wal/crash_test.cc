// Crash test: a child process saves to the WAL in a loop and is killed with SIGKILL at random
// moments, hundreds of times. After each kill the WAL must open, hold every entry a returned
// Save covered (except what a Save still in flight legitimately rewrote), and every entry must
// be intact.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "gtest/gtest.h"
#include "raftkv/wal/wal.h"
#include "spdlog/spdlog.h"
#include "tests/wal/crash_protocol.h"
#include "tests/wal/test_util.h"

#ifndef WAL_CRASH_CHILD_PATH
#error "WAL_CRASH_CHILD_PATH must name the crash child binary"
#endif

namespace raftkv::wal::testing {
namespace {

constexpr int kKills = 200;
constexpr uint64_t kSeed = 20240611;

// What the log must hold after a kill.
struct Expectation {
  uint64_t required_last_index = 0;  // entries up to here were acknowledged
  uint64_t required_snapshot_index = 0;
};

// Starts the child with its report pipe on kReportFd; returns its pid and the read end.
std::pair<pid_t, int> StartChild(const std::string& dir, uint64_t seed) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], kReportFd);
    std::string seed_text = std::to_string(seed);
    ::execl(WAL_CRASH_CHILD_PATH, WAL_CRASH_CHILD_PATH, dir.c_str(), seed_text.c_str(),
            static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  ::close(fds[1]);
  return {pid, fds[0]};
}

// Reads one report; false at end of file (the child is gone).
bool ReadReport(int fd, CrashReport* report) {
  size_t have = 0;
  auto* bytes = reinterpret_cast<char*>(report);
  while (have < sizeof(*report)) {
    ssize_t n = ::read(fd, bytes + have, sizeof(*report) - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    have += static_cast<size_t>(n);
  }
  return true;
}

std::vector<CrashReport> ReadReports(int fd) {
  std::vector<CrashReport> reports;
  CrashReport report;
  while (ReadReport(fd, &report))
    reports.push_back(report);
  ::close(fd);
  return reports;
}

// Folds the child's reports into what the log must hold. A Save that started but did not
// return may have rewritten a suffix from its first index, so only the entries before that
// are owed.
Expectation Expect(Expectation before, const std::vector<CrashReport>& reports) {
  Expectation after = before;
  std::optional<uint64_t> in_flight_first;
  for (const CrashReport& r : reports) {
    switch (r.kind) {
      case CrashReport::kSaveStarted:
        in_flight_first = r.a;
        break;
      case CrashReport::kSaveReturned:
        after.required_last_index = r.a;
        in_flight_first.reset();
        break;
      case CrashReport::kMarkerReturned:
        after.required_snapshot_index = r.a;
        break;
      case CrashReport::kOpened:
        break;
    }
  }
  if (in_flight_first) {
    after.required_last_index = std::min(after.required_last_index, *in_flight_first - 1);
  }
  return after;
}

// Opens the log and checks it against what was acknowledged; returns what the next round
// starts from (what is on disk now).
Expectation Verify(const std::string& dir, const Expectation& expected, int round) {
  WalOptions options;
  options.segment_bytes = 256 * 1024;
  absl::StatusOr<Wal::Opened> opened = Wal::Open(dir, options);
  EXPECT_TRUE(opened.ok()) << "round " << round << ": " << opened.status();
  if (!opened.ok()) {
    // Keep the evidence: the test's directory is removed when it ends.
    std::string kept = dir + ".failed";
    std::filesystem::remove_all(kept);
    std::filesystem::copy(dir, kept);
    ADD_FAILURE() << "the WAL that failed to open is kept in " << kept;
    return expected;
  }
  const RecoveredState& state = opened->state;
  uint64_t snapshot_index = state.snapshot ? state.snapshot->index() : 0;
  EXPECT_GE(snapshot_index, expected.required_snapshot_index) << "round " << round;
  EXPECT_GE(opened->wal->last_index(), expected.required_last_index) << "round " << round;
  uint64_t previous_term = 0;
  uint64_t acknowledged_term = 0;  // the newest term among acknowledged entries
  for (size_t i = 0; i < state.entries.size(); ++i) {
    const raftpb::Entry& e = state.entries[i];
    EXPECT_EQ(e.index(), snapshot_index + 1 + i) << "round " << round;
    EXPECT_EQ(e.data(), EntryData(e.index(), e.term(), e.data().size()))
        << "round " << round << ": entry " << e.index() << " is damaged";
    EXPECT_GE(e.term(), previous_term) << "round " << round << ": terms go backwards";
    previous_term = e.term();
    if (e.index() <= expected.required_last_index) acknowledged_term = e.term();
  }
  // The hard state saved with acknowledged entries survives with them. Entries of the Save the
  // kill interrupted may survive without the hard state written after them (see Wal::Save),
  // so only acknowledged entries bound the hard state's term.
  EXPECT_GE(state.hard_state.term(), acknowledged_term) << "round " << round;
  return Expectation{opened->wal->last_index(), snapshot_index};
}

TEST(WalCrashTest, EverySaveThatReturnedSurvivesSigkill) {
  spdlog::set_level(spdlog::level::warn);
  ScopedTempDir dir;
  std::mt19937_64 rng(kSeed);
  Expectation expected;
  int saves_acknowledged = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(50);
  int round = 0;
  for (; round < kKills && std::chrono::steady_clock::now() < deadline; ++round) {
    auto [pid, reports_fd] = StartChild(dir.path(), rng());
    // Most kills land while saving, after the child has opened the log (however slow its
    // start, e.g. under sanitizers); some land anywhere, recovery included.
    std::vector<CrashReport> reports;
    if (rng() % 8 != 0) {
      CrashReport opened;
      if (ReadReport(reports_fd, &opened)) reports.push_back(opened);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 50000));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    for (const CrashReport& r : ReadReports(reports_fd))
      reports.push_back(r);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "round " << round << ": the child stopped by itself (status " << status << ")";
    for (const CrashReport& r : reports)
      saves_acknowledged += r.kind == CrashReport::kSaveReturned;
    expected = Verify(dir.path(), Expect(expected, reports), round);
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GE(round, kKills / 2) << "too few rounds ran before the deadline";
  EXPECT_GE(saves_acknowledged, round / 4) << "the kills should land mostly while saving";
  RecordProperty("rounds", round);
  RecordProperty("saves_acknowledged", saves_acknowledged);
  std::printf("%d kills, %d acknowledged saves, log at index %llu\n", round, saves_acknowledged,
              static_cast<unsigned long long>(expected.required_last_index));
}

}  // namespace
}  // namespace raftkv::wal::testing
