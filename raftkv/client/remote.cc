// The remote implementation of raftkv::KV: etcd's v3 gRPC API with failover between members.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/alarm.h"
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

// The steps of asynchronous calls that gRPC's callback API lacks: waiting for a channel to
// connect (NotifyOnStateChange) and pausing between rounds over the members (Alarm), both on
// one completion queue. Its thread only starts the next step of a call, never blocks in one.
class Scheduler {
 public:
  Scheduler() : thread_([this] { Run(); }) {}
  // Every step scheduled must have run (the backend waits for its calls first).
  ~Scheduler() {
    queue_.Shutdown();
    thread_.join();
  }
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Calls `then(true)` once `channel` is connected (at once, on this thread, if it is),
  // `then(false)` if it is not by `limit`.
  void WhenConnected(const std::shared_ptr<grpc::Channel>& channel, Deadline limit,
                     std::function<void(bool)> then) {
    const grpc_connectivity_state state = channel->GetState(/*try_to_connect=*/true);
    if (state == GRPC_CHANNEL_READY) return then(true);
    if (Clock::now() >= limit) return then(false);
    auto step = std::make_unique<Step>();
    step->then = [this, channel, limit, then = std::move(then)](bool changed) mutable {
      if (!changed) return then(false);  // `limit` passed first
      WhenConnected(channel, limit, std::move(then));
    };
    channel->NotifyOnStateChange(state, ToSystem(limit), &queue_, step.release());
  }

  // Calls `then` on the scheduler's thread at `when` (soon, if that has passed).
  void At(Deadline when, std::function<void()> then) {
    auto step = std::make_unique<Step>();
    step->then = [then = std::move(then)](bool) { then(); };
    Step* tag = step.get();
    step->alarm.Set(&queue_, ToSystem(when), tag);
    step.release();  // owned by the queue until Run takes it back
  }

 private:
  struct Step {
    std::function<void(bool)> then;
    grpc::Alarm alarm;
  };

  void Run() {
    void* tag = nullptr;
    bool ok = false;
    while (queue_.Next(&tag, &ok)) {
      std::unique_ptr<Step> step(static_cast<Step*>(tag));
      step->then(ok);
    }
  }

  grpc::CompletionQueue queue_;
  std::thread thread_;  // last: starts once the queue exists
};

// What every call needs from the client: the members, which one answered last, and the
// scheduler. Counts calls in flight, so that the client outlives them.
class Members {
 public:
  explicit Members(const ClientOptions& options) : dial_timeout_(options.dial_timeout) {
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

  size_t count() const { return endpoints_.size(); }
  Endpoint& endpoint(size_t i) { return *endpoints_[i % endpoints_.size()]; }
  size_t preferred() const { return preferred_.load(); }
  void Prefer(size_t i) { preferred_.store(i % endpoints_.size()); }
  milliseconds dial_timeout() const { return dial_timeout_; }
  Scheduler& scheduler() { return scheduler_; }

  void CallStarted() {
    std::lock_guard lock(mu_);
    ++calls_in_flight_;
  }
  void CallEnded() {
    std::lock_guard lock(mu_);
    if (--calls_in_flight_ == 0) idle_.notify_all();
  }
  void WaitForCalls() {
    std::unique_lock lock(mu_);
    idle_.wait(lock, [&] { return calls_in_flight_ == 0; });
  }

 private:
  const milliseconds dial_timeout_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::atomic<size_t> preferred_{0};
  std::mutex mu_;
  std::condition_variable idle_;
  int64_t calls_in_flight_ = 0;
  Scheduler scheduler_;  // after the endpoints: its pending steps use their channels
};

// gRPC's completion of one attempt.
using Reply = std::function<void(grpc::Status)>;
// Starts one attempt of a call on a member with gRPC's callback API; `reply` runs once.
template <typename Request, typename Response>
using Send = void (*)(Endpoint&, grpc::ClientContext*, const Request&, Response*, Reply reply);

// One call with failover: sends it to the member that answered last, moving on to the others
// as `retry` allows, until it succeeds or the deadline passes (the synchronous loop of old,
// as a chain of steps). Each step starts the next from its completion, so the steps of one
// call never overlap; none blocks. `done` runs exactly once, on whichever thread completed
// the last step (gRPC's, the scheduler's, or the caller's when the call ends at once).
template <typename Request, typename Response>
class FailoverCall : public std::enable_shared_from_this<FailoverCall<Request, Response>> {
 public:
  FailoverCall(Members& members, Send<Request, Response> send, const Request& request,
               Deadline deadline, Retry retry, internal::Done<Response> done)
      : members_(members),
        send_(send),
        request_(request),
        deadline_(deadline),
        retry_(retry),
        done_(std::move(done)),
        first_(members.preferred()) {}

