#include "bench_workload.h"

#include <sys/resource.h>

#include <algorithm>

#include "CLI/CLI.hpp"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace raftkv::bench {

std::optional<int64_t> RequestBudget::Next() {
  if (deadline_) {
    if (Clock::now() >= *deadline_) return std::nullopt;
    return issued_.fetch_add(1, std::memory_order_relaxed);
  }
  const int64_t number = issued_.fetch_add(1, std::memory_order_relaxed);
  if (number >= total_) return std::nullopt;
  return number;
}

Workload::Workload(const BenchOptions& options, uint64_t seed)
    : key_size_(options.key_size),
      key_space_size_(std::max<int64_t>(options.key_space_size, 1)),
      sequential_keys_(options.sequential_keys),
      random_(seed),
      value_(RandomBytes(options.val_size)) {}

std::string Workload::KeyFor(int64_t request_number) {
  const int64_t index =
      sequential_keys_ ? request_number % key_space_size_
                       : std::uniform_int_distribution<int64_t>(0, key_space_size_ - 1)(random_);
  return FixedWidthKey(index, key_size_);
}

std::string Workload::FixedWidthKey(int64_t index, int key_size) {
  std::string digits = std::to_string(index);
  const auto width = static_cast<size_t>(std::max(key_size, 1));
  if (digits.size() >= width) return digits;
  return std::string(width - digits.size(), '0') + digits;
}

std::string Workload::RandomBytes(int size) {
  std::string bytes(static_cast<size_t>(std::max(size, 0)), '\0');
  std::uniform_int_distribution<int> byte(0, 255);
  for (char& c : bytes)
    c = static_cast<char>(byte(random_));
  return bytes;
}

std::vector<std::shared_ptr<grpc::Channel>> OpenChannels(const BenchOptions& options) {
  const std::vector<std::string> endpoints =
      absl::StrSplit(options.endpoints, ',', absl::SkipWhitespace());
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int conn = 0; conn < options.conns; ++conn) {
    grpc::ChannelArguments arguments;
    // A distinct argument keeps gRPC from folding the channels onto one TCP connection.
    arguments.SetInt("raftkv_bench.conn", conn);
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    const std::string& endpoint = endpoints[static_cast<size_t>(conn) % endpoints.size()];
    channels.push_back(
        grpc::CreateCustomChannel(endpoint, grpc::InsecureChannelCredentials(), arguments));
  }
  return channels;
}

std::optional<Clock::time_point> DeadlineFrom(const std::string& duration_flag) {
  if (duration_flag.empty()) return std::nullopt;
  absl::Duration duration;
  if (!absl::ParseDuration(duration_flag, &duration)) {
    throw CLI::ValidationError("--duration", "not a duration: " + duration_flag);
  }
  return Clock::now() + absl::ToChronoNanoseconds(duration);
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& time) {
    return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

int64_t NanosSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}

}  // namespace raftkv::bench
