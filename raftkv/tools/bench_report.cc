#include "bench_report.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace raftkv::bench {
namespace {

struct LatencySummaryMs {
  double avg = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
};

double NanosToMillis(int64_t nanos) {
  return static_cast<double>(nanos) / 1e6;
}

// Nearest-rank percentile of an ascending vector; 0 when empty.
double PercentileMs(const std::vector<int64_t>& sorted, double percent) {
  if (sorted.empty()) return 0;
  const auto rank =
      static_cast<size_t>(std::ceil(percent / 100.0 * static_cast<double>(sorted.size())));
  return NanosToMillis(sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1]);
}

LatencySummaryMs Summarize(const std::vector<int64_t>& sorted) {
  LatencySummaryMs summary;
  if (sorted.empty()) return summary;
  long double total = 0;
  for (int64_t nanos : sorted)
    total += static_cast<long double>(nanos);
  summary.avg = static_cast<double>(total / static_cast<long double>(sorted.size())) / 1e6;
  summary.p50 = PercentileMs(sorted, 50);
  summary.p90 = PercentileMs(sorted, 90);
  summary.p99 = PercentileMs(sorted, 99);
  summary.p999 = PercentileMs(sorted, 99.9);
  summary.max = NanosToMillis(sorted.back());
  return summary;
}

double Throughput(const BenchReport& report) {
  return report.elapsed_seconds > 0 ? static_cast<double>(report.successes) / report.elapsed_seconds
                                    : 0;
}

// Tool CPU (user + sys) per request issued, in microseconds.
double CpuMicrosPerRequest(const BenchReport& report) {
  const int64_t requests = report.successes + report.failures;
  return requests > 0 ? report.cpu_seconds * 1e6 / static_cast<double>(requests) : 0;
}

std::string JsonString(const std::string& text) {
  std::string quoted = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      absl::StrAppend(&quoted, "\\", std::string(1, static_cast<char>(c)));
    } else if (c < 0x20) {
      absl::StrAppend(&quoted, absl::StrFormat("\\u%04x", c));
    } else {
      quoted.push_back(static_cast<char>(c));
    }
  }
  return quoted + "\"";
}

}  // namespace

BenchReport MergeResults(std::string operation, std::vector<WorkerResult> results,
                         double elapsed_seconds, double cpu_seconds) {
  BenchReport report;
  report.operation = std::move(operation);
  report.elapsed_seconds = elapsed_seconds;
  report.cpu_seconds = cpu_seconds;
  for (WorkerResult& result : results) {
    report.sorted_latencies_ns.insert(report.sorted_latencies_ns.end(), result.latencies_ns.begin(),
                                      result.latencies_ns.end());
    for (const auto& [message, count] : result.errors_by_message) {
      report.errors_by_message[message] += count;
      report.failures += count;
    }
  }
  std::sort(report.sorted_latencies_ns.begin(), report.sorted_latencies_ns.end());
  report.successes = static_cast<int64_t>(report.sorted_latencies_ns.size());
  return report;
}

std::string RenderText(const BenchReport& report) {
  const LatencySummaryMs latency = Summarize(report.sorted_latencies_ns);
  std::string text = absl::StrFormat(
      "%s: %d ok, %d errors in %.3f s\n"
      "  throughput     %.1f %s/s\n"
      "  latency (ms)   avg %.3f  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n"
      "  tool CPU       %.2f us/request (%.3f s user+sys)\n",
      report.operation, report.successes, report.failures, report.elapsed_seconds,
      Throughput(report), report.unit, latency.avg, latency.p50, latency.p90, latency.p99,
      latency.p999, latency.max, CpuMicrosPerRequest(report), report.cpu_seconds);
  for (const auto& [name, value] : report.details) {
    absl::StrAppendFormat(&text, "  %-14s %g\n", name, value);
  }
  for (const auto& [message, count] : report.errors_by_message) {
    absl::StrAppendFormat(&text, "  error x%d: %s\n", count, message);
  }
  return text;
}

std::string RenderJson(const BenchReport& report) {
  const LatencySummaryMs latency = Summarize(report.sorted_latencies_ns);
  std::vector<std::string> errors;
  for (const auto& [message, count] : report.errors_by_message) {
    errors.push_back(absl::StrCat(JsonString(message), ":", count));
  }
  std::vector<std::string> details;
  for (const auto& [name, value] : report.details) {
    details.push_back(absl::StrFormat("%s:%.6g", JsonString(name), value));
  }
  return absl::StrFormat(
      "{\"operation\":%s,\"successes\":%d,\"failures\":%d,\"elapsed_s\":%.6f,"
      "\"requests_per_s\":%.3f,\"latency_ms\":{\"avg\":%.6f,\"p50\":%.6f,\"p90\":%.6f,"
      "\"p99\":%.6f,\"p99_9\":%.6f,\"max\":%.6f},\"cpu_s\":%.6f,\"cpu_us_per_request\":%.3f,"
      "\"errors\":{%s},\"unit\":%s,\"details\":{%s}}\n",
      JsonString(report.operation), report.successes, report.failures, report.elapsed_seconds,
      Throughput(report), latency.avg, latency.p50, latency.p90, latency.p99, latency.p999,
      latency.max, report.cpu_seconds, CpuMicrosPerRequest(report), absl::StrJoin(errors, ","),
      JsonString(report.unit), absl::StrJoin(details, ","));
}

}  // namespace raftkv::bench
