#ifndef RAFTKV_SERVER_AUTO_COMPACTION_H_
#define RAFTKV_SERVER_AUTO_COMPACTION_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>

#include "raftkv/server/server_options.h"

namespace raftkv::server {

// When to compact the key space on its own, as etcd 3.4's compactors decide it
// (--auto-compaction-mode, --auto-compaction-retention). Pure policy: the leader asks it on
// every tick and proposes the compaction it names.
//
// periodic: keep `retention` of history. Revisions are sampled every retention/10 (every
//   retention when under an hour); the compaction goes to the revision seen `retention` ago.
// revision: every 5 minutes, keep the last `retention` revisions.
class AutoCompactionPolicy {
 public:
  using Clock = std::chrono::steady_clock;

  explicit AutoCompactionPolicy(const ServerOptions& options);

  // The revision to compact to now, if any. current_revision is the store's.
  std::optional<int64_t> Next(Clock::time_point now, int64_t current_revision);
  // Leadership changed hands: start observing afresh, as etcd's compactor resumes.
  void Reset();

 private:
  struct Sample {
    Clock::time_point at;
    int64_t revision;
  };
  std::optional<int64_t> NextPeriodic(Clock::time_point now, int64_t current_revision);
  std::optional<int64_t> NextByRevision(Clock::time_point now, int64_t current_revision);

  AutoCompactionMode mode_;
  std::chrono::milliseconds period_;
  int64_t revisions_;
  std::deque<Sample> samples_;
  std::optional<Clock::time_point> last_check_;
  int64_t last_compacted_ = 0;
};

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_AUTO_COMPACTION_H_
