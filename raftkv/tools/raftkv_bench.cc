// `raftkv-bench`: a load tool speaking etcd's v3 gRPC API, so it drives raftkv and etcd alike.
//
//   raftkv-bench put   --endpoints 127.0.0.1:2379 --clients 10 --conns 2 --total 5000
//   raftkv-bench range --consistency s --duration 10s
//   raftkv-bench txn-put --json
//
// Each client is one thread issuing blocking calls over a channel it shares with the other
// clients of its connection. Warm-up requests run first and are not measured.
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "bench_report.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace raftkv::bench {
namespace {

using Clock = std::chrono::steady_clock;

enum class Operation { kPut, kRange, kTxnPut };

struct BenchOptions {
  std::string endpoints = "127.0.0.1:2379";
  int conns = 1;
  int clients = 1;
  int64_t total = 10000;
  std::string duration;  // absl duration, e.g. "10s"; overrides --total when set
  int key_size = 8;
  int val_size = 8;
  int64_t key_space_size = 1;
  bool sequential_keys = false;
  std::string consistency = "l";
  int64_t warmup = 0;
  bool json = false;
};

// Hands out request numbers until the request budget or the deadline runs out.
class RequestBudget {
 public:
  RequestBudget(int64_t total, std::optional<Clock::time_point> deadline)
      : total_(total), deadline_(deadline) {}

  // The next request number, or nullopt when the run is over.
  std::optional<int64_t> Next() {
    if (deadline_) {
      if (Clock::now() >= *deadline_) return std::nullopt;
      return issued_.fetch_add(1, std::memory_order_relaxed);
    }
    const int64_t number = issued_.fetch_add(1, std::memory_order_relaxed);
    if (number >= total_) return std::nullopt;
    return number;
  }

 private:
  const int64_t total_;
  const std::optional<Clock::time_point> deadline_;
  std::atomic<int64_t> issued_{0};
};

// Builds keys and values the way etcd's benchmark does: fixed-size keys naming an index in the
// key space, one random value per client.
class Workload {
 public:
  Workload(const BenchOptions& options, uint64_t seed)
      : options_(options), random_(seed), value_(RandomBytes(options.val_size)) {}

  std::string KeyFor(int64_t request_number) {
    const int64_t space = std::max<int64_t>(options_.key_space_size, 1);
    const int64_t index = options_.sequential_keys
                              ? request_number % space
                              : std::uniform_int_distribution<int64_t>(0, space - 1)(random_);
    return FixedWidthKey(index);
  }

  const std::string& Value() const { return value_; }

 private:
  std::string RandomBytes(int size) {
    std::string bytes(static_cast<size_t>(std::max(size, 0)), '\0');
    std::uniform_int_distribution<int> byte(0, 255);
    for (char& c : bytes)
      c = static_cast<char>(byte(random_));
    return bytes;
  }

  // The decimal index, right-aligned and zero-padded to --key-size (longer if it must be).
  std::string FixedWidthKey(int64_t index) const {
    std::string digits = std::to_string(index);
    const auto width = static_cast<size_t>(std::max(options_.key_size, 1));
    if (digits.size() >= width) return digits;
    return std::string(width - digits.size(), '0') + digits;
  }

  const BenchOptions& options_;
  std::mt19937_64 random_;
  std::string value_;
};

// Sends one request of the chosen kind; returns its status.
class RequestSender {
 public:
  RequestSender(Operation operation, const BenchOptions& options,
                std::shared_ptr<grpc::Channel> channel)
      : operation_(operation),
        serializable_(options.consistency == "s"),
        stub_(etcdserverpb::KV::NewStub(std::move(channel))) {}

  grpc::Status Send(const std::string& key, const std::string& value) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    switch (operation_) {
      case Operation::kPut:
        return SendPut(context, key, value);
      case Operation::kRange:
        return SendRange(context, key);
      case Operation::kTxnPut:
        return SendTxnPut(context, key, value);
    }
    return grpc::Status(grpc::StatusCode::INTERNAL, "unknown operation");
  }

 private:
  grpc::Status SendPut(grpc::ClientContext& context, const std::string& key,
                       const std::string& value) {
    etcdserverpb::PutRequest request;
    request.set_key(key);
    request.set_value(value);
    etcdserverpb::PutResponse response;
    return stub_->Put(&context, request, &response);
  }

  grpc::Status SendRange(grpc::ClientContext& context, const std::string& key) {
    etcdserverpb::RangeRequest request;
    request.set_key(key);
    request.set_serializable(serializable_);
    etcdserverpb::RangeResponse response;
    return stub_->Range(&context, request, &response);
  }

  grpc::Status SendTxnPut(grpc::ClientContext& context, const std::string& key,
                          const std::string& value) {
    etcdserverpb::TxnRequest request;
    etcdserverpb::PutRequest* put = request.add_success()->mutable_request_put();
    put->set_key(key);
    put->set_value(value);
    etcdserverpb::TxnResponse response;
    return stub_->Txn(&context, request, &response);
  }

  const Operation operation_;
  const bool serializable_;
  std::unique_ptr<etcdserverpb::KV::Stub> stub_;
};

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

