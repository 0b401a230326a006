#include "orchestrator/apiserver/watch_cache.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "orchestrator/apiserver/object_store.h"
#include "raftkv/errors.h"
#include "spdlog/spdlog.h"

namespace orch::apiserver {
namespace {

constexpr auto kPumpPoll = std::chrono::milliseconds(200);
constexpr auto kRetryPause = std::chrono::milliseconds(200);

std::shared_ptr<const CachedEvent> Decode(const raftkv::WatchEvent& event,
                                          std::string_view prefix) {
  auto cached = std::make_shared<CachedEvent>();
  cached->revision = event.kv.mod_revision;
  if (event.type == raftkv::WatchEvent::Type::kPut) {
    absl::StatusOr<api::Json> object = DecodeStoredObject(event.kv, event.kv.mod_revision);
    if (object.ok()) {
      cached->object_text = object->dump();
      cached->object = std::move(*object);
    } else {
      spdlog::error("apiserver: watch cache {}: {}", prefix, object.status().ToString());
    }
  }
  if (event.prev_kv.has_value()) {
    absl::StatusOr<api::Json> previous = DecodeStoredObject(*event.prev_kv, event.kv.mod_revision);
    if (previous.ok()) {
      cached->previous_text = previous->dump();
      cached->previous = std::move(*previous);
    }
  }
  return cached;
}

}  // namespace

WatchCache::WatchCache(raftkv::KV& kv, std::string prefix, size_t capacity)
    : kv_(kv), prefix_(std::move(prefix)), capacity_(std::max<size_t>(capacity, 1)) {
  pump_ = std::thread([this] { Pump(); });
}

WatchCache::~WatchCache() {
  Stop();
}

void WatchCache::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  changed_.notify_all();
  if (pump_.joinable()) pump_.join();
}

bool WatchCache::Establish(int64_t start_revision) {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return false;
    }
    raftkv::WatchOptions options;
    options.range_end = raftkv::PrefixEnd(prefix_);
    options.start_revision = start_revision;
    options.prev_kv = true;
    options.progress_notify = true;
    absl::StatusOr<std::unique_ptr<raftkv::Watcher>> watcher = kv_.Watch(prefix_, options);
    if (watcher.ok()) {
      watcher_ = std::move(*watcher);
      if (start_revision == 0) {
        // From now: the ring starts empty at the revision the watch was created at, and
        // readers of the previous watch (if any) may have missed events in between.
        std::lock_guard lock(mutex_);
        const int64_t created = watcher_->created_revision();
        if (ready_ && created != current_revision_) ++epoch_;
        ring_.clear();
        first_sequence_ = 0;
        floor_revision_ = created;
        current_revision_ = created;
        ready_ = true;
      }
      changed_.notify_all();
      return true;
    }
    spdlog::warn("apiserver: watch cache {}: cannot watch the store: {}", prefix_,
                 watcher.status().ToString());
    std::this_thread::sleep_for(kRetryPause);
  }
}

void WatchCache::Pump() {
  if (!Establish(0)) return;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
    }
    absl::StatusOr<raftkv::WatchResponse> response = watcher_->Next(raftkv::Within(kPumpPoll));
    if (absl::IsDeadlineExceeded(response.status())) continue;
    if (response.ok() && !response->canceled) {
      Append(*response);
      continue;
    }
    // The store watch ended: resume after the last revision seen, or, when that history
    // was compacted meanwhile, start over from now (readers then end and re-list).
    const bool compacted = response.ok() && response->compact_revision != 0;
    spdlog::warn("apiserver: watch cache {}: store watch ended ({}), re-establishing", prefix_,
                 response.ok() ? (compacted ? "compacted" : response->cancel_reason)
                               : response.status().ToString());
    watcher_.reset();
    std::this_thread::sleep_for(kRetryPause);  // a store refusing watches is not hammered
    int64_t resume = 0;
    if (!compacted) {
      std::lock_guard lock(mutex_);
      resume = current_revision_ + 1;
    }
    if (!Establish(resume)) break;
  }
  watcher_.reset();
}

void WatchCache::Append(const raftkv::WatchResponse& response) {
  if (response.created) return;
  std::vector<std::shared_ptr<const CachedEvent>> decoded;
  decoded.reserve(response.events.size());
  for (const raftkv::WatchEvent& event : response.events) {
    decoded.push_back(Decode(event, prefix_));
  }
  {
    std::lock_guard lock(mutex_);
    for (std::shared_ptr<const CachedEvent>& event : decoded) {
      current_revision_ = std::max(current_revision_, event->revision);
      ring_.push_back(std::move(event));
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

absl::StatusOr<WatchCache::Cursor> WatchCache::ReadAfter(int64_t revision, absl::Duration wait) {
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, absl::ToChronoMilliseconds(wait),
                         [this] { return ready_ || stopping_; }) ||
      stopping_) {
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

}  // namespace orch::apiserver
