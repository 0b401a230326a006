// The watch cache (Kubernetes' cacher, reduced to its fan-out): one raftkv watch per resource
// prefix feeds a ring of its recent events, decoded and serialized once, and every HTTP
// watcher of that resource reads the ring from its own position. A watcher resumes from any
// resourceVersion the ring still covers without touching the store; an older one is refused
// as "too old" (410), as upstream's cache refuses revisions below its window.
//
// Threads: a pump thread per cache takes the store watch's responses and appends to the ring;
// readers wait on a condition variable on their own (connection) threads. The ring is the
// one piece of shared state, under the cache's mutex; events are immutable once appended.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orchestrator/api/json.h"
#include "raftkv/kv.h"

namespace orch::apiserver {

// One change of one object as the store reported it. Both versions carry the event's
// revision as resourceVersion (a deleted object's last state is reported at the revision of
// the delete, as upstream does).
struct CachedEvent {
  int64_t revision = 0;
  std::optional<api::Json> object;    // after the change; absent for a delete
  std::optional<api::Json> previous;  // before it; absent for a create
  std::string object_text;            // object->dump(), made once for every watcher
  std::string previous_text;
};

class WatchCache {
 public:
  // Watches every key under `prefix` from now on, keeping the last `capacity` events. The
  // store watch is established on the pump thread (retried until it succeeds), so a cache
  // can be made before the store answers.
  WatchCache(raftkv::KV& kv, std::string prefix, size_t capacity);
  ~WatchCache();  // Stop()
  WatchCache(const WatchCache&) = delete;
  WatchCache& operator=(const WatchCache&) = delete;

  // Ends the store watch and every reader.
  void Stop();

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

 private:
  void Pump();
  // (Re)establishes the store watch from `start_revision` (0: now); false once stopping.
  bool Establish(int64_t start_revision);
  void Append(const raftkv::WatchResponse& response);

  raftkv::KV& kv_;
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

  std::unique_ptr<raftkv::Watcher> watcher_;  // used by the pump thread only
  std::thread pump_;
};

}  // namespace orch::apiserver
