#include "orchestrator/kubelet/hollow_schedule.h"

#include <cmath>
#include <cstdint>

namespace orch::kubelet {

absl::Time HeartbeatPhase(absl::Time start, absl::Duration interval, int index, int count) {
  if (count <= 0) return start;
  return start + interval * index / count;
}

absl::Time NextHeartbeatAfter(absl::Time phase, absl::Duration interval, absl::Time now) {
  const auto slots_passed =
      static_cast<int64_t>(std::floor(absl::FDivDuration(now - phase, interval)));
  absl::Time next = phase + interval * (slots_passed + 1);
  // Rounding of the division can land one slot early or late: settle on the first one after.
  while (next <= now)
    next += interval;
  while (next - interval > now)
    next -= interval;
  return next;
}

}  // namespace orch::kubelet