  void Start() {
    members_.CallStarted();
    Next();
  }

 private:
  // What one attempt needs until gRPC has finished with it.
  struct Attempt {
    grpc::ClientContext context;
    Response response;
  };

  void Next() {
    if (Clock::now() >= deadline_) return Finish(last_);
    const size_t index = (first_ + attempt_) % members_.count();
    if (attempt_ > 0 && index == first_) {
      // Every member failed once: give the cluster a moment (an election, a restart).
      const auto pause = std::min<Clock::duration>(
          milliseconds(100 * std::min<size_t>(attempt_ / members_.count(), 10)),
          deadline_ - Clock::now());
      members_.scheduler().At(Clock::now() + pause,
                              [self = this->shared_from_this(), index] { self->Connect(index); });
      return;
    }
    Connect(index);
  }

  // Waits until member `index` is connected, at most dial_timeout and not past the deadline.
  void Connect(size_t index) {
    Endpoint& e = members_.endpoint(index);
    members_.scheduler().WhenConnected(
        e.channel, std::min(deadline_, Clock::now() + members_.dial_timeout()),
        [self = this->shared_from_this(), index](bool connected) {
          if (connected) return self->SendTo(index);
          self->last_ = absl::UnavailableError(
              absl::StrCat("cannot connect to ", self->members_.endpoint(index).address));
          self->Retried();
        });
  }

  void SendTo(size_t index) {
    auto attempt = std::make_shared<Attempt>();
    attempt->context.set_deadline(ToSystem(deadline_));
    send_(members_.endpoint(index), &attempt->context, request_, &attempt->response,
          [self = this->shared_from_this(), attempt, index](const grpc::Status& status) {
            self->OnReply(index, FromGrpc(status), std::move(attempt->response));
          });
  }

  void OnReply(size_t index, const absl::Status& status, Response response) {
    if (status.ok()) {
      members_.Prefer(index);
      return Finish(std::move(response));
    }
    if (!Retryable(status, retry_)) return Finish(status);
    spdlog::debug("raftkv client: {} failed: {}; trying another member",
                  members_.endpoint(index).address, status.ToString());
    last_ = status;
    Retried();
  }

  void Retried() {
    ++attempt_;
    Next();
  }

  void Finish(absl::StatusOr<Response> result) {
    internal::Done<Response> done = std::move(done_);
    done(std::move(result));
    members_.CallEnded();
  }

