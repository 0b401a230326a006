// The watch cache (Kubernetes' cacher): one raftkv watch per resource prefix keeps the
// current state of every object of the resource and a ring of its recent events, each object
// version decoded and serialized once and shared by the state, the ring and every reader.
//
// The state starts as a store list at a revision L and follows the watch from L + 1, so it is
// exactly the store's at the cache's current revision. Lists are answered from it (upstream's
// list from the watch cache, and its ConsistentListFromCache); every HTTP watcher of the
// resource reads the ring from its own position. A watcher resumes from any resourceVersion
// the ring still covers without touching the store; an older one is refused as "too old"
// (410), as upstream's cache refuses revisions below its window. When the store watch ends
// with its history compacted, the cache lists again and readers end (they re-list).
//
// Threads: a pump thread per cache lists, takes the store watch's responses and applies them;
// readers wait on a condition variable on their own (connection) threads. The state and the
// ring are the shared state, under the cache's mutex; objects and events are immutable.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orchestrator/api/json.h"
#include "orchestrator/api/registry.h"
#include "raftkv/kv.h"

namespace orch::apiserver {

// One version of one object, serialized once for every list and watcher. Only what
// namespace checks and selectors read stays decoded: a whole decoded object costs several
// times its text (about 10 KB for a 1.4 KB pod), so the whole one is parsed again from the
// text where it is needed (Tables, and a watcher's rare DELETED for an object leaving its
// selection).
struct CachedObject {
  std::string key;
  std::string text;      // the object, with metadata.resourceVersion = revision
  api::Json selectable;  // api::SelectableFields of the object
  int64_t revision = 0;

  api::Json Parse() const;  // the whole object
};

// One change of one object as the store reported it.
struct CachedEvent {
  int64_t revision = 0;
  std::shared_ptr<const CachedObject> object;  // after the change; null for a delete
  // Before it; null for a create. For a delete it carries the delete's revision as
  // resourceVersion (upstream reports a deleted object's last state so); otherwise it is the
  // version the state held, at its own revision.
  std::shared_ptr<const CachedObject> previous;

  const std::string& key() const { return object != nullptr ? object->key : previous->key; }
};

class WatchCache {
 public:
  // Lists and then watches every key under `prefix`, keeping the last `capacity` events. The
  // list and the store watch are made on the pump thread (retried until they succeed), so a
  // cache can be made before the store answers.
  WatchCache(raftkv::KV& kv, api::Kind kind, std::string prefix, size_t capacity);
  ~WatchCache();  // Stop()
  WatchCache(const WatchCache&) = delete;
  WatchCache& operator=(const WatchCache&) = delete;

  // Ends the store watch and every reader (by the owner, once).
  void Stop();
  // Starts ending them without waiting for the pump, which notices within its poll period
  // (so an owner of many caches stops them all in one period, then calls Stop on each).
  void RequestStop();

  // Where a reader is: the next event it takes, and the revision it has seen everything up to.
  struct Cursor {
    uint64_t next_sequence = 0;
    int64_t revision = 0;
    uint64_t epoch = 0;
  };
  // A reader of the events after `revision`. OutOfRange when the ring no longer covers it
  // (the message is upstream's "too old resource version: <revision> (<oldest>)");
  // Unavailable when the store watch is not established within `wait`.
  absl::StatusOr<Cursor> ReadAfter(int64_t revision, absl::Duration wait = absl::Seconds(5));

  struct Batch {
    std::vector<std::shared_ptr<const CachedEvent>> events;
    // The reader may go on (false: the cache stopped, or the reader fell behind the ring or
    // across a restart of the store watch that lost events; the watch must end).
    bool live = true;
  };
  // The events after the cursor (advancing it), waiting until there are some or `deadline`.
  Batch Next(Cursor& cursor, absl::Time deadline);

  // The oldest revision a reader can resume after, and the newest revision seen.
  int64_t oldest_revision();
  int64_t current_revision();

