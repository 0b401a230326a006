#include "raftkv/kv.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "raftkv/client/backend.h"
#include "raftkv/client/convert.h"
#include "raftkv/errors.h"

namespace raftkv {
namespace {

using internal::FromProto;
using internal::ToProto;

template <typename T, typename P>
absl::StatusOr<T> Convert(const absl::StatusOr<P>& response) {
  if (!response.ok()) return response.status();
  return FromProto(*response);
}

// A backend completion that converts, then hands the result to `done`.
template <typename T, typename P>
internal::Done<P> Converting(KV::Callback<T> done) {
  return [done = std::move(done)](absl::StatusOr<P> response) { done(Convert<T>(response)); };
}

// Runs a callback-form call with a callback that fulfils the returned future.
template <typename T, typename Start>
std::future<absl::StatusOr<T>> AsFuture(const Start& start) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<T>>>();
  std::future<absl::StatusOr<T>> future = promise->get_future();
  start([promise](absl::StatusOr<T> r) { promise->set_value(std::move(r)); });
  return future;
}

// A watch as the user sees it: converts the backend's responses, then either calls the
// user's callback or queues them for Next.
class WatcherImpl final : public Watcher {
 public:
  explicit WatcherImpl(WatchCallback on_response) : on_response_(std::move(on_response)) {}
  ~WatcherImpl() override { Cancel(); }

  void Attach(std::unique_ptr<internal::WatchStreamHandle> stream) {
    std::lock_guard lock(mu_);
    stream_ = std::move(stream);
  }

  // The backend's sink: called on the watch's thread, one response at a time.
  void Deliver(const etcdserverpb::WatchResponse& proto) {
    WatchResponse response = FromProto(proto);
    if (response.created) created_revision_.store(response.header.revision);
    if (on_response_) {
      on_response_(response);
      return;
    }
    std::lock_guard lock(mu_);
    if (response.canceled) ended_ = true;
    queue_.push_back(std::move(response));
    ready_.notify_all();
  }

  void Cancel() override {
    std::unique_ptr<internal::WatchStreamHandle> stream;
    {
      std::lock_guard lock(mu_);
      stream = std::move(stream_);
      ended_ = true;
      ready_.notify_all();
    }
    stream.reset();  // joins the watch's thread: outside mu_, which Deliver takes
  }

  absl::StatusOr<WatchResponse> Next(Deadline deadline) override {
    if (on_response_) {
      return absl::FailedPreconditionError("this watch delivers to its callback");
    }
    std::unique_lock lock(mu_);
    ready_.wait_until(lock, deadline, [&] { return !queue_.empty() || ended_; });
    if (!queue_.empty()) {
      WatchResponse response = std::move(queue_.front());
      queue_.pop_front();
      return response;
    }
    if (ended_) return absl::CancelledError("watch ended");
    return absl::DeadlineExceededError("no watch response before the deadline");
  }

  int64_t created_revision() const override { return created_revision_.load(); }

 private:
  const WatchCallback on_response_;
  std::atomic<int64_t> created_revision_{0};
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<WatchResponse> queue_;
  bool ended_ = false;
  std::unique_ptr<internal::WatchStreamHandle> stream_;
};

// Renews a lease every third of its TTL on its own thread, as etcd's client does.
class KeepAliveImpl final : public LeaseKeepAlive {
 public:
  KeepAliveImpl(internal::Backend* backend, int64_t lease, KeepAliveCallback on_renew,
                std::chrono::milliseconds request_timeout)
      : backend_(backend),
        lease_(lease),
        on_renew_(std::move(on_renew)),
        request_timeout_(request_timeout),
        thread_([this] { Run(); }) {}

  ~KeepAliveImpl() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      wake_.notify_all();
    }
    thread_.join();
  }

  int64_t lease() const override { return lease_; }
  bool alive() const override { return alive_.load(); }

 private:
  void Run() {
    using std::chrono::milliseconds;
    // Until the first answer says the TTL, a round may take the whole request timeout.
    milliseconds round_timeout = request_timeout_;
    for (;;) {
      etcdserverpb::LeaseKeepAliveRequest request;
      request.set_id(lease_);
      absl::StatusOr<LeaseKeepAliveResponse> response = Convert<LeaseKeepAliveResponse>(
          backend_->LeaseKeepAliveNow(request, Clock::now() + round_timeout));
      if (on_renew_) on_renew_(response);
      milliseconds wait{500};  // after a failed round: try again soon, the TTL is running
      if (response.ok()) {
        const milliseconds third = milliseconds(response->ttl * 1000 / 3);
        wait = std::max(third, milliseconds(500));
        round_timeout = std::clamp(third, milliseconds(1000), request_timeout_);
      } else if (IsLeaseNotFound(response.status())) {
        alive_.store(false);
        return;
      }
      std::unique_lock lock(mu_);
      if (wake_.wait_for(lock, wait, [&] { return stopping_; })) return;
    }
  }

  internal::Backend* const backend_;
  const int64_t lease_;
  const KeepAliveCallback on_renew_;
  const std::chrono::milliseconds request_timeout_;
  std::atomic<bool> alive_{true};
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything above is ready
};

}  // namespace

