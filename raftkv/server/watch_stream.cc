#include "raftkv/server/watch_stream.h"

#include <string>
#include <utility>

#include "google/protobuf/io/coded_stream.h"

namespace raftkv::server {

using etcdserverpb::WatchRequest;
using etcdserverpb::WatchResponse;

namespace {

// etcd's clientv3.InvalidWatchID: the id of answers not tied to one watch.
constexpr int64_t kInvalidWatchId = -1;
constexpr char kDuplicateIdReason[] = "mvcc: duplicate watch ID provided on the WatchStream";
constexpr char kEmptyRangeReason[] = "mvcc: watcher range is empty";

bool IsFromKey(const std::string& range_end) {
  return range_end.size() == 1 && range_end[0] == '\0';
}

// The bytes an event adds to a WatchResponse: tag, length prefix and the message.
size_t EncodedEventBytes(const mvccpb::Event& event) {
  const size_t bytes = event.ByteSizeLong();
  return 1 + google::protobuf::io::CodedOutputStream::VarintSize64(bytes) + bytes;
}

}  // namespace

// The link from the store's watcher callbacks to the stream's owner. The store may call a
// watcher's callback just after the watcher was canceled (it calls without its locks held),
// so the callbacks share this object rather than pointing at the stream; Close cuts the link
// and waits for a call in progress.
class WatchStream::Signal {
 public:
  explicit Signal(std::function<void()> wake) : wake_(std::move(wake)) {}

  void MarkReady(int64_t watch_id) {
    {
      absl::MutexLock lock(&ready_mu_);
      ready_.push_back(watch_id);
    }
    Wake();
  }

  void Wake() {
    absl::ReaderMutexLock lock(&wake_mu_);
    if (wake_) wake_();
  }

  std::vector<int64_t> TakeReady() {
    absl::MutexLock lock(&ready_mu_);
    return std::exchange(ready_, {});
  }

  void Close() {
    absl::MutexLock lock(&wake_mu_);
    wake_ = nullptr;
  }

 private:
  absl::Mutex ready_mu_;
  std::vector<int64_t> ready_ ABSL_GUARDED_BY(ready_mu_);
  absl::Mutex wake_mu_;
  std::function<void()> wake_ ABSL_GUARDED_BY(wake_mu_);
};

WatchStream::WatchStream(mvcc::Store* store, HeaderSource header, WatchStreamOptions options,
                         std::function<void()> on_ready)
    : store_(store),
      header_(std::move(header)),
      options_(options),
      signal_(std::make_shared<Signal>(std::move(on_ready))) {}

WatchStream::~WatchStream() {
  signal_->Close();
  absl::MutexLock lock(&mu_);
  for (auto& [id, watch] : watches_)
    store_->CancelWatch(watch.watcher->id());
}

void WatchStream::Handle(const WatchRequest& request) {
  {
    absl::MutexLock lock(&mu_);
    switch (request.request_union_case()) {
      case WatchRequest::kCreateRequest:
        Create(request.create_request());
        break;
      case WatchRequest::kCancelRequest:
        Cancel(request.cancel_request().watch_id());
        break;
      case WatchRequest::kProgressRequest:
        control_.push_back({WatchResponse(), /*progress_request=*/true});
        break;
      case WatchRequest::REQUEST_UNION_NOT_SET:
        return;
    }
  }
  signal_->Wake();
}

void WatchStream::Create(const etcdserverpb::WatchCreateRequest& request) {
  mvcc::KeyRange range{request.key(), request.range_end()};
  if (range.key.empty()) range.key = std::string(1, '\0');  // the smallest key, as etcd
  const int64_t current = store_->CurrentRevision();
  auto reject = [&](const char* reason) {
    WatchResponse response = NewResponse(current, kInvalidWatchId);
    response.set_created(true);
    response.set_canceled(true);
    response.set_cancel_reason(reason);
    control_.push_back({std::move(response), false});
  };
  if (!range.range_end.empty() && !IsFromKey(range.range_end) && range.key >= range.range_end) {
    return reject(kEmptyRangeReason);
  }
  int64_t id = request.watch_id();
  if (id == 0) {
    id = NextAutoId();
  } else if (watches_.contains(id)) {
    return reject(kDuplicateIdReason);
  }

  Watch watch;
  watch.id = id;
  for (int filter : request.filters()) {
    watch.no_put |= filter == etcdserverpb::WatchCreateRequest::NOPUT;
    watch.no_delete |= filter == etcdserverpb::WatchCreateRequest::NODELETE;
  }
  watch.progress_notify = request.progress_notify();
  watch.fragment = request.fragment();
  mvcc::WatchOptions options;
  options.range = std::move(range);
  options.start_revision = request.start_revision() > 0 ? request.start_revision() : current + 1;
  options.prev_kv = request.prev_kv();
  watch.watcher =
      store_->Watch(std::move(options), [signal = signal_, id] { signal->MarkReady(id); });
  watches_.emplace(id, std::move(watch));

  WatchResponse response = NewResponse(current, id);
  response.set_created(true);
  control_.push_back({std::move(response), false});
}

void WatchStream::Cancel(int64_t watch_id) {
  auto it = watches_.find(watch_id);
  if (it == watches_.end()) return;  // etcd answers nothing for an unknown id
  store_->CancelWatch(it->second.watcher->id());
  watches_.erase(it);
  WatchResponse response = NewResponse(store_->CurrentRevision(), watch_id);
  response.set_canceled(true);
  control_.push_back({std::move(response), false});
}

int64_t WatchStream::NextAutoId() {
  while (watches_.contains(next_auto_id_))
    ++next_auto_id_;
  return next_auto_id_++;
}

WatchResponse WatchStream::NewResponse(int64_t revision, int64_t watch_id) const {
  WatchResponse response;
  *response.mutable_header() = header_();
  response.mutable_header()->set_revision(revision);
  response.set_watch_id(watch_id);
  return response;
}

void WatchStream::ProgressTick() {
  bool any_due = false;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, watch] : watches_) {
      if (!watch.progress_notify) continue;
      // As etcd: a watch that sent events since the last tick skips this notification.
      watch.progress_due = !watch.sent_since_tick;
      watch.sent_since_tick = false;
      any_due |= watch.progress_due;
    }
  }
  if (any_due) signal_->Wake();
}

