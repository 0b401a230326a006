// Closed-loop unary cases of `raftkv-bench` (put, range, txn-put): each client keeps one
// request in flight and sends the next as soon as the previous answer arrives.
#pragma once

#include <string>

#include "bench_options.h"
#include "bench_report.h"

namespace raftkv::bench {

enum class UnaryOperation { kPut, kRange, kTxnPut };

// Runs --warmup unmeasured requests, then the measured phase (--total or --duration).
BenchReport RunUnaryBenchmark(UnaryOperation operation, const std::string& operation_name,
                              const BenchOptions& options);

}  // namespace raftkv::bench
