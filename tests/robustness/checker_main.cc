// robustness-check <history.jsonl> [--budget-seconds=N]
//
// Replays a history written by a robustness run through the linearizability checker.
// Exit status: 0 linearizable, 1 not linearizable, 2 undecided or unreadable input.

#include <chrono>
#include <iostream>
#include <string>

#include "history.h"
#include "linearizability.h"

namespace {

constexpr int kLinearizable = 0;
constexpr int kViolation = 1;
constexpr int kUndecided = 2;

int Usage() {
  std::cerr << "usage: robustness-check <history.jsonl> [--budget-seconds=N]\n";
  return kUndecided;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace raftkv::robustness;
  std::string path;
  CheckOptions options;
  const std::string budget_flag = "--budget-seconds=";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind(budget_flag, 0) == 0) {
      options.partition_budget = std::chrono::seconds(std::stoi(arg.substr(budget_flag.size())));
    } else if (path.empty() && arg.rfind("--", 0) != 0) {
      path = arg;
    } else {
      return Usage();
    }
  }
  if (path.empty()) return Usage();
  auto history = ReadHistory(path);
  if (!history.ok()) {
    std::cerr << history.status() << "\n";
    return kUndecided;
  }
  const auto start = std::chrono::steady_clock::now();
  const CheckResult result = CheckLinearizable(*history, options);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  std::cout << path << ": " << history->size() << " operations (" << result.operations
            << " checked), " << result.partitions << " partitions (largest "
            << result.largest_partition << "), " << result.search_steps << " search steps, "
            << took.count() << " ms\nverdict: " << VerdictName(result.verdict) << "\n";
  if (!result.explanation.empty()) std::cout << result.explanation << "\n";
  switch (result.verdict) {
    case Verdict::kLinearizable:
      return kLinearizable;
    case Verdict::kViolation:
      return kViolation;
    case Verdict::kUnknown:
      return kUndecided;
  }
  return kUndecided;
}
