#include "orchestrator/kubelet/restart_backoff.h"

#include <algorithm>

namespace orch::kubelet {

absl::Duration RestartBackOff::Next(absl::Duration ran_for) {
  if (current_ == absl::ZeroDuration() || ran_for > 2 * max_) {
    current_ = base_;
  } else {
    current_ = std::min(current_ * 2, max_);
  }
  return current_;
}

}  // namespace orch::kubelet
