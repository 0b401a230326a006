// Waiting in tests for something another thread or process brings about.
#pragma once

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace orch::testing {

// Polls `condition` every `every` until it holds or `within` has passed; returns its last
// answer (so a condition that holds right at the deadline still counts).
inline bool Eventually(const std::function<bool()>& condition, absl::Duration within,
                       absl::Duration every = absl::Milliseconds(20)) {
  const absl::Time deadline = absl::Now() + within;
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(every);
  }
  return condition();
}

}  // namespace orch::testing
