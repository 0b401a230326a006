// When a hollow node's heartbeats fall due. Node i of n renews on the grid
// phase(i) + k * interval with phase(i) = start + interval * i / n, so n nodes spread evenly
// over one interval whatever n is, and a late heartbeat skips the slots it missed instead of
// bunching up behind them.
#pragma once

#include "absl/time/time.h"

namespace orch::kubelet {

// The grid phase of node `index` of `count`: start + interval * index / count.
absl::Time HeartbeatPhase(absl::Time start, absl::Duration interval, int index, int count);

// The first point of the grid phase + k * interval (k any integer) strictly after `now`.
absl::Time NextHeartbeatAfter(absl::Time phase, absl::Duration interval, absl::Time now);

}  // namespace orch::kubelet
