// `raftkv-bench`: a load tool speaking etcd's v3 gRPC API, so it drives raftkv and etcd alike.
//
//   raftkv-bench put   --endpoints 127.0.0.1:2379 --clients 100 --conns 10 --total 50000
//   raftkv-bench range --consistency s --duration 10s
//   raftkv-bench txn-put --json
//   raftkv-bench watch --watchers 100 --put-rate 200 --total 2000
//   raftkv-bench lease-keepalive --clients 100 --total 50000
//
// Clients are state machines driven by a few completion-queue threads (--threads), so a
// thousand clients cost little of the machine the server runs on. Warm-up requests run first
// and are not measured; the report includes this tool's own CPU per request.
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/synchronization/mutex.h"
#include "bench_lease.h"
#include "bench_options.h"
#include "bench_report.h"
#include "bench_unary.h"
#include "bench_watch.h"

namespace raftkv::bench {
namespace {

void AddCommonFlags(CLI::App& command, BenchOptions& options) {
  command.add_option("--endpoints", options.endpoints, "comma-separated host:port list");
  command.add_option("--conns", options.conns, "gRPC channels")->check(CLI::PositiveNumber);
  command.add_option("--threads", options.threads, "completion-queue threads driving the clients")
      ->check(CLI::PositiveNumber);
  command.add_option("--total", options.total, "measured requests (watch: puts)");
  command.add_option("--duration", options.duration, "run this long instead (e.g. 10s)");
  command.add_option("--key-size", options.key_size, "key bytes");
  command.add_option("--key-space-size", options.key_space_size, "distinct keys")
      ->check(CLI::PositiveNumber);
  command.add_flag("--sequential-keys", options.sequential_keys, "keys in order, not random");
  command.add_option("--warmup", options.warmup, "unmeasured requests first");
  command.add_flag("--json", options.json, "print one JSON object");
}

void AddClientsFlag(CLI::App& command, BenchOptions& options) {
  command.add_option("--clients", options.clients, "concurrent clients, spread over --conns")
      ->check(CLI::PositiveNumber);
}

void AddWriteFlags(CLI::App& command, BenchOptions& options) {
  command.add_option("--val-size", options.val_size, "value bytes (random)");
}

int Report(const BenchReport& report, const BenchOptions& options) {
  std::cout << (options.json ? RenderJson(report) : RenderText(report)) << std::flush;
  return report.failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace raftkv::bench

int main(int argc, char** argv) {
  // Debian's abseil is built with deadlock detection on: a global lock graph updated on every
  // absl::Mutex lock, gRPC's included. Not what a load generator should spend its CPU on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  using raftkv::bench::UnaryOperation;
  raftkv::bench::BenchOptions options;
  CLI::App app{"raftkv-bench: load generator for the etcd v3 gRPC API"};
  app.require_subcommand(1);
  CLI::App* put = app.add_subcommand("put", "Put random values");
  CLI::App* range = app.add_subcommand("range", "Range single keys");
  CLI::App* txn_put = app.add_subcommand("txn-put", "Txn with one Put");
  CLI::App* watch = app.add_subcommand("watch", "Event latency and events/s of watchers");
  CLI::App* keepalive = app.add_subcommand("lease-keepalive", "LeaseKeepAlive round trips");
  for (CLI::App* command : {put, range, txn_put, watch, keepalive}) {
    raftkv::bench::AddCommonFlags(*command, options);
  }
  for (CLI::App* command : {put, range, txn_put, keepalive}) {
    raftkv::bench::AddClientsFlag(*command, options);
  }
  for (CLI::App* command : {put, txn_put, watch}) {
    raftkv::bench::AddWriteFlags(*command, options);
  }
  range->add_option("--consistency", options.consistency, "l (linearizable) or s (serializable)")
      ->check(CLI::IsMember({"l", "s"}));
  watch->add_option("--watchers", options.watchers, "watch streams, spread over --conns")
      ->check(CLI::PositiveNumber);
  watch->add_option("--put-rate", options.put_rate, "writer puts per second")
      ->check(CLI::PositiveNumber);
  watch->add_flag("--watch-prefix", options.watch_prefix,
                  "watch every key, and put random keys of the key space");
  keepalive->add_option("--lease-ttl", options.lease_ttl_seconds, "TTL of each client's lease (s)")
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  try {
    if (put->parsed()) {
      return raftkv::bench::Report(RunUnaryBenchmark(UnaryOperation::kPut, "put", options),
                                   options);
    }
    if (range->parsed()) {
      return raftkv::bench::Report(RunUnaryBenchmark(UnaryOperation::kRange, "range", options),
                                   options);
    }
    if (txn_put->parsed()) {
      return raftkv::bench::Report(RunUnaryBenchmark(UnaryOperation::kTxnPut, "txn-put", options),
                                   options);
    }
    if (watch->parsed()) {
      return raftkv::bench::Report(raftkv::bench::RunWatchBenchmark(options), options);
    }
    return raftkv::bench::Report(raftkv::bench::RunLeaseKeepAliveBenchmark(options), options);
  } catch (const CLI::Error& error) {
    return app.exit(error);
  }
}
