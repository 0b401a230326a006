// The embedded implementation of raftkv::KV: calls go straight to the Member's async API.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "raftkv/embed/deadline_timer.h"
#include "raftkv/embed/member_core.h"
#include "raftkv/server/errors.h"
#include "raftkv/server/watch_stream.h"

namespace raftkv::internal {
namespace {

namespace pb = etcdserverpb;

// One watch: a server-side WatchStream on the member's store, drained by a thread of its own
// whenever the store says it has something.
class EmbeddedWatch final : public WatchStreamHandle, public MemberUser {
 public:
  EmbeddedWatch(std::shared_ptr<MemberCore> core, WatchSink sink)
      : core_(std::move(core)),
        sink_(std::move(sink)),
        progress_interval_(core_->progress_notify_interval()) {}

  ~EmbeddedWatch() override {
    core_->Unregister(this);
    Shutdown(/*member_stopping=*/false);
  }

  absl::Status Start(const pb::WatchCreateRequest& request, Deadline deadline) {
    {
      auto acquired = core_->Acquire();  // holds the member until the stream is set up
      server::Member* member = acquired.first;
      if (member == nullptr) return server::ErrStopped();
      stream_ = std::make_unique<server::WatchStream>(
          &member->store(), [member] { return member->Header(); }, server::WatchStreamOptions{},
          [this] { Wake(); });
      core_->Register(this);
      pb::WatchRequest create;
      *create.mutable_create_request() = request;
      stream_->Handle(create);
      progress_notify_ = request.progress_notify();
    }
    thread_ = std::thread([this] { Run(); });
    std::unique_lock lock(mu_);
    changed_.wait_until(lock, deadline, [&] { return created_ || stopping_; });
    if (created_) return absl::OkStatus();
    return stopping_ ? server::ErrStopped()
                     : absl::DeadlineExceededError("watch not created before the deadline");
  }

  void OnMemberStopping() override { Shutdown(/*member_stopping=*/true); }

 private:
  void Wake() {
    std::lock_guard lock(mu_);
    ready_ = true;
    changed_.notify_all();
  }

  void Run() {
    for (;;) {
      {
        std::unique_lock lock(mu_);
        const auto woken = [&] { return ready_ || stopping_; };
        if (!progress_notify_) {
          changed_.wait(lock, woken);
        } else if (!changed_.wait_until(lock, next_tick_, woken)) {
          next_tick_ = Clock::now() + progress_interval_;
          lock.unlock();
          stream_->ProgressTick();  // the stream then has a notification to poll, or not
          lock.lock();
        }
        if (stopping_) return;
        ready_ = false;
      }
      for (const pb::WatchResponse& response : stream_->Poll()) {
        sink_(response);
        if (response.created()) {
          std::lock_guard lock(mu_);
          created_ = true;
          changed_.notify_all();
        }
        if (response.canceled()) return;  // compacted or refused: nothing follows
      }
    }
  }

  // Idempotent. Joins the thread, then ends the stream (which must go before the member).
  void Shutdown(bool member_stopping) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
      changed_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
    stream_.reset();
    if (member_stopping) {
      pb::WatchResponse last;
      last.set_canceled(true);
      const absl::Status stopped = server::ErrStopped();
      last.set_cancel_reason(stopped.message().data(), stopped.message().size());
      sink_(last);
    }
  }

  const std::shared_ptr<MemberCore> core_;
  const WatchSink sink_;
  const std::chrono::milliseconds progress_interval_;
  bool progress_notify_ = false;                            // set before the thread starts
  Deadline next_tick_ = Clock::now() + progress_interval_;  // owned by the thread
  std::unique_ptr<server::WatchStream> stream_;
  std::mutex mu_;
  std::condition_variable changed_;
  bool ready_ = false;
  bool created_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

// `done`, called once: with the member's answer, or with DeadlineExceeded at `deadline` if
// that comes first (the member's late answer is then dropped).
template <typename T>
Done<T> WithDeadline(Done<T> done, Deadline deadline, DeadlineTimer& timer) {
  struct Call {
    std::atomic<bool> finished{false};
    Done<T> done;
  };
  auto call = std::make_shared<Call>();
  call->done = std::move(done);
  const DeadlineTimer::Id timeout = timer.At(deadline, [call] {
    if (!call->finished.exchange(true)) {
      call->done(absl::DeadlineExceededError("context deadline exceeded"));
    }
  });
  return [call, timeout, &timer](absl::StatusOr<T> response) {
    if (call->finished.exchange(true)) return;
    timer.Cancel(timeout);
    call->done(std::move(response));
  };
}

// Fails `done` at once if `deadline` has passed already (the call is then not sent).
template <typename T>
bool Expired(Deadline deadline, Done<T>& done) {
  if (Clock::now() < deadline) return false;
  done(absl::DeadlineExceededError("context deadline exceeded"));
  return true;
}

class EmbeddedBackend final : public Backend {
 public:
  EmbeddedBackend(std::shared_ptr<MemberCore> core, bool own) : core_(std::move(core)), own_(own) {}
  ~EmbeddedBackend() override {
    if (own_) core_->Stop();
  }

