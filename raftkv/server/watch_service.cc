#include "raftkv/server/watch_service.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <mutex>
#include <random>

#include "absl/time/time.h"
#include "spdlog/spdlog.h"

namespace raftkv::server {

using etcdserverpb::WatchRequest;
using etcdserverpb::WatchResponse;

namespace {

constexpr std::chrono::milliseconds kMinProgressNotifyInterval{100};

// One Watch RPC: reads requests into its WatchStream and writes what the stream produces,
// one message at a time (gRPC allows a single outstanding write).
//
// Lifetime (gRPC's callback API): gRPC holds this reactor from Watch's return until OnDone,
// which it calls once Finish was called and all operations and reactions are over; OnDone
// deletes it — the one use of `delete`, because gRPC decides when the call ends. The store
// also calls back (Pump, through the stream's on_ready) from its own threads, outside gRPC's
// knowledge: OnDone therefore destroys the stream first, which waits for such a call in
// progress and cuts off later ones, before the reactor goes away.
class WatchReactor final : public grpc::ServerBidiReactor<WatchRequest, WatchResponse> {
 public:
  WatchReactor(Member* member, WatchService* service, const WatchStreamOptions& options)
      : service_(service) {
    stream_ = std::make_unique<WatchStream>(
        &member->store(), [member] { return member->Header(); }, options, [this] { Pump(); });
    service_->Register(stream_.get());
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    // Not ok: the client closed its side or went away. etcd keeps sending events after a
    // half-close until the client cancels, so only OnCancel ends the call.
    if (!ok) return;
    stream_->Handle(request_);  // answers through Pump
    std::lock_guard lock(mu_);
    if (!finished_) StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    {
      std::lock_guard lock(mu_);
      writing_ = false;
      if (!ok) {
        FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "etcdserver: watch canceled"));
        return;
      }
    }
    Pump();
  }

  void OnCancel() override {
    std::lock_guard lock(mu_);
    FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "etcdserver: watch canceled"));
  }

  void OnDone() override {
    service_->Unregister(stream_.get());
    stream_.reset();
    // Finish may have been called under mu_ by another thread still inside its critical
    // section: wait for it to leave before the mutex is destroyed.
    { std::lock_guard wait_for_unlock(mu_); }
    delete this;
  }

 private:
  // Starts the next write if none is in flight. Custom reactors never run reactions inline,
  // so starting a write under the lock cannot re-enter it.
  void Pump() {
    std::lock_guard lock(mu_);
    if (finished_ || writing_) return;
    if (outbox_.empty()) {
      for (WatchResponse& response : stream_->Poll())
        outbox_.push_back(std::move(response));
    }
    if (outbox_.empty()) return;
    current_ = std::move(outbox_.front());
    outbox_.pop_front();
    writing_ = true;
    StartWrite(&current_);
  }

  void FinishLocked(grpc::Status status) {
    if (finished_) return;
    finished_ = true;
    Finish(std::move(status));
  }

  WatchService* const service_;
  std::unique_ptr<WatchStream> stream_;
  WatchRequest request_;
  std::mutex mu_;
  WatchResponse current_;  // the message being written
  std::deque<WatchResponse> outbox_;
  bool writing_ = false;
  bool finished_ = false;
};

}  // namespace

WatchService::WatchService(Member* member, WatchServiceOptions options)
    : member_(member), options_(options) {
  ticker_ = std::thread([this] { TickLoop(); });
}

WatchService::~WatchService() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  ticker_.join();
}

grpc::ServerBidiReactor<WatchRequest, WatchResponse>* WatchService::Watch(
    grpc::CallbackServerContext* /*context*/) {
  return new WatchReactor(member_, this, options_.stream);  // deletes itself in OnDone
}

void WatchService::Register(WatchStream* stream) {
  absl::MutexLock lock(&mu_);
  streams_.insert(stream);
}

void WatchService::Unregister(WatchStream* stream) {
  absl::MutexLock lock(&mu_);
  streams_.erase(stream);
}

void WatchService::TickLoop() {
  const auto interval = std::max(options_.progress_notify_interval, kMinProgressNotifyInterval);
  if (interval != options_.progress_notify_interval) {
    spdlog::warn("adjusting watch progress notify interval to minimum period {}ms",
                 kMinProgressNotifyInterval.count());
  }
  // Jitter of up to a tenth of the interval, as etcd, so watchers created together do not
  // all hear progress at once after a restart.
  std::mt19937_64 random(std::random_device{}());
  std::uniform_int_distribution<int64_t> jitter(0, interval.count() / 10);
  absl::MutexLock lock(&mu_);
  while (true) {
    const absl::Duration wait = absl::Milliseconds(interval.count() + jitter(random));
    auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping), wait)) return;
    // Under mu_: a stream unregisters (in its reactor's OnDone) before it is destroyed.
    for (WatchStream* stream : streams_)
      stream->ProgressTick();
  }
}

}  // namespace raftkv::server
