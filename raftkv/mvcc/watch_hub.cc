#include "raftkv/mvcc/watch_hub.h"

#include <utility>

#include "raftkv/mvcc/errors.h"
#include "spdlog/spdlog.h"

namespace raftkv::mvcc {

bool KeyRange::Contains(std::string_view user_key) const {
  if (range_end.empty()) return user_key == key;
  if (user_key < key) return false;
  if (range_end == std::string_view("\0", 1)) return true;
  return user_key < range_end;
}

namespace {

// A put over an existing key whose previous value the apply loop did not read.
bool LacksPrevKv(const mvccpb::Event& event) {
  return event.type() == mvccpb::Event::PUT && event.kv().version() > 1 && !event.has_prev_kv();
}

}  // namespace

size_t EventBytes(const mvccpb::Event& event) {
  // Fixed part approximates the message and container overhead per event.
  constexpr size_t kOverhead = 96;
  size_t bytes = kOverhead + event.kv().key().size() + event.kv().value().size();
  if (event.has_prev_kv()) bytes += event.prev_kv().key().size() + event.prev_kv().value().size();
  return bytes;
}

WatchBatch Watcher::Take() {
  return hub_->TakeFrom(id_);
}
bool Watcher::canceled() const {
  return hub_->IsCanceled(id_);
}

WatchHub::WatchHub(const EventHistory* history, int64_t current_revision, WatchHubOptions options)
    : history_(history), options_(options), last_notified_revision_(current_revision) {
  sync_thread_ = std::thread([this] { SyncLoop(); });
}

WatchHub::~WatchHub() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  sync_thread_.join();
}

std::shared_ptr<Watcher> WatchHub::Watch(WatchOptions options, std::function<void()> on_ready) {
  absl::MutexLock lock(&mu_);
  auto state = std::make_unique<WatcherState>();
  state->id = next_id_++;
  state->on_ready = std::move(on_ready);
  const int64_t start = options.start_revision;
  state->options = std::move(options);
  if (start == 0 || start > last_notified_revision_) {
    state->synced = true;
    state->next_revision = start == 0 ? last_notified_revision_ + 1 : start;
  } else {
    state->next_revision = start;
    unsynced_.insert(state->id);
    sync_wanted_ = true;
  }
  state->delivery_floor = state->next_revision;
  WatcherState* raw = state.get();
  if (raw->options.prev_kv) ++prev_kv_watchers_;
  if (raw->options.range.range_end.empty()) {
    key_watchers_[raw->options.range.key].insert(raw);
  } else {
    range_watchers_.insert(raw);
  }
  watchers_.emplace(raw->id, std::move(state));
  return std::make_shared<Watcher>(this, raw->id, Watcher::ConstructionKey());
}

void WatchHub::Cancel(int64_t watcher_id) {
  absl::MutexLock lock(&mu_);
  auto it = watchers_.find(watcher_id);
  if (it == watchers_.end()) return;
  Unregister(it->second.get());
  watchers_.erase(it);
}

void WatchHub::Unregister(WatcherState* state) {
  if (state->canceled) return;
  state->canceled = true;
  if (state->options.prev_kv) --prev_kv_watchers_;
  unsynced_.erase(state->id);
  if (state->options.range.range_end.empty()) {
    auto it = key_watchers_.find(state->options.range.key);
    if (it != key_watchers_.end()) {
      it->second.erase(state);
      if (it->second.empty()) key_watchers_.erase(it);
    }
  } else {
    range_watchers_.erase(state);
  }
}

bool WatchHub::HasRoom(const WatcherState& state, size_t bytes) const {
  // An empty buffer always takes one revision, so a revision larger than the limit still
  // goes through (its size is bounded by the request size limit upstream).
  return state.buffer.empty() || state.buffer_bytes + bytes <= options_.watcher_buffer_bytes;
}

void WatchHub::Enqueue(WatcherState* state, const mvccpb::Event& event) {
  // A watcher's stream never goes back: not below its start, not below what it already got.
  const int64_t revision = event.kv().mod_revision();
  if (revision < state->delivery_floor) {
    spdlog::error("watch {}: dropped event {} at revision {}, below its floor {}", state->id,
                  event.kv().key(), revision, state->delivery_floor);
    return;
  }
  state->delivery_floor = revision;
  state->buffer.push_back(event);
  if (!state->options.prev_kv) state->buffer.back().clear_prev_kv();
  state->buffer_bytes += EventBytes(state->buffer.back());
}

void WatchHub::MarkUnsynced(WatcherState* state, int64_t next_revision) {
  state->synced = false;
  state->next_revision = next_revision;
  unsynced_.insert(state->id);
}

void WatchHub::Resync(int64_t current_revision) {
  absl::MutexLock lock(&mu_);
  last_notified_revision_ = current_revision;
  for (auto& [id, state] : watchers_) {
    if (state->synced && !state->canceled) MarkUnsynced(state.get(), state->next_revision);
  }
  sync_wanted_ = true;
}

