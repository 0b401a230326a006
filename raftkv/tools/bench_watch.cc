#include "bench_watch.h"

#include <algorithm>
#include <atomic>
#include <latch>
#include <memory>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "bench_completion.h"
#include "bench_workload.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace raftkv::bench {
namespace {

constexpr auto kEventDrainTimeout = std::chrono::seconds(10);

// A received event: the revision of its put and when it arrived.
struct ReceivedEvent {
  int64_t mod_revision = 0;
  Clock::time_point received;
};

// One watch stream with one watcher on it. Its completion-queue thread owns everything but
// `last_revision_`, which the main thread polls to learn when the writer's events arrived.
class Watcher final : public CompletionHandler {
 public:
  Watcher(const std::shared_ptr<grpc::Channel>& channel, grpc::CompletionQueue* queue,
          etcdserverpb::WatchRequest create, std::latch& created, std::latch& finished)
      : stub_(etcdserverpb::Watch::NewStub(channel)),
        queue_(queue),
        create_(std::move(create)),
        created_(created),
        finished_(finished) {}

  void Start() {
    stream_ = stub_->PrepareAsyncWatch(&context_, queue_);
    state_ = State::kStarting;
    stream_->StartCall(this);
  }

  // Ends the stream; `finished` counts down once the server has let go of it.
  void Cancel() { context_.TryCancel(); }

  int64_t LastRevision() const { return last_revision_.load(std::memory_order_acquire); }

  // Safe to read once `finished` reached zero.
  const std::vector<ReceivedEvent>& events() const { return events_; }
  const std::map<std::string, int64_t>& errors() const { return errors_; }

  void OnComplete(bool ok) override {
    if (!ok && state_ != State::kFinishing) {
      state_ = State::kFinishing;
      stream_->Finish(&status_, this);
      return;
    }
    switch (state_) {
      case State::kStarting:
        state_ = State::kWriting;
        stream_->Write(create_, this);
        return;
      case State::kWriting:
        state_ = State::kReading;
        stream_->Read(&response_, this);
        return;
      case State::kReading:
        Record(response_);
        stream_->Read(&response_, this);
        return;
      case State::kFinishing:
        if (!status_.ok() && status_.error_code() != grpc::StatusCode::CANCELLED) {
          ++errors_[status_.error_message()];
        }
        SignalCreated();
        finished_.count_down();
        return;
    }
  }

 private:
  enum class State { kStarting, kWriting, kReading, kFinishing };

  void Record(const etcdserverpb::WatchResponse& response) {
    const Clock::time_point now = Clock::now();
    if (response.created()) SignalCreated();
    if (response.canceled()) ++errors_["watch canceled: " + response.cancel_reason()];
    int64_t last = 0;
    for (const mvccpb::Event& event : response.events()) {
      events_.push_back({event.kv().mod_revision(), now});
      last = std::max(last, event.kv().mod_revision());
    }
    if (last > 0) last_revision_.store(last, std::memory_order_release);
  }

  void SignalCreated() {
    if (created_signalled_) return;
    created_signalled_ = true;
    created_.count_down();
  }

  std::unique_ptr<etcdserverpb::Watch::Stub> stub_;
  grpc::CompletionQueue* const queue_;
  const etcdserverpb::WatchRequest create_;
  std::latch& created_;
  std::latch& finished_;

  grpc::ClientContext context_;
  std::unique_ptr<
      grpc::ClientAsyncReaderWriter<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>>
      stream_;
  etcdserverpb::WatchResponse response_;
  grpc::Status status_;
  State state_ = State::kStarting;
  bool created_signalled_ = false;
  std::vector<ReceivedEvent> events_;
  std::map<std::string, int64_t> errors_;
  std::atomic<int64_t> last_revision_{0};
};

etcdserverpb::WatchRequest CreateRequest(const BenchOptions& options) {
  etcdserverpb::WatchRequest request;
  etcdserverpb::WatchCreateRequest* create = request.mutable_create_request();
  if (options.watch_prefix) {
    create->set_key(std::string(1, '\0'));  // key "\0" with range_end "\0": every key
    create->set_range_end(std::string(1, '\0'));
  } else {
    create->set_key(Workload::FixedWidthKey(0, options.key_size));
  }
  return request;
}

// A sent put: when it left, and the revision the server gave it.
struct SentPut {
  int64_t revision = 0;
  Clock::time_point sent;
};

// Puts paced at --put-rate from this thread; returns the acknowledged puts in order.
std::vector<SentPut> WritePaced(etcdserverpb::KV::Stub& stub, const BenchOptions& options,
                                RequestBudget& budget, std::map<std::string, int64_t>& errors) {
  Workload workload(options, std::random_device{}());
  std::vector<SentPut> sent;
  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(1.0 / std::max(options.put_rate, 0.001)));
  Clock::time_point next = Clock::now();
  while (const std::optional<int64_t> number = budget.Next()) {
    std::this_thread::sleep_until(next);
    next += interval;
    etcdserverpb::PutRequest request;
    request.set_key(options.watch_prefix ? workload.KeyFor(*number)
                                         : Workload::FixedWidthKey(0, options.key_size));
    request.set_value(workload.Value());
    etcdserverpb::PutResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    const Clock::time_point start = Clock::now();
    const grpc::Status status = stub.Put(&context, request, &response);
    if (status.ok()) {
      sent.push_back({response.header().revision(), start});
    } else {
      ++errors[status.error_message()];
    }
  }
  return sent;
}

