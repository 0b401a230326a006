// The remote implementation of raftkv::KV: etcd's v3 gRPC API with failover between members.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "raftkv/client.h"
#include "raftkv/client/backend.h"
#include "raftkv/client/executor.h"
#include "raftkv/errors.h"
#include "spdlog/spdlog.h"

namespace raftkv {
namespace {

using std::chrono::milliseconds;
namespace pb = etcdserverpb;

std::chrono::system_clock::time_point ToSystem(Deadline deadline) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(deadline - Clock::now());
}

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

// Which failures a call may be sent again after (see client.h).
enum class Retry {
  kAnyUnavailable,     // reads and keep-alives: repeating them changes nothing
  kOnlyIfNotReceived,  // writes: only when they certainly were not applied
};

bool CertainlyNotApplied(const absl::Status& status) {
  if (!absl::IsUnavailable(status)) return false;
  // Refused proposals (raftkv fails them at once, before they enter the log), and gRPC's
  // fail-fast error of a call that found no connection to send on.
  return status.message() == kNoLeaderMessage || status.message() == kLeaderChangedMessage ||
         absl::StrContains(status.message(), "failed to connect to all addresses");
}

bool Retryable(const absl::Status& status, Retry retry) {
  return retry == Retry::kAnyUnavailable ? absl::IsUnavailable(status)
                                         : CertainlyNotApplied(status);
}

struct Endpoint {
  std::string address;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<pb::KV::Stub> kv;
  std::unique_ptr<pb::Lease::Stub> lease;
  std::unique_ptr<pb::Watch::Stub> watch;
};

class RemoteBackend;

// One watch: a thread that keeps a Watch stream open on some member, re-creating it from the
// revision after the last one delivered whenever the stream breaks.
class RemoteWatch final : public internal::WatchStreamHandle {
 public:
  RemoteWatch(RemoteBackend* backend, pb::WatchCreateRequest request, internal::WatchSink sink)
      : backend_(backend), request_(std::move(request)), sink_(std::move(sink)) {}
  ~RemoteWatch() override;

  // Starts the thread; returns once the watch was created, or the error at the deadline.
  absl::Status Start(Deadline deadline);

 private:
  void Run();
  // One stream on endpoint `index`, until it breaks (false) or the watch ended (true).
  bool RunStream(size_t index);
  // Waits up to `pause` unless stopping; returns false when stopping.
  bool Pause(milliseconds pause);

  RemoteBackend* const backend_;
  const pb::WatchCreateRequest request_;
  const internal::WatchSink sink_;
  // Owned by the watch thread.
  int64_t next_revision_ = 0;  // 0 until created: the first revision not yet delivered
  bool created_once_ = false;

  std::mutex mu_;
  std::condition_variable changed_;
  bool stopping_ = false;
  bool created_ = false;
  bool ended_ = false;
  absl::Status last_error_ = absl::UnavailableError("no member reachable");
  std::shared_ptr<grpc::ClientContext> context_;  // of the open stream, for cancellation
  std::thread thread_;
};

class RemoteBackend final : public internal::Backend {
 public:
  explicit RemoteBackend(const ClientOptions& options)
      : dial_timeout_(options.dial_timeout), executor_(options.async_threads) {
    grpc::ChannelArguments args;
    // Find a restarted member quickly (gRPC's defaults back off up to two minutes).
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    // Notice a silent member (a partition, not a crash) on open streams.
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    args.SetMaxReceiveMessageSize(-1);
    // Each endpoint its own connection (gRPC would otherwise share subchannels).
    for (size_t i = 0; i < options.endpoints.size(); ++i) {
      grpc::ChannelArguments endpoint_args = args;
      endpoint_args.SetInt("raftkv.endpoint_index", static_cast<int>(i));
      auto e = std::make_unique<Endpoint>();
      e->address = options.endpoints[i];
      e->channel =
          grpc::CreateCustomChannel(e->address, grpc::InsecureChannelCredentials(), endpoint_args);
      e->kv = pb::KV::NewStub(e->channel);
      e->lease = pb::Lease::NewStub(e->channel);
      e->watch = pb::Watch::NewStub(e->channel);
      endpoints_.push_back(std::move(e));
    }
  }

  size_t endpoint_count() const { return endpoints_.size(); }
  Endpoint& endpoint(size_t i) { return *endpoints_[i % endpoints_.size()]; }
  size_t preferred() const { return preferred_.load(); }
  void Prefer(size_t i) { preferred_.store(i % endpoints_.size()); }
  milliseconds dial_timeout() const { return dial_timeout_; }

