#include "bench_unary.h"

#include <latch>
#include <memory>
#include <random>
#include <vector>

#include "bench_completion.h"
#include "bench_workload.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace raftkv::bench {
namespace {

constexpr auto kRequestTimeout = std::chrono::seconds(30);

template <class Response>
using ResponseReader = std::unique_ptr<grpc::ClientAsyncResponseReader<Response>>;

// How each operation builds its request and starts its call.
struct PutCall {
  using Response = etcdserverpb::PutResponse;
  ResponseReader<Response> Prepare(etcdserverpb::KV::Stub& stub, grpc::ClientContext* context,
                                   grpc::CompletionQueue* queue, const std::string& key,
                                   const std::string& value) const {
    etcdserverpb::PutRequest request;
    request.set_key(key);
    request.set_value(value);
    return stub.PrepareAsyncPut(context, request, queue);
  }
};

struct RangeCall {
  using Response = etcdserverpb::RangeResponse;
  bool serializable = false;
  ResponseReader<Response> Prepare(etcdserverpb::KV::Stub& stub, grpc::ClientContext* context,
                                   grpc::CompletionQueue* queue, const std::string& key,
                                   const std::string& /*value*/) const {
    etcdserverpb::RangeRequest request;
    request.set_key(key);
    request.set_serializable(serializable);
    return stub.PrepareAsyncRange(context, request, queue);
  }
};

struct TxnPutCall {
  using Response = etcdserverpb::TxnResponse;
  ResponseReader<Response> Prepare(etcdserverpb::KV::Stub& stub, grpc::ClientContext* context,
                                   grpc::CompletionQueue* queue, const std::string& key,
                                   const std::string& value) const {
    etcdserverpb::TxnRequest request;
    etcdserverpb::PutRequest* put = request.add_success()->mutable_request_put();
    put->set_key(key);
    put->set_value(value);
    return stub.PrepareAsyncTxn(context, request, queue);
  }
};

// One client: a request in flight at a time, driven by its completion queue's thread. Between
// phases it is idle, and the main thread hands it the next phase through Begin.
template <class Call>
class UnaryClient final : public CompletionHandler {
 public:
  UnaryClient(Call call, Workload workload, const std::shared_ptr<grpc::Channel>& channel,
              grpc::CompletionQueue* queue)
      : call_(std::move(call)),
        workload_(std::move(workload)),
        stub_(etcdserverpb::KV::NewStub(channel)),
        queue_(queue) {}

  void Begin(RequestBudget& budget, std::latch& phase_done, WorkerResult& result) {
    budget_ = &budget;
    phase_done_ = &phase_done;
    result_ = &result;
    IssueNext();
  }

  void OnComplete(bool ok) override {
    const int64_t latency_ns = NanosSince(started_);
    if (ok && status_.ok()) {
      result_->latencies_ns.push_back(latency_ns);
    } else {
      ++result_->errors_by_message[ok ? status_.error_message() : "call failed"];
    }
    IssueNext();
  }

 private:
  void IssueNext() {
    const std::optional<int64_t> number = budget_->Next();
    if (!number) {
      phase_done_->count_down();
      return;
    }
    context_ = std::make_unique<grpc::ClientContext>();
    context_->set_deadline(std::chrono::system_clock::now() + kRequestTimeout);
    const std::string key = workload_.KeyFor(*number);
    started_ = Clock::now();
    reader_ = call_.Prepare(*stub_, context_.get(), queue_, key, workload_.Value());
    reader_->StartCall();
    reader_->Finish(&response_, &status_, this);
  }

  const Call call_;
  Workload workload_;
  std::unique_ptr<etcdserverpb::KV::Stub> stub_;
  grpc::CompletionQueue* const queue_;

  RequestBudget* budget_ = nullptr;
  std::latch* phase_done_ = nullptr;
  WorkerResult* result_ = nullptr;

  std::unique_ptr<grpc::ClientContext> context_;
  ResponseReader<typename Call::Response> reader_;
  typename Call::Response response_;
  grpc::Status status_;
  Clock::time_point started_;
};

template <class Call>
BenchReport Run(const Call& call, const std::string& operation_name, const BenchOptions& options) {
  const auto channels = OpenChannels(options);
  CompletionThreads threads(options.threads);
  std::vector<std::unique_ptr<UnaryClient<Call>>> clients;
  std::random_device seed_source;
  for (int client = 0; client < options.clients; ++client) {
    const auto index = static_cast<size_t>(client);
    clients.push_back(std::make_unique<UnaryClient<Call>>(
        call, Workload(options, (static_cast<uint64_t>(seed_source()) << 32) | seed_source()),
        channels[index % channels.size()], threads.QueueFor(index)));
  }
  MeasuredRun run = RunWarmupThenMeasure(clients, options);
  threads.Stop();
  return MergeResults(operation_name, std::move(run.results), run.seconds, run.cpu_seconds);
}

}  // namespace

BenchReport RunUnaryBenchmark(UnaryOperation operation, const std::string& operation_name,
                              const BenchOptions& options) {
  switch (operation) {
    case UnaryOperation::kPut:
      return Run(PutCall{}, operation_name, options);
    case UnaryOperation::kRange:
      return Run(RangeCall{.serializable = options.consistency == "s"}, operation_name, options);
    case UnaryOperation::kTxnPut:
      return Run(TxnPutCall{}, operation_name, options);
  }
  return MergeResults(operation_name, {}, 0, 0);
}

}  // namespace raftkv::bench
