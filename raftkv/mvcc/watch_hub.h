#ifndef RAFTKV_MVCC_WATCH_HUB_H_
#define RAFTKV_MVCC_WATCH_HUB_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "mvccpb/kv.pb.h"

namespace raftkv::mvcc {

// A key range with etcd's conventions: empty `range_end` is the single key `key`;
// range_end "\0" is every key >= `key`; otherwise [key, range_end).
struct KeyRange {
  std::string key;
  std::string range_end;
  bool Contains(std::string_view user_key) const;
};

// Events read back from the store's history, whole revisions only.
struct HistoryChunk {
  std::vector<mvccpb::Event> events;  // in (revision, sub revision) order
  int64_t next_revision = 0;          // the first revision not covered by `events`
};

// What the hub needs from the store: the published revisions and the history on disk.
class EventHistory {
 public:
  virtual ~EventHistory() = default;
  virtual int64_t CurrentRevision() const = 0;
  virtual int64_t CompactRevision() const = 0;
  // Events on `range` with revisions in [from, to], stopping after the first revision that
  // brings the chunk's size over `max_bytes` (so a chunk holds at least one revision's events
  // when there are any). With `prev_kv`, each event carries the key's previous version if
  // history still has it. ErrCompacted if `from` is below the compact revision.
  virtual absl::StatusOr<HistoryChunk> ReadHistory(const KeyRange& range, int64_t from, int64_t to,
                                                   bool prev_kv, size_t max_bytes) const = 0;
};

struct WatchOptions {
  KeyRange range;
  // First revision to deliver (inclusive). 0 means "from the next revision on".
  int64_t start_revision = 0;
  bool prev_kv = false;
};

// What a consumer takes from a watcher in one go.
struct WatchBatch {
  std::vector<mvccpb::Event> events;  // in revision order, never a revision split in two
  // Non-zero when the watcher's start revision (or the point it had caught up to) was
  // compacted: the watcher is then canceled, like etcd's WatchResponse.compact_revision.
  int64_t compact_revision = 0;
  // Non-zero when the watcher is synced: every matching event with a revision up to this one
  // has been handed out (this batch included). What a progress notification may report.
  int64_t synced_revision = 0;
};

class WatchHub;

// One watch. Created by WatchHub::Watch; the consumer drains it with Take() whenever its
// `on_ready` callback fires (and may poll). Thread-safe. The hub must outlive its watchers'
// use (the store that owns the hub outlives the server's streams).
class Watcher {
 public:
  int64_t id() const { return id_; }
  // Moves out everything buffered. Never blocks on the apply loop for longer than a copy.
  WatchBatch Take();
  // True once canceled (by Cancel or because of compaction); nothing more will arrive after
  // the last Take().
  bool canceled() const;

 private:
  friend class WatchHub;
  struct ConstructionKey {};  // only the hub creates watchers

 public:
  Watcher(WatchHub* hub, int64_t id, ConstructionKey) : hub_(hub), id_(id) {}

 private:
  WatchHub* hub_;
  int64_t id_;
};

struct WatchHubOptions {
  // Per-watcher buffer. A synced watcher whose buffer would pass this stops receiving live
  // events and becomes unsynced; it catches up from disk once its consumer drains it. This
  // bounds memory at (watchers x this) plus one revision, and the apply loop never waits.
  size_t watcher_buffer_bytes = 1 << 20;
  // How often unsynced watchers are retried even without a wake-up.
  absl::Duration sync_interval = absl::Milliseconds(100);
};

// Routes committed events to watchers. The store calls Notify after each committed batch;
// a background thread catches unsynced watchers up from history (etcd's synced/unsynced
// watcher groups in watchable_store.go).
class WatchHub {
 public:
  // `history` must outlive the hub. `current_revision` is the revision already committed.
  WatchHub(const EventHistory* history, int64_t current_revision, WatchHubOptions options);
  ~WatchHub();  // stops the sync thread; outstanding watchers see no further events
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Starts a watch. `on_ready` is called (from the apply or sync thread, without locks held)
  // when the watcher's buffer becomes non-empty or it is canceled; it must not block.
  std::shared_ptr<Watcher> Watch(WatchOptions options, std::function<void()> on_ready);
  // Stops a watch; idempotent.
  void Cancel(int64_t watcher_id);

  // Called by the apply thread after the events' revisions were committed and published.
  // `events` are in revision order; their prev_kv is always filled where a previous version
  // existed, and dropped for watchers that did not ask for it. Never blocks on consumers.
  void Notify(const std::vector<mvccpb::Event>& events, int64_t current_revision);

  // The history was replaced (a snapshot was installed): every watcher catches up from the
  // new history from where it was, or learns that it was compacted away.
  void Resync(int64_t current_revision);

  // Whether any watcher wants prev_kv: the apply loop reads previous values only then.
  bool any_prev_kv_watchers() const { return prev_kv_watchers_.load() > 0; }

  // For tests and metrics.
  size_t unsynced_count() const;
  size_t buffered_bytes() const;

 private:
  friend class Watcher;
  struct WatcherState {
    int64_t id = 0;
    WatchOptions options;
    std::function<void()> on_ready;
    int64_t next_revision = 0;  // the first revision not yet delivered
    // The lowest revision it may still be handed: its start, then the last revision handed
    // out (a revision's events may come in more than one Enqueue). Only rises.
    int64_t delivery_floor = 0;
    bool synced = false;
    bool canceled = false;
    int64_t compact_revision = 0;
    std::deque<mvccpb::Event> buffer;
    size_t buffer_bytes = 0;
  };

  WatchBatch TakeFrom(int64_t id);
  bool IsCanceled(int64_t id) const;
  void SyncLoop();
  // Catches one unsynced watcher up as far as its buffer allows. Returns true if it did work.
  bool SyncOne(int64_t id);
  void Enqueue(WatcherState* state, const mvccpb::Event& event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool HasRoom(const WatcherState& state, size_t bytes) const;
  void Unregister(WatcherState* state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MarkUnsynced(WatcherState* state, int64_t next_revision) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const EventHistory* history_;
  const WatchHubOptions options_;

  mutable absl::Mutex mu_;
  int64_t last_notified_revision_ ABSL_GUARDED_BY(mu_);
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<int64_t, std::unique_ptr<WatcherState>> watchers_ ABSL_GUARDED_BY(mu_);
  // Synced watchers, indexed for routing: single keys by key, ranges in a list (scanned per
  // event; an interval tree would pay off only with thousands of range watchers).
  absl::flat_hash_map<std::string, absl::flat_hash_set<WatcherState*>> key_watchers_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<WatcherState*> range_watchers_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<int64_t> unsynced_ ABSL_GUARDED_BY(mu_);
  bool sync_wanted_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<int> prev_kv_watchers_{0};
  std::thread sync_thread_;
};

// The bytes an event accounts for in a watcher's buffer.
size_t EventBytes(const mvccpb::Event& event);

}  // namespace raftkv::mvcc

#endif  // RAFTKV_MVCC_WATCH_HUB_H_