  // Blocking calls, on the caller's thread.
  absl::StatusOr<pb::RangeResponse> RangeNow(const pb::RangeRequest& request,
                                             Deadline deadline) override {
    return Invoke<pb::RangeResponse>(
        [&](Endpoint& e, grpc::ClientContext* c, pb::RangeResponse* r) {
          return e.kv->Range(c, request, r);
        },
        deadline, Retry::kAnyUnavailable);
  }
  absl::StatusOr<pb::PutResponse> PutNow(const pb::PutRequest& request,
                                         Deadline deadline) override {
    return Invoke<pb::PutResponse>([&](Endpoint& e, grpc::ClientContext* c,
                                       pb::PutResponse* r) { return e.kv->Put(c, request, r); },
                                   deadline, Retry::kOnlyIfNotReceived);
  }
  absl::StatusOr<pb::DeleteRangeResponse> DeleteRangeNow(const pb::DeleteRangeRequest& request,
                                                         Deadline deadline) override {
    return Invoke<pb::DeleteRangeResponse>(
        [&](Endpoint& e, grpc::ClientContext* c, pb::DeleteRangeResponse* r) {
          return e.kv->DeleteRange(c, request, r);
        },
        deadline, Retry::kOnlyIfNotReceived);
  }
  absl::StatusOr<pb::TxnResponse> TxnNow(const pb::TxnRequest& request,
                                         Deadline deadline) override {
    return Invoke<pb::TxnResponse>(
        [&](Endpoint& e, grpc::ClientContext* c, pb::TxnResponse* r) {
          return e.kv->Txn(c, request, r);
        },
        deadline, IsReadOnly(request) ? Retry::kAnyUnavailable : Retry::kOnlyIfNotReceived);
  }
  absl::StatusOr<pb::CompactionResponse> CompactNow(const pb::CompactionRequest& request,
                                                    Deadline deadline) override {
    return Invoke<pb::CompactionResponse>(
        [&](Endpoint& e, grpc::ClientContext* c, pb::CompactionResponse* r) {
          return e.kv->Compact(c, request, r);
        },
        deadline, Retry::kOnlyIfNotReceived);
  }
  absl::StatusOr<pb::LeaseGrantResponse> LeaseGrantNow(const pb::LeaseGrantRequest& request,
                                                       Deadline deadline) override {
    return Invoke<pb::LeaseGrantResponse>(
        [&](Endpoint& e, grpc::ClientContext* c, pb::LeaseGrantResponse* r) {
          return e.lease->LeaseGrant(c, request, r);
        },
        deadline, Retry::kOnlyIfNotReceived);
  }
  absl::StatusOr<pb::LeaseRevokeResponse> LeaseRevokeNow(const pb::LeaseRevokeRequest& request,
                                                         Deadline deadline) override {
    return Invoke<pb::LeaseRevokeResponse>(
        [&](Endpoint& e, grpc::ClientContext* c, pb::LeaseRevokeResponse* r) {
          return e.lease->LeaseRevoke(c, request, r);
        },
        deadline, Retry::kOnlyIfNotReceived);
  }
  absl::StatusOr<pb::LeaseTimeToLiveResponse> LeaseTimeToLiveNow(
      const pb::LeaseTimeToLiveRequest& request, Deadline deadline) override {
    return Invoke<pb::LeaseTimeToLiveResponse>(
        [&](Endpoint& e, grpc::ClientContext* c, pb::LeaseTimeToLiveResponse* r) {
          return e.lease->LeaseTimeToLive(c, request, r);
        },
        deadline, Retry::kAnyUnavailable);
  }
  absl::StatusOr<pb::LeaseKeepAliveResponse> LeaseKeepAliveNow(
      const pb::LeaseKeepAliveRequest& request, Deadline deadline) override {
    return Invoke<pb::LeaseKeepAliveResponse>(
        [&](Endpoint& e, grpc::ClientContext* c, pb::LeaseKeepAliveResponse* r) {
          return KeepAliveRound(e, c, request, r);
        },
        deadline, Retry::kAnyUnavailable);
  }

