// Scheduler throughput.
//   BM_ScheduleAndAssume  the algorithm and cache alone: pods placed per second over N nodes.
//   BM_EndToEnd           a backlog of pending pods in an in-process API server (one-member
//                         embedded store) with N Ready nodes; from starting the scheduler
//                         until every pod is bound (informer lists, scheduling, POST binding,
//                         Scheduled events), with 8 or 32 binder threads.
//                         pods/s = bindings accepted per second.
//
//   orch-scheduler-bench --benchmark_filter=EndToEnd
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "orchestrator/api/registry.h"
#include "orchestrator/client/client.h"
#include "orchestrator/scheduler/cache.h"
#include "orchestrator/scheduler/scheduler.h"
#include "spdlog/spdlog.h"
#include "tests/orchestrator/harness/in_process_apiserver.h"

namespace orch::scheduler {
namespace {

api::Json BenchNode(const std::string& name) {
  return {
      {"apiVersion", "v1"},
      {"kind", "Node"},
      {"metadata", {{"name", name}, {"labels", {{"kubernetes.io/hostname", name}}}}},
      {"spec", api::Json::object()},
      {"status",
       {{"capacity", {{"cpu", "8"}, {"memory", "32Gi"}, {"pods", "110"}}},
        {"allocatable", {{"cpu", "8"}, {"memory", "32Gi"}, {"pods", "110"}}},
        {"conditions", {{{"type", "Ready"}, {"status", "True"}, {"reason", "KubeletReady"}}}}}}};
}

api::Json BenchPod(const std::string& name, int owner) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata",
           {{"name", name},
            {"namespace", "default"},
            {"uid", "uid-" + name},
            {"creationTimestamp", "2024-01-01T00:00:00Z"},
            {"ownerReferences",
             {{{"apiVersion", "apps/v1"},
               {"kind", "ReplicaSet"},
               {"name", absl::StrCat("rs-", owner)},
               {"uid", absl::StrCat("rs-uid-", owner)},
               {"controller", true}}}}}},
          {"spec",
           {{"containers",
             {{{"name", "c"},
               {"image", "sh"},
               {"resources", {{"requests", {{"cpu", "10m"}, {"memory", "16Mi"}}}}}}}}}}};
}

void BM_ScheduleAndAssume(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  std::vector<PodInfo> pods;
  for (int i = 0; i < 1000; ++i)
    pods.push_back(*PodInfo::FromPod(BenchPod(absl::StrCat("p", i), i % 10)));
  auto fresh_cache = [&] {
    auto cache = std::make_unique<SchedulerCache>();
    for (int i = 0; i < nodes; ++i)
      (void)cache->AddOrUpdateNode(BenchNode(absl::StrCat("n", i)));
    return cache;
  };
  std::unique_ptr<SchedulerCache> cache = fresh_cache();
  absl::BitGen random;
  int64_t placed = 0;
  for (auto _ : state) {
    const PodInfo& pod = pods[placed % pods.size()];
    PodInfo copy = pod;
    copy.key = absl::StrCat("default/p", placed);
    benchmark::DoNotOptimize(cache->ScheduleAndAssume(copy, random));
    // Keep nodes from filling up: start over every 50 pods per node.
    if (++placed % (50 * nodes) == 0) {
      state.PauseTiming();
      cache = fresh_cache();
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ScheduleAndAssume)->Arg(100)->Arg(1000)->Arg(5000);

// Runs `count` calls of `create(i)` on `threads` threads.
void InParallel(int count, int threads, const std::function<void(int)>& create) {
  std::atomic<int> next{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = next++; i < count; i = next++)
        create(i);
    });
  }
  for (std::thread& worker : workers)
    worker.join();
}

void BM_EndToEnd(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  const int pods = static_cast<int>(state.range(1));
  SchedulerOptions options;
  options.binder_threads = static_cast<int>(state.range(2));
  spdlog::set_level(spdlog::level::warn);
  for (auto _ : state) {
    absl::StatusOr<std::unique_ptr<testing::InProcessApiServer>> server =
        testing::InProcessApiServer::Start();
    if (!server.ok()) {
      state.SkipWithError(std::string(server.status().message()).c_str());
      return;
    }
    client::Client client((*server)->client_config());
    const api::ResourceInfo& node_resource = api::ResourceFor(api::Kind::kNode);
    const api::ResourceInfo& pod_resource = api::ResourceFor(api::Kind::kPod);
    std::atomic<int> errors{0};
    InParallel(nodes, 8, [&](int i) {
      api::Json node = BenchNode(absl::StrCat("node-", i));
      if (!client.Create(node_resource, "", node).ok()) ++errors;
    });
    InParallel(pods, 8, [&](int i) {
      if (!client.Create(pod_resource, "default", BenchPod(absl::StrCat("pod-", i), i % 10)).ok()) {
        ++errors;
      }
    });
    if (errors.load() > 0) {
      state.SkipWithError("creating nodes or pods failed");
      return;
    }
    const absl::Time start = absl::Now();
    Scheduler scheduler(client, options);
    if (absl::Status status = scheduler.Start(); !status.ok()) {
      state.SkipWithError(std::string(status.message()).c_str());
      return;
    }
    while (scheduler.stats().bound + scheduler.stats().bind_failures < pods &&
           absl::Now() - start < absl::Minutes(5)) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    state.SetIterationTime(seconds);
    state.counters["pods_per_second"] = scheduler.stats().bound / seconds;
    state.counters["bind_failures"] = static_cast<double>(scheduler.stats().bind_failures);
    scheduler.Stop();
  }
}
BENCHMARK(BM_EndToEnd)
    ->ArgNames({"nodes", "pods", "binders"})
    ->Args({1000, 5000, 8})
    ->Args({1000, 5000, 32})
    ->Args({1000, 10000, 32})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace orch::scheduler

BENCHMARK_MAIN();