void WatchHub::Notify(const std::vector<mvccpb::Event>& events, int64_t current_revision) {
  std::vector<std::function<void()>> ready;
  {
    absl::MutexLock lock(&mu_);
    last_notified_revision_ = current_revision;
    // Matching events per synced watcher, in revision order.
    absl::flat_hash_map<WatcherState*, std::vector<const mvccpb::Event*>> matched;
    for (const mvccpb::Event& event : events) {
      auto it = key_watchers_.find(event.kv().key());
      if (it != key_watchers_.end()) {
        for (WatcherState* state : it->second)
          matched[state].push_back(&event);
      }
      for (WatcherState* state : range_watchers_) {
        if (state->options.range.Contains(event.kv().key())) matched[state].push_back(&event);
      }
    }
    for (auto& [state, list] : matched) {
      if (!state->synced) continue;
      const bool was_empty = state->buffer.empty();
      size_t i = 0;
      while (i < list.size()) {
        const int64_t revision = list[i]->kv().mod_revision();
        size_t end = i, bytes = 0;
        bool lacks_prev_kv = false;
        while (end < list.size() && list[end]->kv().mod_revision() == revision) {
          bytes += EventBytes(*list[end]);
          lacks_prev_kv |= LacksPrevKv(*list[end]);
          ++end;
        }
        if (revision < state->next_revision) {  // already delivered from history
          i = end;
          continue;
        }
        // A watcher registered while this batch was applied may want a previous value the
        // batch did not read: history supplies it.
        if (!HasRoom(*state, bytes) || (state->options.prev_kv && lacks_prev_kv)) {
          MarkUnsynced(state, revision);
          sync_wanted_ = true;
          break;
        }
        for (size_t j = i; j < end; ++j)
          Enqueue(state, *list[j]);
        state->next_revision = revision + 1;
        i = end;
      }
      if (was_empty && !state->buffer.empty() && state->on_ready) ready.push_back(state->on_ready);
    }
  }
  for (auto& callback : ready)
    callback();
}

WatchBatch WatchHub::TakeFrom(int64_t id) {
  WatchBatch batch;
  absl::MutexLock lock(&mu_);
  auto it = watchers_.find(id);
  if (it == watchers_.end()) return batch;
  WatcherState* state = it->second.get();
  batch.events.assign(std::make_move_iterator(state->buffer.begin()),
                      std::make_move_iterator(state->buffer.end()));
  state->buffer.clear();
  state->buffer_bytes = 0;
  batch.compact_revision = state->compact_revision;
  if (state->synced && !state->canceled) batch.synced_revision = last_notified_revision_;
  if (!state->synced) sync_wanted_ = true;   // room again: let the sync thread continue
  if (state->canceled) watchers_.erase(it);  // compacted: this was its last batch
  return batch;
}

bool WatchHub::IsCanceled(int64_t id) const {
  absl::MutexLock lock(&mu_);
  auto it = watchers_.find(id);
  return it == watchers_.end() || it->second->canceled;
}

size_t WatchHub::unsynced_count() const {
  absl::MutexLock lock(&mu_);
  return unsynced_.size();
}

size_t WatchHub::buffered_bytes() const {
  absl::MutexLock lock(&mu_);
  size_t total = 0;
  for (const auto& [id, state] : watchers_)
    total += state->buffer_bytes;
  return total;
}

void WatchHub::SyncLoop() {
  while (true) {
    std::vector<int64_t> ids;
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || sync_wanted_; };
      mu_.AwaitWithTimeout(absl::Condition(&wake), options_.sync_interval);
      if (stopping_) return;
      sync_wanted_ = false;
      ids.assign(unsynced_.begin(), unsynced_.end());
    }
    bool progressed = false;
    for (int64_t id : ids)
      progressed |= SyncOne(id);
    if (progressed) {
      absl::MutexLock lock(&mu_);
      sync_wanted_ = true;  // more may be pending; go again without waiting
    }
  }
}

bool WatchHub::SyncOne(int64_t id) {
  KeyRange range;
  int64_t from = 0;
  bool prev_kv = false;
  size_t budget = 0;
  {
    absl::MutexLock lock(&mu_);
    auto it = watchers_.find(id);
    if (it == watchers_.end() || it->second->synced || it->second->canceled) return false;
    const WatcherState& state = *it->second;
    if (!state.buffer.empty() && state.buffer_bytes >= options_.watcher_buffer_bytes) return false;
    range = state.options.range;
    from = state.next_revision;
    prev_kv = state.options.prev_kv;
    budget = options_.watcher_buffer_bytes - state.buffer_bytes;
  }
  // Read without the lock: the apply loop keeps notifying meanwhile.
  const int64_t to = history_->CurrentRevision();
  // A watcher can start ahead of the history: a client resumes on a member still behind the
  // revisions it saw, and a snapshot installed there may leave the member behind still. There
  // is nothing to read then, and the watcher's next revision must stay where it is (a read of
  // [from, to] would say "covered up to to", sending it back below its start).
  absl::StatusOr<HistoryChunk> chunk =
      from > to ? HistoryChunk{.events = {}, .next_revision = from}
                : history_->ReadHistory(range, from, to, prev_kv, budget);

  std::function<void()> ready;
  {
    absl::MutexLock lock(&mu_);
    auto it = watchers_.find(id);
    if (it == watchers_.end() || it->second->canceled || it->second->next_revision != from) {
      return false;
    }
    WatcherState* state = it->second.get();
    const bool was_empty = state->buffer.empty();
    if (!chunk.ok()) {
      if (!IsCompacted(chunk.status())) {
        spdlog::error("watch {}: reading history from {}: {}", id, from, chunk.status().ToString());
        return false;
      }
      // As etcd: report the compact revision once, then the watch is over.
      state->compact_revision = history_->CompactRevision();
      Unregister(state);
      ready = state->on_ready;
    } else {
      for (const mvccpb::Event& event : chunk->events)
        Enqueue(state, event);
      state->next_revision = chunk->next_revision;
      if (state->next_revision > last_notified_revision_) {
        state->synced = true;
        unsynced_.erase(id);
      } else if (chunk->events.empty() && state->next_revision == from) {
        return false;  // ahead of a history not yet published: retry later, no busy loop
      }
      if (was_empty && !state->buffer.empty()) ready = state->on_ready;
    }
  }
  if (ready) ready();
  return true;
}

}  // namespace raftkv::mvcc
