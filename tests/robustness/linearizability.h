// Decides whether a key-value history is linearizable against etcd's model: keys with value,
// version, create and mod revision; transactions with compares; one global revision that
// every write advances, reported in each response header.
//
// How (docs/robustness.md has the long form):
//  1. Global revision checks. Revisions order all writes, so successful writes have distinct
//     revisions, and an operation that starts after another completed reports a revision at
//     least as high (strictly higher if it wrote). A stale read of any key shows up here.
//  2. P-compositionality: the operations are split into partitions of keys no operation
//     crosses (a txn or range over several keys merges theirs), and each partition is checked
//     alone with Wing & Gong's search as improved by Lowe (memoizing linearized set + state).
//     The model carries the last revision linearized, so writes can only be linearized in
//     revision order: that prunes the search to nearly linear time.
//  3. Indeterminate operations may be linearized at any time after their invocation or not
//     at all. A fast pass first leaves out the ones whose effect nothing observed; only if
//     that pass fails does the exact pass put them back.
//
// Every rejection is a real violation: each check is necessary for linearizability.

#ifndef RAFTKV_TESTS_ROBUSTNESS_LINEARIZABILITY_H_
#define RAFTKV_TESTS_ROBUSTNESS_LINEARIZABILITY_H_

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "history.h"

namespace raftkv::robustness {

enum class Verdict { kLinearizable, kViolation, kUnknown };

const char* VerdictName(Verdict verdict);

struct CheckOptions {
  // Search budget of one partition; past it the verdict is kUnknown, not a guess.
  std::chrono::milliseconds partition_budget{60000};
};

struct CheckResult {
  Verdict verdict = Verdict::kLinearizable;
  // For a violation: which check failed and the operations involved (Describe()d), so that a
  // reader can see the anomaly without the search's internals. For kUnknown: why.
  std::string explanation;
  // Indices into the history: the operations named in the explanation.
  std::vector<size_t> culprits;
  size_t operations = 0;  // checked (reads with an unknown outcome are left out)
  size_t partitions = 0;
  size_t largest_partition = 0;
  uint64_t search_steps = 0;
};

CheckResult CheckLinearizable(const History& history, const CheckOptions& options = {});

}  // namespace raftkv::robustness

#endif  // RAFTKV_TESTS_ROBUSTNESS_LINEARIZABILITY_H_
