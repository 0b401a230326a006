#include "orchestrator/apiserver/watch_cache.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/selector.h"
#include "orchestrator/apiserver/object_store.h"
#include "raftkv/errors.h"
#include "spdlog/spdlog.h"

namespace orch::apiserver {
namespace {

constexpr auto kPumpPoll = std::chrono::milliseconds(200);
constexpr auto kRetryPause = std::chrono::milliseconds(200);
// Keys per range read of the initial list (all at one revision), so that a large resource
// is not one huge store answer.
constexpr int64_t kListPage = 1000;

// The time left until `deadline`, none when it passed.
std::chrono::milliseconds Remaining(absl::Time deadline) {
  return absl::ToChronoMilliseconds(std::max(deadline - absl::Now(), absl::ZeroDuration()));
}

std::shared_ptr<const CachedObject> MakeObject(api::Kind kind, std::string key,
                                               const api::Json& object, int64_t revision) {
  auto cached = std::make_shared<CachedObject>();
  cached->key = std::move(key);
  cached->text = object.dump();
  cached->selectable = api::SelectableFields(kind, object);
  cached->revision = revision;
  return cached;
}

// A stored key-value decoded, at its own revision; null (logged) when it is not an object.
std::shared_ptr<const CachedObject> DecodeObject(api::Kind kind, const raftkv::KeyValue& kv,
                                                 std::string_view prefix) {
  absl::StatusOr<api::Json> object = DecodeStoredObject(kv, kv.mod_revision);
  if (!object.ok()) {
    spdlog::error("apiserver: watch cache {}: {}", prefix, object.status().ToString());
    return nullptr;
  }
  return MakeObject(kind, kv.key, *object, kv.mod_revision);
}

// `object` as last seen before a delete at `revision`: upstream reports it at that revision.
std::shared_ptr<const CachedObject> AtDeleteRevision(api::Kind kind, const CachedObject& object,
                                                     int64_t revision) {
  api::Json last = object.Parse();
  api::EnsureObject(last, "metadata")["resourceVersion"] = std::to_string(revision);
  return MakeObject(kind, object.key, last, revision);
}

}  // namespace

api::Json CachedObject::Parse() const {
  // The text is the cache's own serialization of a JSON object: it parses.
  absl::StatusOr<api::Json> object = api::ParseJson(text);
  return object.ok() ? *std::move(object) : api::Json::object();
}

WatchCache::WatchCache(raftkv::KV& kv, api::Kind kind, std::string prefix, size_t capacity)
    : kv_(kv), kind_(kind), prefix_(std::move(prefix)), capacity_(std::max<size_t>(capacity, 1)) {
  pump_ = std::thread([this] { Pump(); });
}

WatchCache::~WatchCache() {
  Stop();
}

void WatchCache::RequestStop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
}

void WatchCache::Stop() {
  RequestStop();
  if (pump_.joinable()) pump_.join();
}

absl::StatusOr<WatchCache::Listing> WatchCache::ListStore() {
  Listing listing;
  raftkv::RangeOptions options = raftkv::WithPrefix(prefix_);
  options.limit = kListPage;
  std::string start = prefix_;
  for (;;) {
    absl::StatusOr<raftkv::GetResponse> page = kv_.Get(start, options);
    if (!page.ok()) return page.status();
    if (options.revision == 0) options.revision = page->header.revision;
    for (const raftkv::KeyValue& kv : page->kvs) {
      std::shared_ptr<const CachedObject> object = DecodeObject(kind_, kv, prefix_);
      if (object != nullptr) listing.objects.emplace_hint(listing.objects.end(), kv.key, object);
    }
    if (!page->more || page->kvs.empty()) break;
    start = page->kvs.back().key + '\0';
  }
  listing.revision = options.revision;
  return listing;
}

bool WatchCache::Watch(int64_t start_revision) {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return false;
    }
    raftkv::WatchOptions options;
    options.range_end = raftkv::PrefixEnd(prefix_);
    options.start_revision = start_revision;
    options.progress_notify = true;
    absl::StatusOr<std::unique_ptr<raftkv::Watcher>> watcher = kv_.Watch(prefix_, options);
    if (watcher.ok()) {
      watcher_ = std::move(*watcher);
      return true;
    }
    spdlog::warn("apiserver: watch cache {}: cannot watch the store: {}", prefix_,
                 watcher.status().ToString());
    std::this_thread::sleep_for(kRetryPause);
  }
}