  // Callback forms: the blocking ones on the executor's threads.
  void Range(const pb::RangeRequest& request, Deadline deadline,
             internal::Done<pb::RangeResponse> done) override {
    executor_.Submit([=, this] { done(RangeNow(request, deadline)); });
  }
  void Put(const pb::PutRequest& request, Deadline deadline,
           internal::Done<pb::PutResponse> done) override {
    executor_.Submit([=, this] { done(PutNow(request, deadline)); });
  }
  void DeleteRange(const pb::DeleteRangeRequest& request, Deadline deadline,
                   internal::Done<pb::DeleteRangeResponse> done) override {
    executor_.Submit([=, this] { done(DeleteRangeNow(request, deadline)); });
  }
  void Txn(const pb::TxnRequest& request, Deadline deadline,
           internal::Done<pb::TxnResponse> done) override {
    executor_.Submit([=, this] { done(TxnNow(request, deadline)); });
  }
  void Compact(const pb::CompactionRequest& request, Deadline deadline,
               internal::Done<pb::CompactionResponse> done) override {
    executor_.Submit([=, this] { done(CompactNow(request, deadline)); });
  }
  void LeaseGrant(const pb::LeaseGrantRequest& request, Deadline deadline,
                  internal::Done<pb::LeaseGrantResponse> done) override {
    executor_.Submit([=, this] { done(LeaseGrantNow(request, deadline)); });
  }
  void LeaseRevoke(const pb::LeaseRevokeRequest& request, Deadline deadline,
                   internal::Done<pb::LeaseRevokeResponse> done) override {
    executor_.Submit([=, this] { done(LeaseRevokeNow(request, deadline)); });
  }
  void LeaseTimeToLive(const pb::LeaseTimeToLiveRequest& request, Deadline deadline,
                       internal::Done<pb::LeaseTimeToLiveResponse> done) override {
    executor_.Submit([=, this] { done(LeaseTimeToLiveNow(request, deadline)); });
  }
  void LeaseKeepAlive(const pb::LeaseKeepAliveRequest& request, Deadline deadline,
                      internal::Done<pb::LeaseKeepAliveResponse> done) override {
    executor_.Submit([=, this] { done(LeaseKeepAliveNow(request, deadline)); });
  }

  absl::StatusOr<std::unique_ptr<internal::WatchStreamHandle>> Watch(
      const pb::WatchCreateRequest& request, Deadline deadline, internal::WatchSink sink) override {
    auto watch = std::make_unique<RemoteWatch>(this, request, std::move(sink));
    if (absl::Status s = watch->Start(deadline); !s.ok()) return s;
    return watch;
  }

  // Waits until endpoint `e` is connected, at most dial_timeout and not past `deadline`.
  bool Connect(Endpoint& e, Deadline deadline) {
    return e.channel->WaitForConnected(ToSystem(std::min(deadline, Clock::now() + dial_timeout_)));
  }

 private:
  static bool IsReadOnly(const pb::TxnRequest& request) {
    auto reads_only = [](const auto& ops) {
      return std::all_of(ops.begin(), ops.end(),
                         [](const pb::RequestOp& op) { return op.has_request_range(); });
    };
    return reads_only(request.success()) && reads_only(request.failure());
  }

  // etcd's LeaseKeepAlive is a stream; one request and its answer make one renewal.
  static grpc::Status KeepAliveRound(Endpoint& e, grpc::ClientContext* context,
                                     const pb::LeaseKeepAliveRequest& request,
                                     pb::LeaseKeepAliveResponse* response) {
    auto stream = e.lease->LeaseKeepAlive(context);
    bool answered = stream->Write(request) && stream->Read(response);
    stream->WritesDone();
    if (!answered) {
      grpc::Status status = stream->Finish();
      return status.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "keep-alive stream closed")
                         : status;
    }
    context->TryCancel();
    stream->Finish();
    if (response->ttl() <= 0) {
      return {grpc::StatusCode::NOT_FOUND,
              std::string(kLeaseNotFoundMessage.data(), kLeaseNotFoundMessage.size())};
    }
    return grpc::Status::OK;
  }

  // Sends a call to the preferred member, moving on to the others as `retry` allows, until
  // it succeeds or the deadline passes.
  template <typename Response, typename Call>
  absl::StatusOr<Response> Invoke(const Call& call, Deadline deadline, Retry retry) {
    absl::Status last = absl::DeadlineExceededError("context deadline exceeded");
    const size_t first = preferred();
    for (size_t attempt = 0; Clock::now() < deadline; ++attempt) {
      const size_t index = (first + attempt) % endpoints_.size();
      if (attempt > 0 && index == first) {
        // Every member failed once: give the cluster a moment (an election, a restart).
        const auto pause = std::min<Clock::duration>(
            milliseconds(100 * std::min<size_t>(attempt / endpoints_.size(), 10)),
            deadline - Clock::now());
        std::this_thread::sleep_for(pause);
      }
      Endpoint& e = endpoint(index);
      if (!Connect(e, deadline)) {
        last = absl::UnavailableError(absl::StrCat("cannot connect to ", e.address));
        continue;
      }
      grpc::ClientContext context;
      context.set_deadline(ToSystem(deadline));
      Response response;
      const absl::Status status = FromGrpc(call(e, &context, &response));
      if (status.ok()) {
        Prefer(index);
        return response;
      }
      if (!Retryable(status, retry)) return status;
      spdlog::debug("raftkv client: {} failed: {}; trying another member", e.address,
                    status.ToString());
      last = status;
    }
    return last;
  }

  const milliseconds dial_timeout_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::atomic<size_t> preferred_{0};
  internal::Executor executor_;  // last: its tasks use everything above
};

