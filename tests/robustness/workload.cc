#include "workload.h"

#include <condition_variable>
#include <map>
#include <random>
#include <utility>

#include "etcdserverpb/rpc.grpc.pb.h"

namespace raftkv::robustness {
namespace {

using Kind = RequestOp::Kind;

etcdserverpb::RequestOp ToProto(const RequestOp& op) {
  etcdserverpb::RequestOp out;
  switch (op.kind) {
    case Kind::kRange: {
      auto* r = out.mutable_request_range();
      r->set_key(op.key);
      r->set_range_end(op.range_end);
      break;
    }
    case Kind::kPut: {
      auto* r = out.mutable_request_put();
      r->set_key(op.key);
      r->set_value(op.value);
      break;
    }
    case Kind::kDelete: {
      auto* r = out.mutable_request_delete_range();
      r->set_key(op.key);
      r->set_range_end(op.range_end);
      break;
    }
  }
  return out;
}

etcdserverpb::Compare ToProto(const Compare& c) {
  etcdserverpb::Compare out;
  out.set_key(c.key);
  out.set_result(static_cast<etcdserverpb::Compare::CompareResult>(c.result));
  switch (c.target) {
    case Compare::Target::kValue:
      out.set_target(etcdserverpb::Compare::VALUE);
      out.set_value(c.value);
      break;
    case Compare::Target::kVersion:
      out.set_target(etcdserverpb::Compare::VERSION);
      out.set_version(c.number);
      break;
    case Compare::Target::kCreateRevision:
      out.set_target(etcdserverpb::Compare::CREATE);
      out.set_create_revision(c.number);
      break;
    case Compare::Target::kModRevision:
      out.set_target(etcdserverpb::Compare::MOD);
      out.set_mod_revision(c.number);
      break;
  }
  return out;
}

ResponseOp FromRange(const etcdserverpb::RangeResponse& r) {
  ResponseOp out;
  for (const auto& kv : r.kvs())
    out.kvs.push_back(
        {kv.key(), kv.value(), kv.create_revision(), kv.mod_revision(), kv.version()});
  return out;
}

ResponseOp FromProto(const etcdserverpb::ResponseOp& r) {
  if (r.has_response_range()) return FromRange(r.response_range());
  ResponseOp out;
  if (r.has_response_delete_range()) out.deleted = r.response_delete_range().deleted();
  return out;
}

grpc::Status Call(etcdserverpb::KV::Stub& stub, const Request& request, milliseconds per_call,
                  Response* response) {
  grpc::ClientContext context;
  integration::ConfigureCall(context, per_call);
  if (request.compares.empty() && request.success.size() == 1) {
    const RequestOp& op = request.success.front();
    grpc::Status status;
    if (op.kind == Kind::kPut) {
      etcdserverpb::PutResponse r;
      status = stub.Put(&context, ToProto(op).request_put(), &r);
      *response = Response{true, {ResponseOp{}}, r.header().revision()};
    } else if (op.kind == Kind::kRange) {
      etcdserverpb::RangeResponse r;
      status = stub.Range(&context, ToProto(op).request_range(), &r);
      *response = Response{true, {FromRange(r)}, r.header().revision()};
    } else {
      etcdserverpb::DeleteRangeResponse r;
      status = stub.DeleteRange(&context, ToProto(op).request_delete_range(), &r);
      *response = Response{true, {ResponseOp{{}, r.deleted()}}, r.header().revision()};
    }
    return status;
  }
  etcdserverpb::TxnRequest txn;
  for (const Compare& c : request.compares)
    *txn.add_compare() = ToProto(c);
  for (const RequestOp& op : request.success)
    *txn.add_success() = ToProto(op);
  for (const RequestOp& op : request.failure)
    *txn.add_failure() = ToProto(op);
  etcdserverpb::TxnResponse r;
  grpc::Status status = stub.Txn(&context, txn, &r);
  *response = Response{r.succeeded(), {}, r.header().revision()};
  for (const auto& op : r.responses())
    response->ops.push_back(FromProto(op));
  return status;
}

// What one client knows of the keys, to write compares that sometimes hold.
struct ClientMemory {
  std::map<std::string, KeyValue> last_seen;
  int sequence = 0;
};

class RequestMaker {
 public:
  RequestMaker(const KvWorkloadOptions& options, int client)
      : options_(options), client_(client), random_(options.seed * 1000003 + client) {}