std::vector<WatchResponse> WatchStream::Poll() {
  absl::MutexLock lock(&mu_);
  std::vector<WatchResponse> out;
  for (Control& control : control_) {
    if (control.progress_request) {
      // Read first: everything up to this revision that is buffered goes out before it.
      const int64_t revision = store_->CurrentRevision();
      std::vector<int64_t> all;
      for (const auto& [id, watch] : watches_)
        all.push_back(id);
      DrainWatches(all, &out);
      out.push_back(NewResponse(revision, kInvalidWatchId));
      continue;
    }
    const WatchResponse& response = control.response;
    if (response.created() && !response.canceled()) {
      auto it = watches_.find(response.watch_id());
      if (it != watches_.end()) it->second.announced = true;
    }
    out.push_back(std::move(control.response));
  }
  control_.clear();

  std::vector<int64_t> ids = signal_->TakeReady();
  for (const auto& [id, watch] : watches_) {
    if (watch.progress_due) ids.push_back(id);
  }
  DrainWatches(ids, &out);
  return out;
}

void WatchStream::DrainWatches(const std::vector<int64_t>& ids, std::vector<WatchResponse>* out) {
  for (int64_t id : ids) {
    auto it = watches_.find(id);
    // Unannounced watches wait: their events must follow their created response.
    if (it == watches_.end() || !it->second.announced) continue;
    if (!DrainWatch(it->second, out)) watches_.erase(it);
  }
}

bool WatchStream::DrainWatch(Watch& watch, std::vector<WatchResponse>* out) {
  mvcc::WatchBatch batch = watch.watcher->Take();
  const bool progress_due = std::exchange(watch.progress_due, false);
  // A caught-up watcher has seen everything to synced_revision; one catching up from history
  // reports the current revision, as etcd does for unsynced watchers.
  const int64_t revision =
      batch.synced_revision != 0 ? batch.synced_revision : store_->CurrentRevision();

  WatchResponse events = NewResponse(revision, watch.id);
  for (mvccpb::Event& event : batch.events) {
    if (watch.no_put && event.type() == mvccpb::Event::PUT) continue;
    if (watch.no_delete && event.type() == mvccpb::Event::DELETE) continue;
    *events.add_events() = std::move(event);
  }
  if (events.events_size() > 0) {
    watch.sent_since_tick = true;
    if (watch.fragment) {
      for (WatchResponse& part :
           SplitIntoFragments(std::move(events), options_.max_response_bytes)) {
        out->push_back(std::move(part));
      }
    } else {
      out->push_back(std::move(events));
    }
  }
  if (batch.compact_revision != 0) {
    WatchResponse compacted = NewResponse(store_->CurrentRevision(), watch.id);
    compacted.set_compact_revision(batch.compact_revision);
    compacted.set_canceled(true);
    out->push_back(std::move(compacted));
    return false;
  }
  if (progress_due && batch.synced_revision != 0) {
    out->push_back(NewResponse(batch.synced_revision, watch.id));
  }
  return true;
}

size_t WatchStream::watch_count() const {
  absl::MutexLock lock(&mu_);
  return watches_.size();
}

std::vector<WatchResponse> SplitIntoFragments(WatchResponse response, size_t max_bytes) {
  std::vector<WatchResponse> parts;
  if (response.ByteSizeLong() < max_bytes || response.events_size() < 2) {
    parts.push_back(std::move(response));
    return parts;
  }
  google::protobuf::RepeatedPtrField<mvccpb::Event> events;
  events.Swap(response.mutable_events());
  response.set_fragment(true);
  const size_t base_bytes = response.ByteSizeLong();

  int next = 0;
  while (next < events.size()) {
    WatchResponse part = response;
    size_t bytes = base_bytes;
    while (next < events.size()) {
      const size_t event_bytes = EncodedEventBytes(events[next]);
      if (part.events_size() > 0 && bytes + event_bytes >= max_bytes) break;
      bytes += event_bytes;
      *part.add_events() = std::move(events[next++]);
    }
    if (next == events.size()) part.set_fragment(false);
    parts.push_back(std::move(part));
  }
  return parts;
}

}  // namespace raftkv::server