KV::KV(std::unique_ptr<internal::Backend> backend, std::chrono::milliseconds default_timeout)
    : backend_(std::move(backend)), default_timeout_(default_timeout) {}

KV::~KV() = default;

Deadline KV::Resolve(Deadline deadline) const {
  return deadline == Deadline{} ? Clock::now() + default_timeout_ : deadline;
}

// Get
absl::StatusOr<GetResponse> KV::Get(std::string_view key, const RangeOptions& options) {
  return Convert<GetResponse>(backend_->RangeNow(ToProto(key, options), Resolve(options.deadline)));
}
void KV::GetAsync(std::string_view key, const RangeOptions& options, Callback<GetResponse> done) {
  backend_->Range(ToProto(key, options), Resolve(options.deadline),
                  Converting<GetResponse, etcdserverpb::RangeResponse>(std::move(done)));
}
std::future<absl::StatusOr<GetResponse>> KV::GetAsync(std::string_view key,
                                                      const RangeOptions& options) {
  return AsFuture<GetResponse>(
      [&](Callback<GetResponse> done) { GetAsync(key, options, std::move(done)); });
}

// Put
absl::StatusOr<PutResponse> KV::Put(std::string_view key, std::string_view value,
                                    const PutOptions& options) {
  return Convert<PutResponse>(
      backend_->PutNow(ToProto(key, value, options), Resolve(options.deadline)));
}
void KV::PutAsync(std::string_view key, std::string_view value, const PutOptions& options,
                  Callback<PutResponse> done) {
  backend_->Put(ToProto(key, value, options), Resolve(options.deadline),
                Converting<PutResponse, etcdserverpb::PutResponse>(std::move(done)));
}
std::future<absl::StatusOr<PutResponse>> KV::PutAsync(std::string_view key, std::string_view value,
                                                      const PutOptions& options) {
  return AsFuture<PutResponse>(
      [&](Callback<PutResponse> done) { PutAsync(key, value, options, std::move(done)); });
}

// Delete
absl::StatusOr<DeleteResponse> KV::Delete(std::string_view key, const DeleteOptions& options) {
  return Convert<DeleteResponse>(
      backend_->DeleteRangeNow(ToProto(key, options), Resolve(options.deadline)));
}
void KV::DeleteAsync(std::string_view key, const DeleteOptions& options,
                     Callback<DeleteResponse> done) {
  backend_->DeleteRange(
      ToProto(key, options), Resolve(options.deadline),
      Converting<DeleteResponse, etcdserverpb::DeleteRangeResponse>(std::move(done)));
}
std::future<absl::StatusOr<DeleteResponse>> KV::DeleteAsync(std::string_view key,
                                                            const DeleteOptions& options) {
  return AsFuture<DeleteResponse>(
      [&](Callback<DeleteResponse> done) { DeleteAsync(key, options, std::move(done)); });
}

// Txn
absl::StatusOr<TxnResponse> KV::Txn(const TxnRequest& txn, const CallOptions& options) {
  return Convert<TxnResponse>(backend_->TxnNow(ToProto(txn), Resolve(options.deadline)));
}
void KV::TxnAsync(const TxnRequest& txn, const CallOptions& options, Callback<TxnResponse> done) {
  backend_->Txn(ToProto(txn), Resolve(options.deadline),
                Converting<TxnResponse, etcdserverpb::TxnResponse>(std::move(done)));
}
std::future<absl::StatusOr<TxnResponse>> KV::TxnAsync(const TxnRequest& txn,
                                                      const CallOptions& options) {
  return AsFuture<TxnResponse>(
      [&](Callback<TxnResponse> done) { TxnAsync(txn, options, std::move(done)); });
}

// Compact
namespace {
etcdserverpb::CompactionRequest CompactRequest(int64_t revision, const CompactOptions& options) {
  etcdserverpb::CompactionRequest request;
  request.set_revision(revision);
  request.set_physical(options.physical);
  return request;
}
}  // namespace

absl::StatusOr<CompactResponse> KV::Compact(int64_t revision, const CompactOptions& options) {
  return Convert<CompactResponse>(
      backend_->CompactNow(CompactRequest(revision, options), Resolve(options.deadline)));
}
void KV::CompactAsync(int64_t revision, const CompactOptions& options,
                      Callback<CompactResponse> done) {
  backend_->Compact(CompactRequest(revision, options), Resolve(options.deadline),
                    Converting<CompactResponse, etcdserverpb::CompactionResponse>(std::move(done)));
}