RemoteWatch::~RemoteWatch() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (context_) context_->TryCancel();
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

absl::Status RemoteWatch::Start(Deadline deadline) {
  thread_ = std::thread([this] { Run(); });
  std::unique_lock lock(mu_);
  changed_.wait_until(lock, deadline, [&] { return created_ || ended_; });
  if (created_ || ended_) return absl::OkStatus();
  return absl::IsUnavailable(last_error_)
             ? absl::DeadlineExceededError(
                   absl::StrCat("watch not created before the deadline: ", last_error_.message()))
             : last_error_;
}

bool RemoteWatch::Pause(milliseconds pause) {
  std::unique_lock lock(mu_);
  return !changed_.wait_for(lock, pause, [&] { return stopping_; });
}

void RemoteWatch::Run() {
  size_t index = backend_->preferred();
  int failures = 0;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    Endpoint& e = backend_->endpoint(index);
    if (backend_->Connect(e, Clock::now() + milliseconds(200))) {
      if (RunStream(index)) return;
      ++failures;
    }
    ++index;
    // One pass over the members without waiting, then up to a second between attempts.
    const auto pause = milliseconds(
        index % backend_->endpoint_count() == 0 ? std::min(100 * (failures + 1), 1000) : 0);
    if (!Pause(pause)) return;
  }
}

bool RemoteWatch::RunStream(size_t index) {
  Endpoint& e = backend_->endpoint(index);
  auto context = std::make_shared<grpc::ClientContext>();
  // etcd cancels such a watch when its member loses the leader, so a partitioned member
  // cannot keep the watch silently behind: the watch then resumes on another member.
  context->AddMetadata("hasleader", "true");
  {
    std::lock_guard lock(mu_);
    if (stopping_) return true;
    context_ = context;
  }
  auto stream = e.watch->Watch(context.get());
  pb::WatchRequest create;
  *create.mutable_create_request() = request_;
  if (created_once_) create.mutable_create_request()->set_start_revision(next_revision_);

  bool ended = false;
  pb::WatchResponse response;
  if (stream->Write(create)) {
    while (stream->Read(&response)) {
      if (response.created() && !response.canceled()) {
        if (!created_once_) {
          created_once_ = true;
          if (next_revision_ == 0) {
            next_revision_ = request_.start_revision() != 0 ? request_.start_revision()
                                                            : response.header().revision() + 1;
          }
          sink_(response);
          std::lock_guard lock(mu_);
          created_ = true;
          changed_.notify_all();
        }
        continue;
      }
      if (response.canceled() && response.compact_revision() == 0 &&
          response.cancel_reason() == kNoLeaderMessage) {
        break;  // this member lost its leader: resume elsewhere
      }
      if (response.events_size() > 0) {
        next_revision_ = response.events(response.events_size() - 1).kv().mod_revision() + 1;
      } else if (!response.canceled()) {
        next_revision_ = std::max(next_revision_, response.header().revision() + 1);
      }
      sink_(response);
      if (response.canceled() || response.compact_revision() != 0) {
        ended = true;
        break;
      }
    }
  }
  context->TryCancel();
  const absl::Status status = FromGrpc(stream->Finish());
  std::lock_guard lock(mu_);
  context_.reset();
  if (ended) {
    ended_ = true;
    changed_.notify_all();
    return true;
  }
  if (stopping_) return true;
  last_error_ = status.ok() ? absl::UnavailableError("watch stream ended") : status;
  spdlog::info("raftkv client: watch stream on {} broke ({}); resuming from revision {}", e.address,
               last_error_.ToString(), next_revision_);
  return false;
}

std::string StripScheme(std::string endpoint) {
  for (const char* scheme : {"http://", "raftkv://"}) {
    if (absl::StartsWith(endpoint, scheme)) return endpoint.substr(std::string(scheme).size());
  }
  return endpoint;
}

}  // namespace

absl::StatusOr<std::unique_ptr<KV>> Connect(const ClientOptions& options) {
  if (options.endpoints.empty()) return absl::InvalidArgumentError("no endpoints given");
  ClientOptions normalized = options;
  for (std::string& endpoint : normalized.endpoints) {
    if (absl::StartsWith(endpoint, "https://")) {
      return absl::InvalidArgumentError(absl::StrCat("TLS is not supported: ", endpoint));
    }
    endpoint = StripScheme(endpoint);
    if (endpoint.empty()) return absl::InvalidArgumentError("empty endpoint");
  }
  if (options.request_timeout <= milliseconds(0) || options.dial_timeout <= milliseconds(0)) {
    return absl::InvalidArgumentError("timeouts must be positive");
  }
  return std::make_unique<KV>(std::make_unique<RemoteBackend>(normalized), options.request_timeout);
}

}  // namespace raftkv