  Members& members_;
  const Send<Request, Response> send_;
  const Request request_;
  const Deadline deadline_;
  const Retry retry_;
  internal::Done<Response> done_;
  const size_t first_;
  size_t attempt_ = 0;
  absl::Status last_ = absl::DeadlineExceededError("context deadline exceeded");
};

// etcd's LeaseKeepAlive is a stream; one request and its answer make one renewal.
class KeepAliveRound final
    : public grpc::ClientBidiReactor<pb::LeaseKeepAliveRequest, pb::LeaseKeepAliveResponse> {
 public:
  KeepAliveRound(grpc::ClientContext* context, const pb::LeaseKeepAliveRequest& request,
                 pb::LeaseKeepAliveResponse* response, Reply reply)
      : context_(context), request_(request), response_(response), reply_(std::move(reply)) {}

  static void Start(Endpoint& e, grpc::ClientContext* context,
                    const pb::LeaseKeepAliveRequest& request, pb::LeaseKeepAliveResponse* response,
                    Reply reply) {
    auto round = std::make_shared<KeepAliveRound>(context, request, response, std::move(reply));
    round->self_ = round;  // gRPC holds the reactor by pointer until OnDone
    e.lease->async()->LeaseKeepAlive(context, round.get());
    round->StartWrite(&round->request_);
    round->StartRead(response);
    round->StartCall();
  }

  void OnReadDone(bool ok) override {
    answered_ = ok;
    if (ok) context_->TryCancel();  // the answer is all this round wants
  }

  void OnDone(const grpc::Status& status) override {
    const std::shared_ptr<KeepAliveRound> self = std::move(self_);  // freed when this returns
    if (!answered_) {
      return reply_(status.ok()
                        ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "keep-alive stream closed")
                        : status);
    }
    if (response_->ttl() <= 0) {
      return reply_({grpc::StatusCode::NOT_FOUND,
                     std::string(kLeaseNotFoundMessage.data(), kLeaseNotFoundMessage.size())});
    }
    reply_(grpc::Status::OK);
  }

 private:
  grpc::ClientContext* const context_;
  const pb::LeaseKeepAliveRequest request_;
  pb::LeaseKeepAliveResponse* const response_;
  const Reply reply_;
  bool answered_ = false;  // set in OnReadDone, read in OnDone, which gRPC runs after it
  std::shared_ptr<KeepAliveRound> self_;
};

void SendRange(Endpoint& e, grpc::ClientContext* c, const pb::RangeRequest& request,
               pb::RangeResponse* response, Reply reply) {
  e.kv->async()->Range(c, &request, response, std::move(reply));
}
void SendPut(Endpoint& e, grpc::ClientContext* c, const pb::PutRequest& request,
             pb::PutResponse* response, Reply reply) {
  e.kv->async()->Put(c, &request, response, std::move(reply));
}
void SendDeleteRange(Endpoint& e, grpc::ClientContext* c, const pb::DeleteRangeRequest& request,
                     pb::DeleteRangeResponse* response, Reply reply) {
  e.kv->async()->DeleteRange(c, &request, response, std::move(reply));
}
void SendTxn(Endpoint& e, grpc::ClientContext* c, const pb::TxnRequest& request,
             pb::TxnResponse* response, Reply reply) {
  e.kv->async()->Txn(c, &request, response, std::move(reply));
}
void SendCompact(Endpoint& e, grpc::ClientContext* c, const pb::CompactionRequest& request,
                 pb::CompactionResponse* response, Reply reply) {
  e.kv->async()->Compact(c, &request, response, std::move(reply));
}
void SendLeaseGrant(Endpoint& e, grpc::ClientContext* c, const pb::LeaseGrantRequest& request,
                    pb::LeaseGrantResponse* response, Reply reply) {
  e.lease->async()->LeaseGrant(c, &request, response, std::move(reply));
}
void SendLeaseRevoke(Endpoint& e, grpc::ClientContext* c, const pb::LeaseRevokeRequest& request,
                     pb::LeaseRevokeResponse* response, Reply reply) {
  e.lease->async()->LeaseRevoke(c, &request, response, std::move(reply));
}
void SendLeaseTimeToLive(Endpoint& e, grpc::ClientContext* c,
                         const pb::LeaseTimeToLiveRequest& request,
                         pb::LeaseTimeToLiveResponse* response, Reply reply) {
  e.lease->async()->LeaseTimeToLive(c, &request, response, std::move(reply));
}

bool IsReadOnly(const pb::TxnRequest& request) {
  auto reads_only = [](const auto& ops) {
    return std::all_of(ops.begin(), ops.end(),
                       [](const pb::RequestOp& op) { return op.has_request_range(); });
  };
  return reads_only(request.success()) && reads_only(request.failure());
}

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

