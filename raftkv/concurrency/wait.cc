#include "raftkv/concurrency/wait.h"

#include <algorithm>

#include "raftkv/errors.h"

namespace raftkv::concurrency::internal {
namespace {

constexpr std::chrono::milliseconds kCallTimeout{5000};

// Waits for a delete of `key` after `revision`. OK also when the watch was compacted (the
// caller looks again).
absl::Status WaitDelete(KV& kv, const std::string& key, int64_t revision, Deadline deadline) {
  WatchOptions options;
  options.start_revision = revision;
  options.filter_put = true;
  options.deadline = CallDeadline(deadline);
  absl::StatusOr<std::unique_ptr<Watcher>> watcher = kv.Watch(key, options);
  if (!watcher.ok()) return watcher.status();
  const Deadline end = deadline == Deadline{} ? Deadline::max() : deadline;
  for (;;) {
    absl::StatusOr<WatchResponse> response = (*watcher)->Next(end);
    if (!response.ok()) return response.status();
    if (response->canceled) return absl::OkStatus();  // compacted or refused: look again
    for (const WatchEvent& event : response->events) {
      if (event.type == WatchEvent::Type::kDelete) return absl::OkStatus();
    }
  }
}

}  // namespace

Deadline CallDeadline(Deadline deadline) {
  const Deadline call = Within(kCallTimeout);
  return deadline == Deadline{} ? call : std::min(call, deadline);
}

RangeOptions FirstCreated(std::string_view prefix) {
  RangeOptions options = WithPrefix(prefix);
  options.sort_target = SortTarget::kCreateRevision;
  options.sort_order = SortOrder::kAscend;
  options.limit = 1;
  return options;
}

absl::Status WaitDeletes(KV& kv, const std::string& prefix, int64_t max_create_revision,
                         Deadline deadline) {
  for (;;) {
    RangeOptions last_created = WithPrefix(prefix);
    last_created.sort_target = SortTarget::kCreateRevision;
    last_created.sort_order = SortOrder::kDescend;
    last_created.limit = 1;
    last_created.max_create_revision = max_create_revision;
    last_created.deadline = CallDeadline(deadline);
    absl::StatusOr<GetResponse> response = kv.Get(prefix, last_created);
    if (!response.ok()) return response.status();
    if (response->kvs.empty()) return absl::OkStatus();
    if (absl::Status s = WaitDelete(kv, response->kvs[0].key, response->header.revision, deadline);
        !s.ok()) {
      return s;
    }
  }
}

}  // namespace raftkv::concurrency::internal