bool WatchCache::Relist() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return false;
    }
    absl::StatusOr<Listing> listing = ListStore();
    if (!listing.ok()) {
      spdlog::warn("apiserver: watch cache {}: cannot list the store: {}", prefix_,
                   listing.status().ToString());
      std::this_thread::sleep_for(kRetryPause);
      continue;
    }
    ObjectMap replaced;  // freed outside the mutex
    {
      std::lock_guard lock(mutex_);
      if (!ready_ || listing->revision != current_revision_) {
        // Readers of the previous watch may have missed events in between: they end (their
        // epoch changed) and re-list. Sequence numbers go on, so no cursor aliases a new event.
        if (ready_) ++epoch_;
        first_sequence_ += ring_.size();
        ring_.clear();
        floor_revision_ = listing->revision;
        current_revision_ = listing->revision;
      }
      replaced = std::exchange(objects_, std::move(listing->objects));
      ready_ = true;
    }
    changed_.notify_all();
    spdlog::info("apiserver: watch cache {}: listed {} objects at revision {}", prefix_,
                 objects_.size(), listing->revision);
    return Watch(listing->revision + 1);
  }
}

void WatchCache::Pump() {
  if (!Relist()) return;
  for (;;) {
    bool pause = false;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      pause = pause_requested_;
    }
    bool compacted = false;
    if (pause) {
      if (!HoldWhilePaused()) break;
    } else {
      absl::StatusOr<raftkv::WatchResponse> response = watcher_->Next(raftkv::Within(kPumpPoll));
      if (absl::IsDeadlineExceeded(response.status())) continue;
      if (response.ok() && !response->canceled) {
        Append(*response);
        continue;
      }
      compacted = response.ok() && response->compact_revision != 0;
      spdlog::warn("apiserver: watch cache {}: store watch ended ({}), re-establishing", prefix_,
                   response.ok() ? (compacted ? "compacted" : response->cancel_reason)
                                 : response.status().ToString());
      watcher_.reset();
      std::this_thread::sleep_for(kRetryPause);  // a store refusing watches is not hammered
    }
    // The store watch ended: resume after the last revision seen, or, when that history was
    // compacted meanwhile, list again (readers then end and re-list).
    int64_t resume = 0;
    {
      std::lock_guard lock(mutex_);
      resume = current_revision_ + 1;
    }
    if (!(compacted ? Relist() : Watch(resume))) break;
  }
  watcher_.reset();
}

bool WatchCache::HoldWhilePaused() {
  watcher_.reset();
  std::unique_lock lock(mutex_);
  paused_ = true;
  changed_.notify_all();
  changed_.wait(lock, [this] { return !pause_requested_ || stopping_; });
  paused_ = false;
  return !stopping_;
}

std::vector<std::shared_ptr<const CachedEvent>> WatchCache::Decode(
    const raftkv::WatchResponse& response) {
  std::vector<std::shared_ptr<const CachedEvent>> decoded;
  decoded.reserve(response.events.size());
  // Versions made by earlier events of this response, which the state does not hold yet.
  std::map<std::string_view, std::shared_ptr<const CachedObject>> latest;
  for (const raftkv::WatchEvent& change : response.events) {
    auto event = std::make_shared<CachedEvent>();
    event->revision = change.kv.mod_revision;
    const auto earlier = latest.find(change.kv.key);
    if (earlier != latest.end()) {
      event->previous = earlier->second;
    } else if (const auto held = objects_.find(change.kv.key); held != objects_.end()) {
      event->previous = held->second;
    }
    // A put that does not decode (logged) leaves the object unservable: as a delete.
    if (change.type == raftkv::WatchEvent::Type::kPut) {
      event->object = DecodeObject(kind_, change.kv, prefix_);
    }
    if (event->object == nullptr && event->previous != nullptr) {
      event->previous = AtDeleteRevision(kind_, *event->previous, event->revision);
    }
    latest[change.kv.key] = event->object;
    if (event->object == nullptr && event->previous == nullptr) continue;  // nothing to tell
    decoded.push_back(std::move(event));
  }
  return decoded;
}