// Waits until every watcher has seen `revision`, or the drain timeout passes.
void AwaitRevision(const std::vector<std::unique_ptr<Watcher>>& watchers, int64_t revision) {
  const Clock::time_point give_up = Clock::now() + kEventDrainTimeout;
  while (Clock::now() < give_up) {
    const bool all_seen = std::all_of(watchers.begin(), watchers.end(), [&](const auto& watcher) {
      return watcher->LastRevision() >= revision;
    });
    if (all_seen) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// Matches each received event to its put: one latency per (watcher, put), missing ones as errors.
BenchReport Measure(const std::vector<std::unique_ptr<Watcher>>& watchers,
                    const std::vector<SentPut>& sent, std::map<std::string, int64_t> put_errors,
                    double cpu_seconds) {
  std::vector<WorkerResult> results(watchers.size() + 1);
  results.back().errors_by_message = std::move(put_errors);
  Clock::time_point last_received = sent.empty() ? Clock::now() : sent.front().sent;
  for (size_t i = 0; i < watchers.size(); ++i) {
    WorkerResult& result = results[i];
    result.errors_by_message = watchers[i]->errors();
    int64_t matched = 0;
    for (const ReceivedEvent& event : watchers[i]->events()) {
      const auto put = std::lower_bound(
          sent.begin(), sent.end(), event.mod_revision,
          [](const SentPut& candidate, int64_t revision) { return candidate.revision < revision; });
      if (put == sent.end() || put->revision != event.mod_revision) continue;
      result.latencies_ns.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(event.received - put->sent).count());
      last_received = std::max(last_received, event.received);
      ++matched;
    }
    const auto missing = static_cast<int64_t>(sent.size()) - matched;
    if (missing > 0) result.errors_by_message["event not received"] += missing;
  }
  const double elapsed =
      sent.empty() ? 0 : std::chrono::duration<double>(last_received - sent.front().sent).count();
  BenchReport report = MergeResults("watch", std::move(results), elapsed, cpu_seconds);
  report.unit = "events";
  report.details = {{"watchers", static_cast<double>(watchers.size())},
                    {"puts", static_cast<double>(sent.size())}};
  return report;
}

}  // namespace

BenchReport RunWatchBenchmark(const BenchOptions& options) {
  const auto channels = OpenChannels(options);
  const std::vector<std::string> endpoints =
      absl::StrSplit(options.endpoints, ',', absl::SkipWhitespace());
  grpc::ChannelArguments writer_arguments;
  writer_arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  const auto writer_stub = etcdserverpb::KV::NewStub(grpc::CreateCustomChannel(
      endpoints.front(), grpc::InsecureChannelCredentials(), writer_arguments));

  CompletionThreads threads(options.threads);
  const auto watcher_count = static_cast<ptrdiff_t>(std::max(options.watchers, 1));
  std::latch created(watcher_count);
  std::latch finished(watcher_count);
  std::vector<std::unique_ptr<Watcher>> watchers;
  const etcdserverpb::WatchRequest create = CreateRequest(options);
  for (ptrdiff_t i = 0; i < watcher_count; ++i) {
    const auto index = static_cast<size_t>(i);
    watchers.push_back(std::make_unique<Watcher>(
        channels[index % channels.size()], threads.QueueFor(index), create, created, finished));
    watchers.back()->Start();
  }
  created.wait();  // a stream that fails to start counts down too

  std::map<std::string, int64_t> put_errors;
  RequestBudget warmup(options.warmup, std::nullopt);
  WritePaced(*writer_stub, options, warmup, put_errors);
  put_errors.clear();

  const double cpu_before = ProcessCpuSeconds();
  RequestBudget budget(options.total, DeadlineFrom(options.duration));
  const std::vector<SentPut> sent = WritePaced(*writer_stub, options, budget, put_errors);
  if (!sent.empty()) AwaitRevision(watchers, sent.back().revision);
  const double cpu_seconds = ProcessCpuSeconds() - cpu_before;

  for (const auto& watcher : watchers)
    watcher->Cancel();
  finished.wait();
  threads.Stop();
  return Measure(watchers, sent, std::move(put_errors), cpu_seconds);
}

}  // namespace raftkv::bench
