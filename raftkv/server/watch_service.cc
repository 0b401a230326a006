#include "raftkv/server/watch_service.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <mutex>
#include <random>

#include "absl/time/time.h"
#include "raftkv/server/errors.h"
#include "raftkv/server/grpc_status.h"
#include "spdlog/spdlog.h"

namespace raftkv::server {

using etcdserverpb::WatchRequest;
using etcdserverpb::WatchResponse;

namespace {

constexpr std::chrono::milliseconds kMinProgressNotifyInterval{100};
// As etcd's monitorLeader: reconnecting a stream costs more than refusing a new one, so an
// open stream ends only after this many leader checks in a row found no leader.
constexpr int kMaxChecksWithoutLeader = 3;

// etcd's metadata key and value by which a client asks to be served only while the member
// knows a leader.
bool RequiresLeader(const grpc::CallbackServerContext* context) {
  auto [begin, end] = context->client_metadata().equal_range("hasleader");
  for (auto it = begin; it != end; ++it) {
    if (it->second == "true") return true;
  }
  return false;
}

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
  WatchReactor(Member* member, WatchService* service, const WatchStreamOptions& options,
               bool requires_leader)
      : service_(service) {
    stream_ = std::make_unique<WatchStream>(
        &member->store(), [member] { return member->Header(); }, options, [this] { Pump(); });
    if (requires_leader && !member->HasLeader()) {
      EndForNoLeader();
      return;
    }
    std::function<void()> on_no_leader;
    if (requires_leader) on_no_leader = [this] { EndForNoLeader(); };
    service_->Register(stream_.get(), std::move(on_no_leader));
    StartRead(&request_);
  }

  void EndForNoLeader() {
    std::lock_guard lock(mu_);
    FinishLocked(ToGrpcStatus(ErrNoLeader()));
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
    grpc::CallbackServerContext* context) {
  // Deletes itself in OnDone.
  return new WatchReactor(member_, this, options_.stream, RequiresLeader(context));
}

void WatchService::Register(WatchStream* stream, std::function<void()> on_no_leader) {
  absl::MutexLock lock(&mu_);
  streams_.emplace(stream, std::move(on_no_leader));
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
  auto jittered = [&] { return absl::FromChrono(interval) + absl::Milliseconds(jitter(random)); };
  const absl::Duration leader_check = absl::FromChrono(options_.leader_check_interval);
  absl::Time next_progress = absl::Now() + jittered();
  absl::Time next_leader_check = absl::Now() + leader_check;
  absl::MutexLock lock(&mu_);
  while (true) {
    auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    if (mu_.AwaitWithDeadline(absl::Condition(&stopping),
                              std::min(next_progress, next_leader_check))) {
      return;
    }
    const absl::Time now = absl::Now();
    if (now >= next_leader_check) {
      CheckLeader();
      next_leader_check = now + leader_check;
    }
    if (now >= next_progress) {
      // Under mu_: a stream unregisters (in its reactor's OnDone) before it is destroyed.
      for (auto& [stream, on_no_leader] : streams_)
        stream->ProgressTick();
      next_progress = now + jittered();
    }
  }
}

void WatchService::CheckLeader() {
  checks_without_leader_ = member_->HasLeader() ? 0 : checks_without_leader_ + 1;
  if (checks_without_leader_ < kMaxChecksWithoutLeader) return;
  for (auto& [stream, on_no_leader] : streams_) {
    if (on_no_leader) on_no_leader();
  }
}

}  // namespace raftkv::server