// Every call is an asynchronous gRPC call (FailoverCall). The callback forms hand their
// result to the executor's threads, so a user's callback never runs on gRPC's threads (which
// must not block) nor inline on the caller's; the blocking forms wait for the result on the
// caller's thread, taking it straight from gRPC's thread, so they work inside callbacks too.
class RemoteBackend final : public internal::Backend {
 public:
  explicit RemoteBackend(const ClientOptions& options)
      : members_(options), executor_(options.async_threads) {}
  // Lets the calls in flight end (each by its deadline at the latest); the executor then
  // runs the callbacks still queued.
  ~RemoteBackend() override { members_.WaitForCalls(); }

  size_t endpoint_count() const { return members_.count(); }
  Endpoint& endpoint(size_t i) { return members_.endpoint(i); }
  size_t preferred() const { return members_.preferred(); }

  absl::StatusOr<pb::RangeResponse> RangeNow(const pb::RangeRequest& request,
                                             Deadline deadline) override {
    return Await(&SendRange, request, deadline, Retry::kAnyUnavailable);
  }
  absl::StatusOr<pb::PutResponse> PutNow(const pb::PutRequest& request,
                                         Deadline deadline) override {
    return Await(&SendPut, request, deadline, Retry::kOnlyIfNotReceived);
  }
  absl::StatusOr<pb::DeleteRangeResponse> DeleteRangeNow(const pb::DeleteRangeRequest& request,
                                                         Deadline deadline) override {
    return Await(&SendDeleteRange, request, deadline, Retry::kOnlyIfNotReceived);
  }
  absl::StatusOr<pb::TxnResponse> TxnNow(const pb::TxnRequest& request,
                                         Deadline deadline) override {
    return Await(&SendTxn, request, deadline, TxnRetry(request));
  }
  absl::StatusOr<pb::CompactionResponse> CompactNow(const pb::CompactionRequest& request,
                                                    Deadline deadline) override {
    return Await(&SendCompact, request, deadline, Retry::kOnlyIfNotReceived);
  }
  absl::StatusOr<pb::LeaseGrantResponse> LeaseGrantNow(const pb::LeaseGrantRequest& request,
                                                       Deadline deadline) override {
    return Await(&SendLeaseGrant, request, deadline, Retry::kOnlyIfNotReceived);
  }
  absl::StatusOr<pb::LeaseRevokeResponse> LeaseRevokeNow(const pb::LeaseRevokeRequest& request,
                                                         Deadline deadline) override {
    return Await(&SendLeaseRevoke, request, deadline, Retry::kOnlyIfNotReceived);
  }
  absl::StatusOr<pb::LeaseTimeToLiveResponse> LeaseTimeToLiveNow(
      const pb::LeaseTimeToLiveRequest& request, Deadline deadline) override {
    return Await(&SendLeaseTimeToLive, request, deadline, Retry::kAnyUnavailable);
  }
  absl::StatusOr<pb::LeaseKeepAliveResponse> LeaseKeepAliveNow(
      const pb::LeaseKeepAliveRequest& request, Deadline deadline) override {
    return Await(&KeepAliveRound::Start, request, deadline, Retry::kAnyUnavailable);
  }

