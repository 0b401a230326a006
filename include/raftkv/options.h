#ifndef RAFTKV_OPTIONS_H_
#define RAFTKV_OPTIONS_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace raftkv {

using Clock = std::chrono::steady_clock;
// An absolute point by which a call must complete. Deadline{} (the default everywhere) means
// "the KV's default request timeout from the moment of the call".
using Deadline = Clock::time_point;

// A deadline `timeout` from now.
inline Deadline Within(std::chrono::milliseconds timeout) {
  return Clock::now() + timeout;
}

// The range_end that selects every key starting with `prefix` (etcd's GetPrefixRangeEnd):
// the prefix with its last byte below 0xff incremented. An empty prefix, or one of only 0xff
// bytes, gives "\0", which means "every key >= key".
std::string PrefixEnd(std::string_view prefix);

// Options of calls that take nothing else.
struct CallOptions {
  Deadline deadline{};
};

enum class SortOrder { kNone, kAscend, kDescend };
enum class SortTarget { kKey, kVersion, kCreateRevision, kModRevision, kValue };

// What a Get reads. Keys follow etcd: an empty range_end reads the single key; range_end
// "\0" (std::string(1, '\0')) reads every key >= key; otherwise [key, range_end).
struct RangeOptions {
  std::string range_end{};
  int64_t limit = 0;     // at most this many keys (0: no limit); `more` says if there were more
  int64_t revision = 0;  // read as of this revision (0: current). Below the compact revision
                         // fails with the "compacted" error, above the current with "future"
  // false (default): linearizable, the read reflects every write acknowledged before it
  // started (a ReadIndex round with the leader). true: served from the answering member's
  // local state at once; may be stale, never goes backwards on one member.
  bool serializable = false;
  bool keys_only = false;   // values left empty
  bool count_only = false;  // only `count`
  SortOrder sort_order = SortOrder::kNone;
  SortTarget sort_target = SortTarget::kKey;
  // Filters on the keys' revisions (0: no bound); max_create_revision is what etcd's
  // concurrency recipes use to find older waiters.
  int64_t min_mod_revision = 0;
  int64_t max_mod_revision = 0;
  int64_t min_create_revision = 0;
  int64_t max_create_revision = 0;
  Deadline deadline{};
};

// RangeOptions for every key under `prefix`.
inline RangeOptions WithPrefix(std::string_view prefix) {
  RangeOptions options;
  options.range_end = PrefixEnd(prefix);
  return options;
}

struct PutOptions {
  int64_t lease = 0;          // attach the key to this lease (0: none)
  bool prev_kv = false;       // return the version this put replaced
  bool ignore_value = false;  // keep the current value (the key must exist)
  bool ignore_lease = false;  // keep the current lease (the key must exist)
  Deadline deadline{};
};

// What a Delete removes: range_end as in RangeOptions.
struct DeleteOptions {
  std::string range_end{};
  bool prev_kv = false;  // return the deleted versions
  Deadline deadline{};
};

struct CompactOptions {
  // Wait until the compacted versions are physically removed, not just unreadable.
  bool physical = false;
  Deadline deadline{};
};

}  // namespace raftkv

#endif  // RAFTKV_OPTIONS_H_