void WatchCache::Append(const raftkv::WatchResponse& response) {
  if (response.created) return;
  std::vector<std::shared_ptr<const CachedEvent>> decoded = Decode(response);
  {
    std::lock_guard lock(mutex_);
    for (std::shared_ptr<const CachedEvent>& event : decoded) {
      if (event->object != nullptr) {
        objects_.insert_or_assign(event->object->key, event->object);
      } else if (const auto held = objects_.find(event->previous->key); held != objects_.end()) {
        objects_.erase(held);
      }
      current_revision_ = std::max(current_revision_, event->revision);
      ring_.push_back(std::move(event));
    }
    for (const raftkv::WatchEvent& change : response.events) {
      current_revision_ = std::max(current_revision_, change.kv.mod_revision);
    }
    while (ring_.size() > capacity_) {
      floor_revision_ = std::max(floor_revision_, ring_.front()->revision);
      ring_.pop_front();
      ++first_sequence_;
    }
    // Only a progress notification promises that nothing up to its header's revision is
    // still to come; an event response's header may run ahead of events not yet sent.
    if (response.IsProgressNotify()) {
      current_revision_ = std::max(current_revision_, response.header.revision);
    }
  }
  changed_.notify_all();
}

bool WatchCache::WaitReady(std::unique_lock<std::mutex>& lock, absl::Duration wait) {
  changed_.wait_for(lock, Remaining(absl::Now() + wait), [this] { return ready_ || stopping_; });
  return ready_ && !stopping_;
}

absl::StatusOr<WatchCache::Cursor> WatchCache::ReadAfter(int64_t revision, absl::Duration wait) {
  std::unique_lock lock(mutex_);
  if (!WaitReady(lock, wait)) {
    return absl::UnavailableError(absl::StrCat("the watch cache of ", prefix_, " is not ready"));
  }
  if (revision < floor_revision_) {
    return absl::OutOfRangeError(
        absl::StrCat("too old resource version: ", revision, " (", floor_revision_ + 1, ")"));
  }
  Cursor cursor;
  cursor.epoch = epoch_;
  cursor.revision = std::max(revision, floor_revision_);
  // The first event after `revision`: the ring is in revision order.
  const auto first =
      std::upper_bound(ring_.begin(), ring_.end(), revision,
                       [](int64_t value, const std::shared_ptr<const CachedEvent>& event) {
                         return value < event->revision;
                       });
  cursor.next_sequence = first_sequence_ + static_cast<uint64_t>(first - ring_.begin());
  return cursor;
}

WatchCache::Batch WatchCache::Next(Cursor& cursor, absl::Time deadline) {
  Batch batch;
  std::unique_lock lock(mutex_);
  const auto has_news = [this, &cursor] {
    return stopping_ || cursor.epoch != epoch_ ||
           cursor.next_sequence < first_sequence_ + ring_.size() ||
           current_revision_ > cursor.revision;
  };
  const absl::Duration wait = std::max(deadline - absl::Now(), absl::ZeroDuration());
  changed_.wait_for(lock, absl::ToChronoMilliseconds(wait), has_news);
  if (stopping_ || cursor.epoch != epoch_ || cursor.next_sequence < first_sequence_) {
    batch.live = false;
    return batch;
  }
  for (uint64_t sequence = cursor.next_sequence; sequence < first_sequence_ + ring_.size();
       ++sequence) {
    const std::shared_ptr<const CachedEvent>& event = ring_[sequence - first_sequence_];
    // A reader that started ahead of the cache skips what its list already showed.
    if (event->revision > cursor.revision) batch.events.push_back(event);
  }
  cursor.next_sequence = first_sequence_ + ring_.size();
  cursor.revision = std::max(cursor.revision, current_revision_);
  return batch;
}

int64_t WatchCache::oldest_revision() {
  std::lock_guard lock(mutex_);
  return floor_revision_;
}

int64_t WatchCache::current_revision() {
  std::lock_guard lock(mutex_);
  return current_revision_;
}

WatchCache::Snapshot WatchCache::Copy(std::string_view prefix, std::string_view from) const {
  Snapshot snapshot;
  snapshot.revision = current_revision_;
  for (auto it = objects_.lower_bound(std::max(from, prefix));
       it != objects_.end() && std::string_view(it->first).starts_with(prefix); ++it) {
    snapshot.objects.push_back(it->second);
  }
  return snapshot;
}

absl::StatusOr<WatchCache::Snapshot> WatchCache::Current(std::string_view prefix,
                                                         std::string_view from) {
  std::lock_guard lock(mutex_);
  if (!ready_ || stopping_) {
    return absl::UnavailableError(absl::StrCat("the watch cache of ", prefix_, " is not ready"));
  }
  ++snapshots_served_;
  return Copy(prefix, from);
}