void RunClient(RequestSender& sender, Workload& workload, RequestBudget& budget,
               WorkerResult& result) {
  while (const std::optional<int64_t> number = budget.Next()) {
    const std::string key = workload.KeyFor(*number);
    const Clock::time_point start = Clock::now();
    const grpc::Status status = sender.Send(key, workload.Value());
    const auto latency = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start);
    if (status.ok()) {
      result.latencies_ns.push_back(latency.count());
    } else {
      ++result.errors_by_message[status.error_message()];
    }
  }
}

// Runs every client to the end of the budget; one result per client.
std::vector<WorkerResult> RunPhase(std::vector<RequestSender>& senders,
                                   std::vector<Workload>& workloads, RequestBudget& budget) {
  std::vector<WorkerResult> results(senders.size());
  std::vector<std::thread> threads;
  for (size_t client = 0; client < senders.size(); ++client) {
    threads.emplace_back(RunClient, std::ref(senders[client]), std::ref(workloads[client]),
                         std::ref(budget), std::ref(results[client]));
  }
  for (std::thread& thread : threads)
    thread.join();
  return results;
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& time) {
    return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::optional<Clock::time_point> DeadlineFrom(const std::string& duration_flag) {
  if (duration_flag.empty()) return std::nullopt;
  absl::Duration duration;
  if (!absl::ParseDuration(duration_flag, &duration)) {
    throw CLI::ValidationError("--duration", "not a duration: " + duration_flag);
  }
  return Clock::now() + absl::ToChronoNanoseconds(duration);
}

int RunBenchmark(Operation operation, const std::string& operation_name,
                 const BenchOptions& options) {
  const auto channels = OpenChannels(options);
  std::vector<RequestSender> senders;
  std::vector<Workload> workloads;
  std::random_device seed_source;
  for (int client = 0; client < options.clients; ++client) {
    senders.emplace_back(operation, options,
                         channels[static_cast<size_t>(client) % channels.size()]);
    workloads.emplace_back(options, (static_cast<uint64_t>(seed_source()) << 32) | seed_source());
  }
  RequestBudget warmup_budget(options.warmup, std::nullopt);
  RunPhase(senders, workloads, warmup_budget);

  const double cpu_before = ProcessCpuSeconds();
  const Clock::time_point start = Clock::now();
  RequestBudget budget(options.total, DeadlineFrom(options.duration));
  std::vector<WorkerResult> results = RunPhase(senders, workloads, budget);
  const std::chrono::duration<double> elapsed = Clock::now() - start;
  const BenchReport report = MergeResults(operation_name, std::move(results), elapsed.count(),
                                          ProcessCpuSeconds() - cpu_before);
  std::cout << (options.json ? RenderJson(report) : RenderText(report)) << std::flush;
  return report.failures == 0 ? 0 : 1;
}

void AddCommonFlags(CLI::App& command, BenchOptions& options) {
  command.add_option("--endpoints", options.endpoints, "comma-separated host:port list");
  command.add_option("--conns", options.conns, "gRPC channels")->check(CLI::PositiveNumber);
  command.add_option("--clients", options.clients, "concurrent clients, spread over --conns")
      ->check(CLI::PositiveNumber);
  command.add_option("--total", options.total, "measured requests");
  command.add_option("--duration", options.duration, "run this long instead (e.g. 10s)");
  command.add_option("--key-size", options.key_size, "key bytes");
  command.add_option("--key-space-size", options.key_space_size, "distinct keys")
      ->check(CLI::PositiveNumber);
  command.add_flag("--sequential-keys", options.sequential_keys, "keys in order, not random");
  command.add_option("--warmup", options.warmup, "unmeasured requests first");
  command.add_flag("--json", options.json, "print one JSON object");
}

void AddWriteFlags(CLI::App& command, BenchOptions& options) {
  command.add_option("--val-size", options.val_size, "value bytes (random)");
}

}  // namespace
}  // namespace raftkv::bench

int main(int argc, char** argv) {
  using raftkv::bench::Operation;
  raftkv::bench::BenchOptions options;
  CLI::App app{"raftkv-bench: load generator for the etcd v3 gRPC API"};
  app.require_subcommand(1);
  CLI::App* put = app.add_subcommand("put", "Put random values");
  CLI::App* range = app.add_subcommand("range", "Range single keys");
  CLI::App* txn_put = app.add_subcommand("txn-put", "Txn with one Put");
  for (CLI::App* command : {put, range, txn_put}) {
    raftkv::bench::AddCommonFlags(*command, options);
  }
  raftkv::bench::AddWriteFlags(*put, options);
  raftkv::bench::AddWriteFlags(*txn_put, options);
  range->add_option("--consistency", options.consistency, "l (linearizable) or s (serializable)")
      ->check(CLI::IsMember({"l", "s"}));
  CLI11_PARSE(app, argc, argv);

  try {
    if (put->parsed()) return raftkv::bench::RunBenchmark(Operation::kPut, "put", options);
    if (range->parsed()) return raftkv::bench::RunBenchmark(Operation::kRange, "range", options);
    return raftkv::bench::RunBenchmark(Operation::kTxnPut, "txn-put", options);
  } catch (const CLI::Error& error) {
    return app.exit(error);
  }
}