// Leases
namespace {
etcdserverpb::LeaseGrantRequest GrantRequest(int64_t ttl, const LeaseGrantOptions& options) {
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(ttl);
  request.set_id(options.id);
  return request;
}
etcdserverpb::LeaseRevokeRequest RevokeRequest(int64_t lease) {
  etcdserverpb::LeaseRevokeRequest request;
  request.set_id(lease);
  return request;
}
etcdserverpb::LeaseTimeToLiveRequest TimeToLiveRequest(int64_t lease, bool keys) {
  etcdserverpb::LeaseTimeToLiveRequest request;
  request.set_id(lease);
  request.set_keys(keys);
  return request;
}
etcdserverpb::LeaseKeepAliveRequest KeepAliveRequest(int64_t lease) {
  etcdserverpb::LeaseKeepAliveRequest request;
  request.set_id(lease);
  return request;
}
}  // namespace

absl::StatusOr<LeaseGrantResponse> KV::LeaseGrant(int64_t ttl_seconds,
                                                  const LeaseGrantOptions& options,
                                                  const CallOptions& call) {
  return Convert<LeaseGrantResponse>(
      backend_->LeaseGrantNow(GrantRequest(ttl_seconds, options), Resolve(call.deadline)));
}
void KV::LeaseGrantAsync(int64_t ttl_seconds, const LeaseGrantOptions& options,
                         const CallOptions& call, Callback<LeaseGrantResponse> done) {
  backend_->LeaseGrant(
      GrantRequest(ttl_seconds, options), Resolve(call.deadline),
      Converting<LeaseGrantResponse, etcdserverpb::LeaseGrantResponse>(std::move(done)));
}

absl::StatusOr<LeaseRevokeResponse> KV::LeaseRevoke(int64_t lease, const CallOptions& call) {
  return Convert<LeaseRevokeResponse>(
      backend_->LeaseRevokeNow(RevokeRequest(lease), Resolve(call.deadline)));
}
void KV::LeaseRevokeAsync(int64_t lease, const CallOptions& call,
                          Callback<LeaseRevokeResponse> done) {
  backend_->LeaseRevoke(
      RevokeRequest(lease), Resolve(call.deadline),
      Converting<LeaseRevokeResponse, etcdserverpb::LeaseRevokeResponse>(std::move(done)));
}

absl::StatusOr<LeaseTimeToLiveResponse> KV::LeaseTimeToLive(int64_t lease, bool keys,
                                                            const CallOptions& call) {
  return Convert<LeaseTimeToLiveResponse>(
      backend_->LeaseTimeToLiveNow(TimeToLiveRequest(lease, keys), Resolve(call.deadline)));
}
void KV::LeaseTimeToLiveAsync(int64_t lease, bool keys, const CallOptions& call,
                              Callback<LeaseTimeToLiveResponse> done) {
  backend_->LeaseTimeToLive(
      TimeToLiveRequest(lease, keys), Resolve(call.deadline),
      Converting<LeaseTimeToLiveResponse, etcdserverpb::LeaseTimeToLiveResponse>(std::move(done)));
}

absl::StatusOr<LeaseKeepAliveResponse> KV::LeaseKeepAliveOnce(int64_t lease,
                                                              const CallOptions& call) {
  return Convert<LeaseKeepAliveResponse>(
      backend_->LeaseKeepAliveNow(KeepAliveRequest(lease), Resolve(call.deadline)));
}
void KV::LeaseKeepAliveOnceAsync(int64_t lease, const CallOptions& call,
                                 Callback<LeaseKeepAliveResponse> done) {
  backend_->LeaseKeepAlive(
      KeepAliveRequest(lease), Resolve(call.deadline),
      Converting<LeaseKeepAliveResponse, etcdserverpb::LeaseKeepAliveResponse>(std::move(done)));
}

std::unique_ptr<LeaseKeepAlive> KV::KeepAlive(int64_t lease, KeepAliveCallback on_renew) {
  return std::make_unique<KeepAliveImpl>(backend_.get(), lease, std::move(on_renew),
                                         default_timeout_);
}

absl::StatusOr<std::unique_ptr<Watcher>> KV::Watch(std::string_view key,
                                                   const WatchOptions& options,
                                                   WatchCallback on_response) {
  auto watcher = std::make_unique<WatcherImpl>(std::move(on_response));
  WatcherImpl* sink = watcher.get();
  absl::StatusOr<std::unique_ptr<internal::WatchStreamHandle>> stream = backend_->Watch(
      ToProto(key, options), Resolve(options.deadline),
      [sink](const etcdserverpb::WatchResponse& response) { sink->Deliver(response); });
  if (!stream.ok()) return stream.status();
  watcher->Attach(std::move(*stream));
  return watcher;
}

}  // namespace raftkv