  Request Next(const ClientMemory& memory) {
    const std::string group = options_.prefix + "g" + std::to_string(Pick(options_.groups)) + "/";
    const std::string key = Key(group);
    const std::string value = "c" + std::to_string(client_) + "-" + std::to_string(sequence_++);
    KeyValue seen;
    if (auto it = memory.last_seen.find(key); it != memory.last_seen.end()) seen = it->second;
    const RequestOp get{Kind::kRange, key, "", ""};
    const RequestOp put{Kind::kPut, key, "", value};
    const int dice = Pick(100);
    if (dice < 30) return {{}, {put}, {}};
    if (dice < 55) return {{}, {get}, {}};
    if (dice < 65) return {{}, {{Kind::kRange, group, PrefixEnd(group), ""}}, {}};
    if (dice < 70) return {{}, {{Kind::kDelete, key, "", ""}}, {}};
    if (dice < 85) {
      // Compare-and-set on the mod revision last read.
      return {
          {{key, Compare::Target::kModRevision, Compare::Result::kEqual, "", seen.mod_revision}},
          {put},
          {get}};
    }
    if (dice < 92) {
      // Two keys at once, on the value last read.
      std::string other = Key(group);
      if (other == key) return {{}, {put}, {}};
      return {{{key, Compare::Target::kValue, Compare::Result::kEqual, seen.value, 0}},
              {put, {Kind::kPut, other, "", value + "b"}},
              {{Kind::kRange, group, PrefixEnd(group), ""}}};
    }
    if (dice < 96) {
      // Create if absent.
      return {
          {{key, Compare::Target::kCreateRevision, Compare::Result::kEqual, "", 0}}, {put}, {get}};
    }
    // Delete if not written since last read.
    return {{{key, Compare::Target::kVersion, Compare::Result::kLess, "", seen.version + 1}},
            {{Kind::kDelete, key, "", ""}},
            {get}};
  }

 private:
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }
  std::string Key(const std::string& group) {
    return group + std::to_string(Pick(options_.keys_per_group));
  }

  const KvWorkloadOptions& options_;
  const int client_;
  std::mt19937_64 random_;
  int sequence_ = 0;
};

void Remember(const Operation& op, ClientMemory& memory) {
  if (!op.response) return;
  const auto& branch = op.response->succeeded ? op.request.success : op.request.failure;
  for (size_t i = 0; i < branch.size(); ++i) {
    if (branch[i].kind != Kind::kRange) continue;
    for (const KeyValue& kv : op.response->ops[i].kvs)
      memory.last_seen[kv.key] = kv;
    if (branch[i].range_end.empty() && op.response->ops[i].kvs.empty()) {
      memory.last_seen.erase(branch[i].key);
    }
  }
}

}  // namespace

HistoryRecorder::HistoryRecorder() : origin_(std::chrono::steady_clock::now()) {}

int64_t HistoryRecorder::NowNs() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                              origin_)
      .count();
}

void HistoryRecorder::Add(Operation op) {
  std::lock_guard lock(mu_);
  history_.push_back(std::move(op));
}

History HistoryRecorder::Take() {
  std::lock_guard lock(mu_);
  return std::exchange(history_, {});
}

std::string PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  end.back() = static_cast<char>(end.back() + 1);
  return end;
}

Operation Execute(const std::shared_ptr<grpc::Channel>& channel, const Request& request, int client,
                  milliseconds per_call, const HistoryRecorder& clock) {
  auto stub = etcdserverpb::KV::NewStub(channel);
  Operation op;
  op.client = client;
  op.request = request;
  op.call_ns = clock.NowNs();
  Response response;
  grpc::Status status = Call(*stub, request, per_call, &response);
  op.return_ns = clock.NowNs();
  // Any error leaves the outcome unknown: even a "definite" refusal is not trusted here.
  if (status.ok()) op.response = std::move(response);
  return op;
}

KvWorkload::KvWorkload(LocalCluster& cluster, KvWorkloadOptions options, HistoryRecorder& recorder)
    : cluster_(cluster), options_(std::move(options)), recorder_(recorder) {}

KvWorkload::~KvWorkload() {
  Stop();
}

void KvWorkload::Start() {
  for (int c = 0; c < options_.clients; ++c)
    threads_.emplace_back([this, c] { RunClient(c); });
}

void KvWorkload::Stop() {
  stop_ = true;
  for (auto& t : threads_)
    t.join();
  threads_.clear();
}

void KvWorkload::RunClient(int client) {
  RequestMaker maker(options_, client);
  ClientMemory memory;
  std::mt19937_64 random(options_.seed ^ (0x9e37ULL * (client + 1)));
  while (!stop_) {
    std::vector<integration::ClientTarget> targets = cluster_.ClientTargets();
    if (targets.empty()) {
      std::this_thread::sleep_for(milliseconds(20));
      continue;
    }
    const auto& target = targets[random() % targets.size()];
    Operation op =
        Execute(target.channel, maker.Next(memory), client, options_.per_call, recorder_);
    (op.response ? acknowledged_ : unknown_)++;
    Remember(op, memory);
    recorder_.Add(std::move(op));
    std::this_thread::sleep_for(options_.think);
  }
}

