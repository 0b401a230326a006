#include "bench_lease.h"

#include <latch>
#include <memory>
#include <vector>

#include "bench_completion.h"
#include "bench_workload.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace raftkv::bench {
namespace {

// One keep-alive stream for one lease. Its completion-queue thread drives it during a phase;
// between phases it is idle and the main thread hands it the next phase (or its end).
class KeepAliveClient final : public CompletionHandler {
 public:
  KeepAliveClient(const std::shared_ptr<grpc::Channel>& channel, grpc::CompletionQueue* queue,
                  int64_t lease_id)
      : stub_(etcdserverpb::Lease::NewStub(channel)), queue_(queue) {
    request_.set_id(lease_id);
  }

  void Start(std::latch& started) {
    signal_ = &started;
    stream_ = stub_->PrepareAsyncLeaseKeepAlive(&context_, queue_);
    state_ = State::kStarting;
    stream_->StartCall(this);
  }

  void Begin(RequestBudget& budget, std::latch& phase_done, WorkerResult& result) {
    budget_ = &budget;
    signal_ = &phase_done;
    result_ = &result;
    if (state_ == State::kDone) {
      phase_done.count_down();
      return;
    }
    IssueNext();
  }

  // Ends an idle stream; `finished` counts down once it is closed.
  void Close(std::latch& finished) {
    signal_ = &finished;
    if (state_ == State::kDone) {
      finished.count_down();
      return;
    }
    context_.TryCancel();
    state_ = State::kClosing;
    stream_->Finish(&status_, this);
  }

  void OnComplete(bool ok) override {
    if (!ok && state_ != State::kFailing && state_ != State::kClosing) {
      state_ = State::kFailing;
      stream_->Finish(&status_, this);
      return;
    }
    switch (state_) {
      case State::kStarting:
        state_ = State::kIdle;
        signal_->count_down();
        return;
      case State::kWriting:
        state_ = State::kReading;
        stream_->Read(&response_, this);
        return;
      case State::kReading:
        if (response_.ttl() > 0) {
          result_->latencies_ns.push_back(NanosSince(sent_));
        } else {
          ++result_->errors_by_message["lease not found"];
        }
        IssueNext();
        return;
      case State::kFailing:
        if (result_ != nullptr) ++result_->errors_by_message[status_.error_message()];
        state_ = State::kDone;
        signal_->count_down();
        return;
      case State::kClosing:
        state_ = State::kDone;
        signal_->count_down();
        return;
      case State::kIdle:
      case State::kDone:
        return;
    }
  }

 private:
  enum class State { kStarting, kIdle, kWriting, kReading, kFailing, kClosing, kDone };

  void IssueNext() {
    if (!budget_->Next()) {
      state_ = State::kIdle;
      signal_->count_down();
      return;
    }
    state_ = State::kWriting;
    sent_ = Clock::now();
    stream_->Write(request_, this);
  }

  std::unique_ptr<etcdserverpb::Lease::Stub> stub_;
  grpc::CompletionQueue* const queue_;
  etcdserverpb::LeaseKeepAliveRequest request_;

  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientAsyncReaderWriter<etcdserverpb::LeaseKeepAliveRequest,
                                                etcdserverpb::LeaseKeepAliveResponse>>
      stream_;
  etcdserverpb::LeaseKeepAliveResponse response_;
  grpc::Status status_;
  State state_ = State::kIdle;
  Clock::time_point sent_;

  RequestBudget* budget_ = nullptr;
  std::latch* signal_ = nullptr;  // the latch of whatever the main thread waits for now
  WorkerResult* result_ = nullptr;
};

// Grants one lease per client, blocking; failures are recorded and skip the client.
std::vector<int64_t> GrantLeases(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                                 const BenchOptions& options,
                                 std::map<std::string, int64_t>& errors) {
  std::vector<int64_t> lease_ids;
  for (int client = 0; client < options.clients; ++client) {
    auto stub =
        etcdserverpb::Lease::NewStub(channels[static_cast<size_t>(client) % channels.size()]);
    etcdserverpb::LeaseGrantRequest request;
    request.set_ttl(options.lease_ttl_seconds);
    etcdserverpb::LeaseGrantResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    const grpc::Status status = stub->LeaseGrant(&context, request, &response);
    if (status.ok()) {
      lease_ids.push_back(response.id());
    } else {
      ++errors["lease grant: " + status.error_message()];
    }
  }
  return lease_ids;
}

}  // namespace

BenchReport RunLeaseKeepAliveBenchmark(const BenchOptions& options) {
  const auto channels = OpenChannels(options);
  std::map<std::string, int64_t> grant_errors;
  const std::vector<int64_t> lease_ids = GrantLeases(channels, options, grant_errors);

  CompletionThreads threads(options.threads);
  std::vector<std::unique_ptr<KeepAliveClient>> clients;
  std::latch started(static_cast<std::ptrdiff_t>(lease_ids.size()));
  for (size_t i = 0; i < lease_ids.size(); ++i) {
    clients.push_back(std::make_unique<KeepAliveClient>(channels[i % channels.size()],
                                                        threads.QueueFor(i), lease_ids[i]));
    clients.back()->Start(started);
  }
  started.wait();

  MeasuredRun run = RunWarmupThenMeasure(clients, options);

  std::latch finished(static_cast<std::ptrdiff_t>(clients.size()));
  for (const auto& client : clients)
    client->Close(finished);
  finished.wait();
  threads.Stop();
  run.results.push_back(
      WorkerResult{.latencies_ns = {}, .errors_by_message = std::move(grant_errors)});
  return MergeResults("lease-keepalive", std::move(run.results), run.seconds, run.cpu_seconds);
}

}  // namespace raftkv::bench
