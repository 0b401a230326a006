// The crash-loop back-off of a container, as Kubernetes': the first restart waits `base`
// (10 s), each further one twice as long up to `max` (5 min). A container that ran longer than
// twice the maximum before it ended starts over at `base`.
#pragma once

#include "absl/time/time.h"

namespace orch::kubelet {

class RestartBackOff {
 public:
  RestartBackOff(absl::Duration base, absl::Duration max) : base_(base), max_(max) {}

  // The wait before restarting a container that ran for `ran_for`; each call counts one
  // restart.
  absl::Duration Next(absl::Duration ran_for);
  // The wait the last Next returned (zero before any).
  absl::Duration current() const { return current_; }

 private:
  absl::Duration base_;
  absl::Duration max_;
  absl::Duration current_ = absl::ZeroDuration();
};

}  // namespace orch::kubelet