  // Objects of one key range as the store held them at `revision`.
  struct Snapshot {
    int64_t revision = 0;
    std::vector<std::shared_ptr<const CachedObject>> objects;  // in key order
  };
  // The objects with keys in [from, PrefixEnd(prefix)) (from "" = prefix) at the cache's
  // current revision. Unavailable until the initial list is in, or after Stop().
  absl::StatusOr<Snapshot> Current(std::string_view prefix, std::string_view from = "");
  // The objects under `prefix` at a revision at least as new as the store's when called
  // (upstream's consistent list from cache). One linearizable keys-only range read tells
  // whether anything under `prefix` changed after the cache's revision (raftkv's client
  // offers no on-demand progress notification, and the store's revision moves with every
  // other resource too): if nothing did, the cache's objects are the store's at the read's
  // revision; else it waits for the cache to take those changes, until `deadline`
  // (DeadlineExceeded: the caller reads the store).
  absl::StatusOr<Snapshot> Consistent(const std::string& prefix, absl::Time deadline);
  // The objects with keys in [from, PrefixEnd(prefix)) at exactly `revision`, when the cache
  // can tell them: it is at or past `revision`, its ring covers every event after it, and
  // none of those touched the range (later pages of a list). FailedPrecondition otherwise.
  absl::StatusOr<Snapshot> AtRevision(std::string_view prefix, std::string_view from,
                                      int64_t revision);

  // The current objects under `prefix` and a reader of the events after them, taken
  // together (a watch from now). Unavailable when the cache is not ready within `wait`.
  struct Start {
    Snapshot snapshot;
    Cursor cursor;
  };
  absl::StatusOr<Start> CurrentAndFollow(std::string_view prefix,
                                         absl::Duration wait = absl::Seconds(5));

  // How many snapshots (lists, later pages, watch starts) the cache took: a diagnostic, and
  // how tests tell a cached answer from a store read.
  uint64_t snapshots_served();

  // For tests of a lost store watch: Pause ends the store watch (returning once it is gone)
  // and holds the pump; Resume lets it watch again from its last revision, as after a lost
  // connection (if the store compacted that history meanwhile, the cache lists again).
  void PauseStoreWatchForTesting();
  void ResumeStoreWatchForTesting();

 private:
  void Pump();
  // Lists the prefix, replaces the state with it and watches from after the list's revision
  // (retried until it succeeds); false once stopping.
  bool Relist();
  using ObjectMap = std::map<std::string, std::shared_ptr<const CachedObject>, std::less<>>;
  struct Listing {
    int64_t revision = 0;
    ObjectMap objects;
  };
  // The prefix's objects at the store's current revision (read in pages at that revision).
  absl::StatusOr<Listing> ListStore();
  // Watches from `start_revision` (retried until the store accepts); false once stopping.
  bool Watch(int64_t start_revision);
  // Holds the pump without a store watch while a test asks; false once stopping.
  bool HoldWhilePaused();
  // Applies one response to the state and the ring.
  void Append(const raftkv::WatchResponse& response);
  // The events of one response, decoded, each previous version taken from the state (read
  // without the mutex: the pump is the state's only writer).
  std::vector<std::shared_ptr<const CachedEvent>> Decode(const raftkv::WatchResponse& response);
  // The entries in [from, PrefixEnd(prefix)) (from "" = prefix); the caller holds mutex_.
  Snapshot Copy(std::string_view prefix, std::string_view from) const;
  // Waits until the cache is ready (or stopping); whether it is ready.
  bool WaitReady(std::unique_lock<std::mutex>& lock, absl::Duration wait);

  raftkv::KV& kv_;
  const api::Kind kind_;
  const std::string prefix_;
  const size_t capacity_;

  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;                                // guarded by mutex_
  bool ready_ = false;                                   // guarded by mutex_
  std::deque<std::shared_ptr<const CachedEvent>> ring_;  // guarded by mutex_
  uint64_t first_sequence_ = 0;   // guarded by mutex_: the sequence number of ring_.front()
  int64_t floor_revision_ = 0;    // guarded by mutex_: every event after it is in the ring
  int64_t current_revision_ = 0;  // guarded by mutex_
  uint64_t epoch_ = 0;            // guarded by mutex_: bumped when events were lost
  // guarded by mutex_: key -> the object's version at current_revision_
  ObjectMap objects_;
  bool pause_requested_ = false;   // guarded by mutex_: Pause/ResumeStoreWatchForTesting
  bool paused_ = false;            // guarded by mutex_
  uint64_t snapshots_served_ = 0;  // guarded by mutex_

  std::unique_ptr<raftkv::Watcher> watcher_;  // used by the pump thread only
  std::thread pump_;
};

}  // namespace orch::apiserver
