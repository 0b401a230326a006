#ifndef RAFTKV_WATCH_H_
#define RAFTKV_WATCH_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "raftkv/key_value.h"
#include "raftkv/options.h"

namespace raftkv {

// What a watch follows: range_end as in RangeOptions (use PrefixEnd for a prefix).
struct WatchOptions {
  std::string range_end{};
  // First revision to deliver (inclusive); 0: changes after the watch is created. A revision
  // at or below the compact revision ends the watch at once with `compact_revision` set.
  int64_t start_revision = 0;
  bool prev_kv = false;          // events carry the previous version of the key
  bool progress_notify = false;  // idle watches hear the revision they are at, periodically
  bool filter_put = false;       // drop put events
  bool filter_delete = false;    // drop delete events
  // How long KV::Watch may take to establish the watch.
  Deadline deadline{};
};

struct WatchEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  KeyValue kv;  // for a delete: the key and the revision of the delete (mod_revision)
  std::optional<KeyValue> prev_kv;
};

// One message of a watch. Events arrive in revision order, each exactly once, including
// across reconnects of a remote client (which resumes from the last revision seen + 1).
struct WatchResponse {
  ResponseHeader header;
  std::vector<WatchEvent> events;
  // The first response of a watch: header.revision is the revision it was created at.
  bool created = false;
  // The watch ended; nothing follows. The reasons: compaction (compact_revision != 0: the
  // events from the requested revision up to compact_revision are gone; re-read the state
  // and watch again from header.revision + 1), or the server refused or ended it
  // (cancel_reason says why).
  bool canceled = false;
  int64_t compact_revision = 0;
  std::string cancel_reason;

  // A progress notification: no events, and every event up to header.revision was delivered.
  bool IsProgressNotify() const {
    return events.empty() && !created && !canceled && compact_revision == 0;
  }
};

// Called with each response of a watch, in order, on a thread of the watch (never two at a
// time). It may block (that delays this watch only) but must not destroy or cancel its own
// Watcher.
using WatchCallback = std::function<void(const WatchResponse&)>;

// A running watch (KV::Watch). Destroying it cancels the watch. Thread-safe.
class Watcher {
 public:
  virtual ~Watcher() = default;

  // Stops the watch. Once it returns, the callback is not running and will not be called.
  virtual void Cancel() = 0;

  // Without a callback, responses queue up and are taken here, in order: the next one, or
  // DeadlineExceeded at the deadline, or Cancelled once the watch ended and the queue is
  // drained (the last response taken then had canceled = true, unless Cancel ended it).
  // FailedPrecondition when the watch has a callback.
  virtual absl::StatusOr<WatchResponse> Next(Deadline deadline) = 0;

  // The revision the watch was created at (events after it are all delivered).
  virtual int64_t created_revision() const = 0;
};

}  // namespace raftkv

#endif  // RAFTKV_WATCH_H_
