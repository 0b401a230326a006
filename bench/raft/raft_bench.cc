// Throughput of the consensus core alone: a 3-member cluster in memory, no I/O. Each
// iteration proposes one batch on the leader and runs the cluster until every member has
// applied it. Reports committed entries per second and heap bytes allocated per entry.
#include <benchmark/benchmark.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdlib>
#include <deque>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "raftkv/raft/raw_node.h"
#include "raftkv/raft/storage.h"

namespace {

std::atomic<uint64_t> g_allocated_bytes{0};

}  // namespace

// Counting allocator for the "bytes allocated per entry" figure.
void* operator new(std::size_t n) {
  g_allocated_bytes.fetch_add(n, std::memory_order_relaxed);
  if (void* p = std::malloc(n)) return p;  // NOLINT(cppcoreguidelines-no-malloc)
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}  // NOLINT(cppcoreguidelines-no-malloc)
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);  // NOLINT(cppcoreguidelines-no-malloc)
}

namespace raftkv::raft {
namespace {

constexpr size_t kPayloadBytes = 128;
constexpr uint64_t kRetainedEntries = 4096;

class InMemoryCluster {
 public:
  explicit InMemoryCluster(int members) {
    auto logger =
        std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
    raftpb::Snapshot boot;
    boot.mutable_metadata()->set_index(1);
    boot.mutable_metadata()->set_term(1);
    for (int i = 1; i <= members; ++i)
      boot.mutable_metadata()->mutable_conf_state()->add_voters(i);
    for (int i = 1; i <= members; ++i) {
      auto& m = members_.emplace_back();
      m.storage = std::make_unique<MemoryStorage>();
      (void)m.storage->ApplySnapshot(boot);
      Config c;
      c.id = i;
      c.storage = m.storage.get();
      c.max_size_per_msg = 4 << 20;
      c.max_inflight_msgs = 1024;
      c.logger = logger;
      m.node = *RawNode::Create(c);
    }
    (void)members_[0].node->Campaign();
    Pump();
  }

  // Runs until no member has work left.
  void Pump() {
    bool busy = true;
    while (busy) {
      busy = false;
      for (size_t i = 0; i < members_.size(); ++i)
        busy |= HandleReady(i);
      while (!inbox_.empty()) {
        raftpb::Message m = std::move(inbox_.front());
        inbox_.pop_front();
        (void)members_[m.to() - 1].node->Step(std::move(m));
        busy = true;
      }
    }
  }

  RawNode& leader() { return *members_[0].node; }
  uint64_t applied(size_t i) const { return members_[i].applied; }

 private:
  struct Member {
    std::unique_ptr<MemoryStorage> storage;
    std::unique_ptr<RawNode> node;
    uint64_t applied = 0;
  };

  bool HandleReady(size_t i) {
    Member& m = members_[i];
    if (!m.node->HasReady()) return false;
    Ready rd = m.node->GetReady();
    if (rd.hard_state) m.storage->SetHardState(*rd.hard_state);
    (void)m.storage->Append(std::move(rd.entries));
    for (auto& msg : rd.messages)
      inbox_.push_back(std::move(msg));
    if (!rd.committed_entries.empty()) m.applied = rd.committed_entries.back().index();
    m.node->Advance();
    // Like a host that snapshots its state machine, keep only a window of applied log.
    if (m.applied > m.storage->FirstIndex() + 2 * kRetainedEntries) {
      (void)m.storage->Compact(m.applied - kRetainedEntries);
    }
    return true;
  }

  std::vector<Member> members_;
  std::deque<raftpb::Message> inbox_;
};

void BM_CommitThreeMembers(benchmark::State& state) {
  const auto batch = static_cast<size_t>(state.range(0));
  InMemoryCluster cluster(3);
  const std::string payload(kPayloadBytes, 'x');
  uint64_t entries = 0;
  uint64_t allocated_before = g_allocated_bytes.load();
  for (auto _ : state) {
    std::vector<std::string> proposals(batch, payload);
    (void)cluster.leader().Propose(std::move(proposals));
    cluster.Pump();
    entries += batch;
  }
  uint64_t allocated = g_allocated_bytes.load() - allocated_before;
  state.counters["entries/s"] =
      benchmark::Counter(static_cast<double>(entries), benchmark::Counter::kIsRate);
  state.counters["alloc_bytes/entry"] =
      static_cast<double>(allocated) / static_cast<double>(entries);
  if (cluster.applied(1) < entries || cluster.applied(2) < entries) {
    state.SkipWithError("followers did not apply every entry");
  }
}
BENCHMARK(BM_CommitThreeMembers)->Arg(1)->Arg(64)->Arg(1024)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace raftkv::raft

BENCHMARK_MAIN();
