// The watch case of `raftkv-bench`: --watchers watch streams (spread over --conns) on one key
// or, with --watch-prefix, on every key; one writer puts at --put-rate on its own connection.
// An event's latency runs from the moment its put was sent to the moment a watcher received
// it (as in etcd's `benchmark watch-latency`); throughput is events received per second.
#pragma once

#include "bench_options.h"
#include "bench_report.h"

namespace raftkv::bench {

BenchReport RunWatchBenchmark(const BenchOptions& options);

}  // namespace raftkv::bench
