#include "robustness_run.h"

#include <algorithm>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <random>
#include <thread>

#include "linearizability.h"
#include "watch_check.h"
#include "workload.h"

namespace raftkv::robustness {
namespace {

using integration::ClusterOptions;
using integration::In;
using SteadyClock = std::chrono::steady_clock;

constexpr milliseconds kSettleTime(30000);

std::ostream& Log() {
  return std::cout << "[robustness] ";
}

struct Totals {
  size_t operations = 0;
  size_t acknowledged = 0;
  size_t unknown = 0;
  size_t watch_events = 0;
  int watch_resumes = 0;
  size_t faults = 0;
};

// The cluster's revision now (a linearizable read through any member).
::testing::AssertionResult CurrentRevision(LocalCluster& cluster, int64_t* revision) {
  const auto deadline = In(kSettleTime);
  grpc::Status status;
  while (SteadyClock::now() < deadline) {
    for (const auto& target : cluster.ClientTargets()) {
      std::vector<std::string> unused;
      status = cluster.KeysWithPrefix(target.index, "/robustness-none/", In(milliseconds(2000)),
                                      &unused, revision);
      if (status.ok()) return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure() << "no revision: " << integration::Describe(status);
}

// A last put after the faults, recorded like any other: watchers must reach its revision.
// Each attempt puts its own value (the checker relies on put values being unique).
::testing::AssertionResult PutSentinel(LocalCluster& cluster, const std::string& prefix,
                                       HistoryRecorder& recorder, int64_t* revision) {
  const auto deadline = In(kSettleTime);
  for (int attempt = 0; SteadyClock::now() < deadline; ++attempt) {
    const auto targets = cluster.ClientTargets();
    if (targets.empty()) break;
    const Request put{
        {},
        {{RequestOp::Kind::kPut, prefix + "sentinel", "", "end-" + std::to_string(attempt)}},
        {}};
    Operation op = Execute(targets[static_cast<size_t>(attempt) % targets.size()].channel, put,
                           /*client=*/-1, milliseconds(2000), recorder);
    const bool ok = op.response.has_value();
    if (ok) *revision = op.response->revision;
    recorder.Add(std::move(op));
    if (ok) return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no member took the sentinel put after healing";
}

std::vector<size_t> RunningMembers(LocalCluster& cluster, const FaultDriver& driver) {
  std::vector<size_t> running;
  for (size_t m : driver.members()) {
    if (cluster.IsRunning(m)) running.push_back(m);
  }
  return running;
}

void PrintSchedule(const FaultDriver& driver, size_t from) {
  const auto& schedule = driver.schedule();
  Log() << "faults (" << schedule.size() - from << "):\n";
  for (size_t i = from; i < schedule.size(); ++i) {
    std::cout << std::fixed << std::setprecision(1) << "    " << schedule[i].start_s << "s-"
              << schedule[i].healed_s << "s " << schedule[i].description << "\n";
  }
}

// Runs the faults of one round while the workload records; heals everything at the end.
::testing::AssertionResult InjectFaults(FaultDriver& driver, const RunOptions& options,
                                        SteadyClock::time_point until) {
  std::vector<FaultKind> order;
  while (SteadyClock::now() < until) {
    if (order.empty()) {
      // Every kind once per cycle, in a random order: short runs still see all of them.
      order = options.kinds;
      std::shuffle(order.begin(), order.end(), driver.random());
    }
    const FaultKind kind = order.back();
    order.pop_back();
    ::testing::AssertionResult injected = driver.Inject(kind);
    if (!injected) return injected;
    std::this_thread::sleep_for(milliseconds(500 + driver.random()() % 1000));
  }
  return driver.HealAll();
}

::testing::AssertionResult CheckRound(const History& history,
                                      const std::vector<WatchRecord>& watches, int64_t upto,
                                      const RunOptions& options, int round) {
  const auto start = SteadyClock::now();
  const CheckResult result = CheckLinearizable(history);
  const auto took = std::chrono::duration_cast<milliseconds>(SteadyClock::now() - start);
  Log() << "linearizability: " << VerdictName(result.verdict) << " (" << result.operations
        << " ops checked in " << took.count() << " ms, " << result.partitions
        << " partitions, largest " << result.largest_partition << ", " << result.search_steps
        << " search steps)\n";
  std::string watch_problems;
  for (const WatchRecord& record : watches) {
    WatchCheckResult w = CheckWatch(history, record, upto);
    Log() << "watcher " << record.watcher << ": " << w.events_checked << " events, "
          << record.resumes << " resumes: " << (w.ok ? "ok" : w.problem) << "\n";
    if (!w.ok) watch_problems += "\n" + w.problem;
  }
  if (result.verdict == Verdict::kLinearizable && watch_problems.empty()) {
    return ::testing::AssertionSuccess();
  }
  std::filesystem::create_directories(options.history_dir);
  const auto path = options.history_dir / ("history-seed" + std::to_string(options.seed) +
                                           "-round" + std::to_string(round) + ".jsonl");
  const absl::Status written = WriteHistory(path, history);
  auto failure = ::testing::AssertionFailure();
  if (result.verdict != Verdict::kLinearizable) {
    failure << "history " << VerdictName(result.verdict) << ": " << result.explanation << "\n";
  }
  if (!watch_problems.empty()) failure << "watch check failed:" << watch_problems << "\n";
  failure << "seed " << options.seed << ", round " << round << "; history written to "
          << path.string() << (written.ok() ? "" : " FAILED: " + written.ToString())
          << " (replay: robustness-check " << path.string() << ")";
  return failure;
}

::testing::AssertionResult RunRound(LocalCluster& cluster, FaultDriver& driver,
                                    HistoryRecorder& recorder, const RunOptions& options, int round,
                                    SteadyClock::time_point until, Totals& totals) {
  const std::string prefix = "/robustness/" + std::to_string(round) + "/";
  int64_t revision = 0;
  if (auto r = CurrentRevision(cluster, &revision); !r) return r;
  KvWorkloadOptions kv;
  kv.prefix = prefix;
  kv.clients = options.clients;
  kv.seed = options.seed + static_cast<uint64_t>(round);
  KvWorkload clients(cluster, kv, recorder);
  WatchWorkload watchers(cluster, prefix, options.watchers, revision + 1, kv.seed);
  const size_t first_fault = driver.schedule().size();
  Log() << "round " << round << ": keys " << prefix << ", from revision " << revision + 1 << "\n";
  clients.Start();
  watchers.Start();
  ::testing::AssertionResult faults = InjectFaults(driver, options, until);
  clients.Stop();
  PrintSchedule(driver, first_fault);
  totals.faults += driver.schedule().size() - first_fault;
  int64_t sentinel = 0;
  if (faults) faults = PutSentinel(cluster, prefix, recorder, &sentinel);
  if (faults) faults = watchers.WaitUntilSeen(sentinel, In(kSettleTime));
  watchers.Stop();
  History history = recorder.Take();
  std::vector<WatchRecord> watches = watchers.Records();
  totals.operations += history.size();
  totals.acknowledged += clients.acknowledged();
  totals.unknown += clients.unknown();
  for (const WatchRecord& w : watches) {
    totals.watch_events += w.events.size();
    totals.watch_resumes += w.resumes;
  }
  Log() << "history: " << history.size() << " ops (" << clients.acknowledged() << " acknowledged, "
        << clients.unknown() << " with unknown outcome)\n";
  if (!faults) return faults << " (seed " << options.seed << ", round " << round << ")";
  for (const std::string& error : watchers.Errors())
    return ::testing::AssertionFailure() << error;
  if (auto same = cluster.WaitForSameHash(RunningMembers(cluster, driver), In(kSettleTime));
      !same) {
    return same << " (seed " << options.seed << ", round " << round << ")";
  }
  return CheckRound(history, watches, sentinel, options, round);
}

// Runs the faults and the checks on a cluster of its own; a failure is also added to the test.
::testing::AssertionResult RunCluster(const RunOptions& options) {
  ClusterOptions cluster_options = options.cluster;
  cluster_options.fault_files = true;
  LocalCluster cluster(cluster_options);
  Log() << "seed " << options.seed << " (RAFTKV_ROBUSTNESS_SEED=" << options.seed
        << " repeats the fault schedule), " << options.duration.count() / 1000 << " s of faults in "
        << options.round.count() / 1000 << " s rounds, fault kinds:";
  for (FaultKind kind : options.kinds)
    std::cout << " " << FaultName(kind);
  std::cout << std::endl;
  if (auto started = cluster.Start(In(kSettleTime)); !started) {
    ADD_FAILURE() << started.message();
    return started;
  }
  HistoryRecorder recorder;
  FaultDriver driver(cluster, options.seed, recorder, options.link_control);
  Totals totals;
  const auto end = SteadyClock::now() + options.duration;
  ::testing::AssertionResult outcome = ::testing::AssertionSuccess();
  for (int round = 1; outcome && SteadyClock::now() < end; ++round) {
    const auto until = std::min(end, SteadyClock::now() + options.round);
    outcome = RunRound(cluster, driver, recorder, options, round, until, totals);
  }
  Log() << "seed " << options.seed << ": " << totals.operations << " ops (" << totals.acknowledged
        << " acknowledged, " << totals.unknown << " unknown), " << totals.faults << " faults, "
        << totals.watch_events << " watch events over " << totals.watch_resumes
        << " resumes; verdict: " << (outcome ? "PASS" : "FAIL") << std::endl;
  // Reported while the cluster is still up: its destructor then prints the members' logs.
  if (!outcome) ADD_FAILURE() << outcome.message();
  return outcome;
}

}  // namespace

uint64_t SeedFromEnvironment() {
  if (const char* seed = std::getenv("RAFTKV_ROBUSTNESS_SEED"))
    return std::strtoull(seed, nullptr, 10);
  return std::random_device()() % 1000000;
}

void RunWithFaults(const RunOptions& options) {
  // Progress shows as it happens even when stdout is a file (a soak run's log).
  std::cout << std::unitbuf;
  const ::testing::AssertionResult outcome = RunCluster(options);
  // Said again after the cluster's teardown printed the members' logs, so that the verdict is
  // in the last lines of the output (all that a CI summary may keep).
  if (!outcome) Log() << "FAILED: " << outcome.message() << std::endl;
}

}  // namespace raftkv::robustness