  void Range(const pb::RangeRequest& request, Deadline deadline,
             internal::Done<pb::RangeResponse> done) override {
    StartForCallback(&SendRange, request, deadline, Retry::kAnyUnavailable, std::move(done));
  }
  void Put(const pb::PutRequest& request, Deadline deadline,
           internal::Done<pb::PutResponse> done) override {
    StartForCallback(&SendPut, request, deadline, Retry::kOnlyIfNotReceived, std::move(done));
  }
  void DeleteRange(const pb::DeleteRangeRequest& request, Deadline deadline,
                   internal::Done<pb::DeleteRangeResponse> done) override {
    StartForCallback(&SendDeleteRange, request, deadline, Retry::kOnlyIfNotReceived,
                     std::move(done));
  }
  void Txn(const pb::TxnRequest& request, Deadline deadline,
           internal::Done<pb::TxnResponse> done) override {
    StartForCallback(&SendTxn, request, deadline, TxnRetry(request), std::move(done));
  }
  void Compact(const pb::CompactionRequest& request, Deadline deadline,
               internal::Done<pb::CompactionResponse> done) override {
    StartForCallback(&SendCompact, request, deadline, Retry::kOnlyIfNotReceived, std::move(done));
  }
  void LeaseGrant(const pb::LeaseGrantRequest& request, Deadline deadline,
                  internal::Done<pb::LeaseGrantResponse> done) override {
    StartForCallback(&SendLeaseGrant, request, deadline, Retry::kOnlyIfNotReceived,
                     std::move(done));
  }
  void LeaseRevoke(const pb::LeaseRevokeRequest& request, Deadline deadline,
                   internal::Done<pb::LeaseRevokeResponse> done) override {
    StartForCallback(&SendLeaseRevoke, request, deadline, Retry::kOnlyIfNotReceived,
                     std::move(done));
  }
  void LeaseTimeToLive(const pb::LeaseTimeToLiveRequest& request, Deadline deadline,
                       internal::Done<pb::LeaseTimeToLiveResponse> done) override {
    StartForCallback(&SendLeaseTimeToLive, request, deadline, Retry::kAnyUnavailable,
                     std::move(done));
  }
  void LeaseKeepAlive(const pb::LeaseKeepAliveRequest& request, Deadline deadline,
                      internal::Done<pb::LeaseKeepAliveResponse> done) override {
    StartForCallback(&KeepAliveRound::Start, request, deadline, Retry::kAnyUnavailable,
                     std::move(done));
  }

  absl::StatusOr<std::unique_ptr<internal::WatchStreamHandle>> Watch(
      const pb::WatchCreateRequest& request, Deadline deadline, internal::WatchSink sink) override {
    auto watch = std::make_unique<RemoteWatch>(this, request, std::move(sink));
    if (absl::Status s = watch->Start(deadline); !s.ok()) return s;
    return watch;
  }

  // Waits until endpoint `e` is connected, at most dial_timeout and not past `deadline`.
  bool Connect(Endpoint& e, Deadline deadline) {
    return e.channel->WaitForConnected(
        ToSystem(std::min(deadline, Clock::now() + members_.dial_timeout())));
  }

 private:
  static Retry TxnRetry(const pb::TxnRequest& request) {
    return IsReadOnly(request) ? Retry::kAnyUnavailable : Retry::kOnlyIfNotReceived;
  }

  template <typename Request, typename Response>
  void Start(Send<Request, Response> send, const Request& request, Deadline deadline, Retry retry,
             internal::Done<Response> done) {
    std::make_shared<FailoverCall<Request, Response>>(members_, send, request, deadline, retry,
                                                      std::move(done))
        ->Start();
  }

  template <typename Request, typename Response>
  void StartForCallback(Send<Request, Response> send, const Request& request, Deadline deadline,
                        Retry retry, internal::Done<Response> done) {
    Start(send, request, deadline, retry,
          internal::Done<Response>([this, done = std::move(done)](absl::StatusOr<Response> r) {
            executor_.Submit([done, r = std::move(r)] { done(r); });
          }));
  }

  template <typename Request, typename Response>
  absl::StatusOr<Response> Await(Send<Request, Response> send, const Request& request,
                                 Deadline deadline, Retry retry) {
    // Shared: gRPC's thread may still be inside set_value when this thread has the result.
    auto promise = std::make_shared<std::promise<absl::StatusOr<Response>>>();
    std::future<absl::StatusOr<Response>> result = promise->get_future();
    Start(send, request, deadline, retry,
          internal::Done<Response>(
              [promise](absl::StatusOr<Response> r) { promise->set_value(std::move(r)); }));
    return result.get();
  }

  Members members_;
  internal::Executor executor_;  // last: destroyed first, running the callbacks still queued
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