  void Range(const pb::RangeRequest& request, Deadline deadline,
             Done<pb::RangeResponse> done) override {
    if (Expired(deadline, done)) return;
    done = WithDeadline(std::move(done), deadline, timer_);
    core_->With(done, [&](server::Member& m) { m.Range(request, std::move(done)); });
  }
  void Put(const pb::PutRequest& request, Deadline deadline, Done<pb::PutResponse> done) override {
    if (Expired(deadline, done)) return;
    done = WithDeadline(std::move(done), deadline, timer_);
    core_->With(done, [&](server::Member& m) { m.Put(request, std::move(done)); });
  }
  void DeleteRange(const pb::DeleteRangeRequest& request, Deadline deadline,
                   Done<pb::DeleteRangeResponse> done) override {
    if (Expired(deadline, done)) return;
    done = WithDeadline(std::move(done), deadline, timer_);
    core_->With(done, [&](server::Member& m) { m.DeleteRange(request, std::move(done)); });
  }
  void Txn(const pb::TxnRequest& request, Deadline deadline, Done<pb::TxnResponse> done) override {
    if (Expired(deadline, done)) return;
    done = WithDeadline(std::move(done), deadline, timer_);
    core_->With(done, [&](server::Member& m) { m.Txn(request, std::move(done)); });
  }
  void Compact(const pb::CompactionRequest& request, Deadline deadline,
               Done<pb::CompactionResponse> done) override {
    if (Expired(deadline, done)) return;
    done = WithDeadline(std::move(done), deadline, timer_);
    core_->With(done, [&](server::Member& m) { m.Compact(request, std::move(done)); });
  }
  void LeaseGrant(const pb::LeaseGrantRequest& request, Deadline deadline,
                  Done<pb::LeaseGrantResponse> done) override {
    if (Expired(deadline, done)) return;
    done = WithDeadline(std::move(done), deadline, timer_);
    core_->With(done, [&](server::Member& m) { m.LeaseGrant(request, std::move(done)); });
  }
  void LeaseRevoke(const pb::LeaseRevokeRequest& request, Deadline deadline,
                   Done<pb::LeaseRevokeResponse> done) override {
    if (Expired(deadline, done)) return;
    done = WithDeadline(std::move(done), deadline, timer_);
    core_->With(done, [&](server::Member& m) { m.LeaseRevoke(request, std::move(done)); });
  }
  void LeaseTimeToLive(const pb::LeaseTimeToLiveRequest& request, Deadline deadline,
                       Done<pb::LeaseTimeToLiveResponse> done) override {
    if (Expired(deadline, done)) return;
    done = WithDeadline(std::move(done), deadline, timer_);
    core_->With(done, [&](server::Member& m) { m.LeaseTimeToLive(request, std::move(done)); });
  }
  void LeaseKeepAlive(const pb::LeaseKeepAliveRequest& request, Deadline deadline,
                      Done<pb::LeaseKeepAliveResponse> done) override {
    if (Expired(deadline, done)) return;
    done = WithDeadline(std::move(done), deadline, timer_);
    core_->With(done, [&](server::Member& m) { m.LeaseKeepAlive(request, std::move(done)); });
  }

  absl::StatusOr<std::unique_ptr<WatchStreamHandle>> Watch(const pb::WatchCreateRequest& request,
                                                           Deadline deadline,
                                                           WatchSink sink) override {
    auto watch = std::make_unique<EmbeddedWatch>(core_, std::move(sink));
    if (absl::Status s = watch->Start(request, deadline); !s.ok()) return s;
    return watch;
  }

 private:
  const std::shared_ptr<MemberCore> core_;
  const bool own_;
  DeadlineTimer timer_;
};

}  // namespace

std::unique_ptr<Backend> NewEmbeddedBackend(std::shared_ptr<MemberCore> core, bool own) {
  return std::make_unique<EmbeddedBackend>(std::move(core), own);
}

}  // namespace raftkv::internal
