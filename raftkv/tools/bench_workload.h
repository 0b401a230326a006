// What the clients of `raftkv-bench` send: a request budget shared by all clients, keys and
// values shaped as etcd's benchmark shapes them, and the channels they travel on.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <latch>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bench_options.h"
#include "bench_report.h"

namespace raftkv::bench {

using Clock = std::chrono::steady_clock;

// Hands out request numbers until the request budget or the deadline runs out.
class RequestBudget {
 public:
  RequestBudget(int64_t total, std::optional<Clock::time_point> deadline)
      : total_(total), deadline_(deadline) {}

  // The next request number, or nullopt when the run is over.
  std::optional<int64_t> Next();

 private:
  const int64_t total_;
  const std::optional<Clock::time_point> deadline_;
  std::atomic<int64_t> issued_{0};
};

// Fixed-size keys naming an index in the key space, and one random value per client.
class Workload {
 public:
  Workload(const BenchOptions& options, uint64_t seed);

  std::string KeyFor(int64_t request_number);
  const std::string& Value() const { return value_; }

  // The key of index `index`: decimal, right-aligned and zero-padded to --key-size.
  static std::string FixedWidthKey(int64_t index, int key_size);

 private:
  std::string RandomBytes(int size);

  int key_size_;
  int64_t key_space_size_;
  bool sequential_keys_;
  std::mt19937_64 random_;
  std::string value_;
};

// One channel per --conns, spread over --endpoints round-robin.
std::vector<std::shared_ptr<grpc::Channel>> OpenChannels(const BenchOptions& options);

// The deadline --duration asks for, or nullopt when it is empty; an error for a bad duration.
std::optional<Clock::time_point> DeadlineFrom(const std::string& duration_flag);

// user + sys CPU seconds of this process so far.
double ProcessCpuSeconds();

int64_t NanosSince(Clock::time_point start);

// Starts every client on `budget` (each through its Begin(budget, done, result)) and waits
// until each has counted down: one measured or warm-up phase.
template <class Client>
std::vector<WorkerResult> RunPhase(std::vector<std::unique_ptr<Client>>& clients,
                                   RequestBudget& budget) {
  std::vector<WorkerResult> results(clients.size());
  std::latch phase_done(static_cast<std::ptrdiff_t>(clients.size()));
  for (size_t i = 0; i < clients.size(); ++i)
    clients[i]->Begin(budget, phase_done, results[i]);
  phase_done.wait();
  return results;
}

// What a measured phase produced: each client's results, the wall time and this tool's CPU.
struct MeasuredRun {
  std::vector<WorkerResult> results;
  double seconds = 0;
  double cpu_seconds = 0;
};

// The --warmup requests (unmeasured), then the measured phase of --total or --duration.
template <class Client>
MeasuredRun RunWarmupThenMeasure(std::vector<std::unique_ptr<Client>>& clients,
                                 const BenchOptions& options) {
  RequestBudget warmup_budget(options.warmup, std::nullopt);
  RunPhase(clients, warmup_budget);
  const double cpu_before = ProcessCpuSeconds();
  const Clock::time_point start = Clock::now();
  RequestBudget budget(options.total, DeadlineFrom(options.duration));
  MeasuredRun run;
  run.results = RunPhase(clients, budget);
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  run.cpu_seconds = ProcessCpuSeconds() - cpu_before;
  return run;
}

}  // namespace raftkv::bench
