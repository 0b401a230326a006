#include "raftkv/server/auto_compaction.h"

namespace raftkv::server {
namespace {

constexpr auto kRevisionCheckInterval = std::chrono::minutes(5);

}  // namespace

AutoCompactionPolicy::AutoCompactionPolicy(const ServerOptions& options)
    : mode_(options.auto_compaction_mode),
      period_(options.auto_compaction_period),
      revisions_(options.auto_compaction_revisions) {}

void AutoCompactionPolicy::Reset() {
  samples_.clear();
  last_check_.reset();
}

std::optional<int64_t> AutoCompactionPolicy::Next(Clock::time_point now, int64_t current_revision) {
  return mode_ == AutoCompactionMode::kPeriodic ? NextPeriodic(now, current_revision)
                                                : NextByRevision(now, current_revision);
}

std::optional<int64_t> AutoCompactionPolicy::NextPeriodic(Clock::time_point now,
                                                          int64_t current_revision) {
  if (period_.count() <= 0) return std::nullopt;
  auto interval = period_ >= std::chrono::hours(1) ? period_ / 10 : period_;
  if (last_check_ && now - *last_check_ < interval) return std::nullopt;
  last_check_ = now;
  samples_.push_back(Sample{now, current_revision});
  // The newest sample at least a retention period old is what may go.
  std::optional<int64_t> target;
  while (!samples_.empty() && now - samples_.front().at >= period_) {
    target = samples_.front().revision;
    samples_.pop_front();
  }
  if (!target || *target <= last_compacted_) return std::nullopt;
  last_compacted_ = *target;
  return target;
}

std::optional<int64_t> AutoCompactionPolicy::NextByRevision(Clock::time_point now,
                                                            int64_t current_revision) {
  if (revisions_ <= 0) return std::nullopt;
  if (last_check_ && now - *last_check_ < kRevisionCheckInterval) return std::nullopt;
  last_check_ = now;
  int64_t target = current_revision - revisions_;
  if (target <= 0 || target <= last_compacted_) return std::nullopt;
  last_compacted_ = target;
  return target;
}

}  // namespace raftkv::server
