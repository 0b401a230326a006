// Results of one `raftkv-bench` run and their rendering as text or JSON.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace raftkv::bench {

// What one worker observed during the measured phase.
struct WorkerResult {
  std::vector<int64_t> latencies_ns;                 // successful requests only
  std::map<std::string, int64_t> errors_by_message;  // failed requests
};

// The whole run, merged over workers.
struct BenchReport {
  std::string operation;
  std::string unit = "requests";  // what the throughput counts (watch: "events")
  int64_t successes = 0;
  int64_t failures = 0;
  double elapsed_seconds = 0;
  double cpu_seconds = 0;                    // user + sys of this process
  std::vector<int64_t> sorted_latencies_ns;  // ascending
  std::map<std::string, int64_t> errors_by_message;
  std::vector<std::pair<std::string, double>> details;  // case-specific figures, e.g. watchers
};

BenchReport MergeResults(std::string operation, std::vector<WorkerResult> results,
                         double elapsed_seconds, double cpu_seconds);

std::string RenderText(const BenchReport& report);
std::string RenderJson(const BenchReport& report);

}  // namespace raftkv::bench
