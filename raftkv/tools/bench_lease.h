// The lease-keepalive case of `raftkv-bench`: each client grants a lease (--lease-ttl), opens a
// LeaseKeepAlive stream, and keeps one keep-alive in flight on it; latency is a keep-alive's
// round trip.
#pragma once

#include "bench_options.h"
#include "bench_report.h"

namespace raftkv::bench {

BenchReport RunLeaseKeepAliveBenchmark(const BenchOptions& options);

}  // namespace raftkv::bench