absl::StatusOr<WatchCache::Snapshot> WatchCache::Consistent(const std::string& prefix,
                                                            absl::Time deadline) {
  Snapshot snapshot;
  {
    std::unique_lock lock(mutex_);
    if (!WaitReady(lock, deadline - absl::Now())) {
      return absl::UnavailableError(absl::StrCat("the watch cache of ", prefix_, " is not ready"));
    }
    snapshot = Copy(prefix, "");
  }
  // Keys under `prefix` changed after the snapshot, and how many keys there are, at one
  // revision. None changed and as many keys: the same objects (any key deleted since would
  // lower the count unless a key created since made up for it, and that one would show).
  raftkv::RangeOptions changed_since = raftkv::WithPrefix(prefix);
  changed_since.keys_only = true;
  int64_t store_revision = 0;
  for (;;) {
    changed_since.min_mod_revision = snapshot.revision + 1;
    changed_since.revision = store_revision;  // 0 first: a linearizable read of now
    changed_since.deadline = raftkv::Within(Remaining(deadline));
    absl::StatusOr<raftkv::GetResponse> changed = kv_.Get(prefix, changed_since);
    if (!changed.ok()) return changed.status();
    if (store_revision == 0) store_revision = changed->header.revision;
    if (changed->kvs.empty() && changed->count == static_cast<int64_t>(snapshot.objects.size())) {
      snapshot.revision = std::max(snapshot.revision, store_revision);
      std::lock_guard lock(mutex_);
      ++snapshots_served_;
      return snapshot;
    }
    // Wait for the cache to take the changes (a delete shows only in the count: then any
    // progress), and look again at the same store revision.
    int64_t target = snapshot.revision + 1;
    for (const raftkv::KeyValue& kv : changed->kvs)
      target = std::max(target, kv.mod_revision);
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, Remaining(deadline),
                      [&] { return stopping_ || current_revision_ >= target; });
    if (stopping_) return absl::UnavailableError("the watch cache stopped");
    if (current_revision_ < target) {
      return absl::DeadlineExceededError(
          absl::StrCat("the watch cache of ", prefix_, " did not reach revision ", store_revision));
    }
    snapshot = Copy(prefix, "");
    if (snapshot.revision >= store_revision) {
      ++snapshots_served_;
      return snapshot;
    }
  }
}

absl::StatusOr<WatchCache::Snapshot> WatchCache::AtRevision(std::string_view prefix,
                                                            std::string_view from,
                                                            int64_t revision) {
  std::lock_guard lock(mutex_);
  if (!ready_ || stopping_ || current_revision_ < revision || floor_revision_ > revision) {
    return absl::FailedPreconditionError("the watch cache cannot tell that revision");
  }
  const std::string_view start = std::max(from, prefix);
  for (auto it = ring_.rbegin(); it != ring_.rend() && (*it)->revision > revision; ++it) {
    const std::string& key = (*it)->key();
    if (key >= start && std::string_view(key).starts_with(prefix)) {
      return absl::FailedPreconditionError("the range changed after that revision");
    }
  }
  Snapshot snapshot = Copy(prefix, from);
  snapshot.revision = revision;
  ++snapshots_served_;
  return snapshot;
}

absl::StatusOr<WatchCache::Start> WatchCache::CurrentAndFollow(std::string_view prefix,
                                                               absl::Duration wait) {
  std::unique_lock lock(mutex_);
  if (!WaitReady(lock, wait)) {
    return absl::UnavailableError(absl::StrCat("the watch cache of ", prefix_, " is not ready"));
  }
  Start start;
  start.snapshot = Copy(prefix, "");
  ++snapshots_served_;
  start.cursor.epoch = epoch_;
  start.cursor.revision = current_revision_;
  start.cursor.next_sequence = first_sequence_ + ring_.size();
  return start;
}

uint64_t WatchCache::snapshots_served() {
  std::lock_guard lock(mutex_);
  return snapshots_served_;
}

void WatchCache::PauseStoreWatchForTesting() {
  std::unique_lock lock(mutex_);
  pause_requested_ = true;
  changed_.wait(lock, [this] { return paused_ || stopping_; });
}

void WatchCache::ResumeStoreWatchForTesting() {
  {
    std::lock_guard lock(mutex_);
    pause_requested_ = false;
  }
  changed_.notify_all();
}

}  // namespace orch::apiserver