// ---------------------------------------------------------------------------------------

WatchWorkload::WatchWorkload(LocalCluster& cluster, std::string prefix, int watchers,
                             int64_t start_revision, uint64_t seed)
    : cluster_(cluster), prefix_(std::move(prefix)), seed_(seed), watchers_(watchers) {
  for (int w = 0; w < watchers; ++w) {
    watchers_[w].record.watcher = w;
    watchers_[w].record.start_revision = start_revision;
    watchers_[w].next_revision = start_revision;
  }
}

WatchWorkload::~WatchWorkload() {
  Stop();
}

void WatchWorkload::Start() {
  for (size_t w = 0; w < watchers_.size(); ++w)
    threads_.emplace_back([this, w] { RunWatcher(w); });
}

void WatchWorkload::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  stopping_.notify_all();
  for (auto& t : threads_)
    t.join();
  threads_.clear();
}

void WatchWorkload::RunWatcher(size_t w) {
  std::mt19937_64 random(seed_ * 7919 + w);
  bool first = true;
  while (!stop_) {
    std::vector<integration::ClientTarget> targets = cluster_.ClientTargets();
    if (targets.empty()) {
      std::this_thread::sleep_for(milliseconds(20));
      continue;
    }
    if (!first) {
      std::lock_guard lock(mu_);
      ++watchers_[w].record.resumes;
    }
    first = false;
    // Switches members every few seconds even when nothing breaks: each switch is a resume.
    const milliseconds lifetime(2000 + random() % 6000);
    WatchOnce(w, targets[random() % targets.size()].channel, lifetime);
  }
}

void WatchWorkload::WatchOnce(size_t w, const std::shared_ptr<grpc::Channel>& channel,
                              milliseconds lifetime) {
  auto stub = etcdserverpb::Watch::NewStub(channel);
  grpc::ClientContext context;
  context.set_wait_for_ready(true);
  // Ends the stream at its lifetime or at Stop(), whichever comes first. Started before the
  // stream: opening it waits for a connection, forever if the member is gone for good.
  bool done = false;
  std::thread canceller([&] {
    std::unique_lock lock(mu_);
    stopping_.wait_for(lock, lifetime, [&] { return stop_.load() || done; });
    context.TryCancel();
  });
  auto stream = stub->Watch(&context);
  etcdserverpb::WatchRequest request;
  auto* create = request.mutable_create_request();
  create->set_key(prefix_);
  create->set_range_end(PrefixEnd(prefix_));
  {
    std::lock_guard lock(mu_);
    create->set_start_revision(watchers_[w].next_revision);
  }
  if (stream->Write(request)) {
    etcdserverpb::WatchResponse response;
    while (stream->Read(&response)) {
      std::lock_guard lock(mu_);
      if (response.canceled()) {
        errors_.push_back("watcher " + std::to_string(w) + ": watch cancelled (compact revision " +
                          std::to_string(response.compact_revision()) +
                          "): " + response.cancel_reason());
        break;
      }
      Watcher& watcher = watchers_[w];
      for (const auto& e : response.events()) {
        const auto& kv = e.kv();
        watcher.record.events.push_back(
            {e.type() == mvccpb::Event::DELETE,
             {kv.key(), kv.value(), kv.create_revision(), kv.mod_revision(), kv.version()}});
        watcher.next_revision = kv.mod_revision() + 1;
      }
    }
  }
  {
    std::lock_guard lock(mu_);
    done = true;
  }
  stopping_.notify_all();
  canceller.join();
  context.TryCancel();
  stream->Finish().IgnoreError();
}

::testing::AssertionResult WatchWorkload::WaitUntilSeen(int64_t revision,
                                                        integration::Deadline deadline) {
  for (;;) {
    size_t behind = 0;
    {
      std::lock_guard lock(mu_);
      for (const Watcher& w : watchers_)
        behind += w.next_revision <= revision;
    }
    if (behind == 0) return ::testing::AssertionSuccess();
    if (integration::Clock::now() >= deadline) {
      return ::testing::AssertionFailure()
             << behind << " watchers never reached revision " << revision;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
}

std::vector<WatchRecord> WatchWorkload::Records() const {
  std::lock_guard lock(mu_);
  std::vector<WatchRecord> out;
  for (const Watcher& w : watchers_)
    out.push_back(w.record);
  return out;
}

std::vector<std::string> WatchWorkload::Errors() const {
  std::lock_guard lock(mu_);
  return errors_;
}

}  // namespace raftkv::robustness
