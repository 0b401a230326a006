// MVCC store benchmarks: puts/s and point ranges/s with 1M keys of 256-byte values, and the
// memory/disk footprint of 100k keys (etcd 3.4: ~160 MiB RSS, ~36 MiB database).
//
//   mvcc_bench --benchmark_filter=Million       puts and point ranges at 1M keys
//   mvcc_bench --benchmark_filter=Footprint100k/compressible:0
//       RSS and disk for 100k keys of random values, and disk before/after compacting away
//       four older versions of each (run alone: RSS is the whole process's);
//       compressible:1 uses JSON-like values instead

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "benchmark/benchmark.h"
#include "raftkv/mvcc/store.h"

namespace raftkv::mvcc {
namespace {

constexpr int kValueBytes = 256;

std::string BenchDir(const std::string& name) {
  auto path = std::filesystem::path(RAFTKV_BENCH_TMP_DIR) / (name + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(path);
  return path.string();
}

std::string Key(uint64_t i) {
  char key[32];
  snprintf(key, sizeof key, "/registry/bench/%010llu", static_cast<unsigned long long>(i));
  return key;
}

// Random (incompressible) values, as etcd's own benchmark tool uses; or, with
// `compressible`, JSON-like text such as Kubernetes objects (a few random fields).
bool g_compressible_values = false;
std::string RandomValue(std::mt19937_64& rng) {
  std::string value(kValueBytes, '\0');
  if (!g_compressible_values) {
    for (size_t i = 0; i < value.size(); i += 8) {
      const uint64_t bits = rng();
      memcpy(value.data() + i, &bits, std::min<size_t>(8, value.size() - i));
    }
    return value;
  }
  static const std::string kTemplate =
      R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-%08x","namespace":"default",)"
      R"("uid":"%016llx","labels":{"app":"web"}},"spec":{"nodeName":"node-%04x",)"
      R"("containers":[{"name":"web","image":"nginx:1.25"}]},"status":{"phase":"Running"}})";
  snprintf(value.data(), value.size(), kTemplate.c_str(), static_cast<unsigned>(rng()),
           static_cast<unsigned long long>(rng()), static_cast<unsigned>(rng() & 0xffff));
  return value;
}

double DirMiB(const std::string& dir) {
  uint64_t bytes = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) bytes += entry.file_size();
  }
  return static_cast<double>(bytes) / (1 << 20);
}

double RssMiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024;
  }
  return 0;
}

std::unique_ptr<Store> OpenOrDie(const std::string& dir) {
  StoreOptions options;
  options.dir = dir;
  // RAFTKV_BENCH_COMPRESS=0 turns value compression off; RAFTKV_BENCH_CACHE_MIB sizes the
  // block cache.
  if (const char* compress = getenv("RAFTKV_BENCH_COMPRESS")) {
    options.compress_values = std::string(compress) != "0";
  }
  if (const char* cache = getenv("RAFTKV_BENCH_CACHE_MIB")) {
    options.block_cache_bytes = std::stoul(cache) << 20;
  }
  auto store = Store::Open(options);
  if (!store.ok()) {
    fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    abort();
  }
  return std::move(*store);
}

// Puts keys [0, count) in batches of `batch_size` requests per ApplyBatch (one raft Ready's
// worth of committed entries). Returns puts per second.
double Load(Store& store, uint64_t count, int batch_size, std::mt19937_64& rng,
            uint64_t* applied_index) {
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < count;) {
    ApplyBatch batch = store.BeginApply();
    for (int j = 0; j < batch_size && i < count; ++j, ++i) {
      etcdserverpb::PutRequest request;
      request.set_key(Key(i));
      request.set_value(RandomValue(rng));
      if (!batch.Put(request).ok()) abort();
    }
    if (!batch.Commit({++*applied_index, 1}).ok()) abort();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(count) / seconds;
}

// One store with 1M keys shared by the Million benchmarks.
struct MillionStore {
  std::string dir = BenchDir("million");
  std::unique_ptr<Store> store = OpenOrDie(dir);
  uint64_t applied = 0;
  double load_puts_per_second = 0;
  MillionStore() {
    std::mt19937_64 rng(1);
    load_puts_per_second = Load(*store, 1'000'000, 100, rng, &applied);
  }
  ~MillionStore() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

MillionStore& Million() {
  static MillionStore million;  // loaded on first use, removed at exit
  return million;
}

void BM_MillionLoad(benchmark::State& state) {
  for (auto _ : state) {
    state.counters["puts_per_s"] = Million().load_puts_per_second;
    state.counters["rss_MiB"] = RssMiB();
    state.counters["disk_MiB"] = DirMiB(Million().dir);
  }
}
BENCHMARK(BM_MillionLoad)->Iterations(1)->Unit(benchmark::kMillisecond);

// Overwrites of random existing keys, `batch` puts per ApplyBatch.
void BM_MillionPut(benchmark::State& state) {
  MillionStore& million = Million();
  std::mt19937_64 rng(2);
  const int batch_size = static_cast<int>(state.range(0));
  for (auto _ : state) {
    ApplyBatch batch = million.store->BeginApply();
    for (int j = 0; j < batch_size; ++j) {
      etcdserverpb::PutRequest request;
      request.set_key(Key(rng() % 1'000'000));
      request.set_value(RandomValue(rng));
      if (!batch.Put(request).ok()) abort();
    }
    if (!batch.Commit({++million.applied, 1}).ok()) abort();
  }
  state.SetItemsProcessed(state.iterations() * batch_size);
}
BENCHMARK(BM_MillionPut)->Arg(1)->Arg(100)->Unit(benchmark::kMicrosecond);

void BM_MillionPointRange(benchmark::State& state) {
  MillionStore& million = Million();
  std::mt19937_64 rng(3 + state.thread_index());
  for (auto _ : state) {
    etcdserverpb::RangeRequest request;
    request.set_key(Key(rng() % 1'000'000));
    auto response = million.store->Range(request);
    if (!response.ok() || response->kvs_size() != 1) abort();
    benchmark::DoNotOptimize(response);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MillionPointRange)->Threads(1)->Threads(2)->UseRealTime();

// The backend size the quota check (--quota-backend-bytes) reads before admitting a write.
void BM_MillionDiskBytes(benchmark::State& state) {
  MillionStore& million = Million();
  for (auto _ : state)
    benchmark::DoNotOptimize(million.store->ApproximateDiskBytes());
}
BENCHMARK(BM_MillionDiskBytes);

// 100 keys of a 1M-key store, as a prefix range with limit (a typical list page).
void BM_MillionRange100(benchmark::State& state) {
  MillionStore& million = Million();
  std::mt19937_64 rng(4);
  for (auto _ : state) {
    const uint64_t first = rng() % (1'000'000 - 100);
    etcdserverpb::RangeRequest request;
    request.set_key(Key(first));
    request.set_range_end(Key(first + 100));
    auto response = million.store->Range(request);
    if (!response.ok() || response->kvs_size() != 100) abort();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MillionRange100);

// RSS and disk for 100k keys, then disk before and after compacting 4 more rounds of
// overwrites away.
void BM_Footprint100k(benchmark::State& state) {
  g_compressible_values = state.range(0) == 1;
  for (auto _ : state) {
    const std::string dir = BenchDir("footprint");
    const double rss_before = RssMiB();
    {
      auto store = OpenOrDie(dir);
      std::mt19937_64 rng(5);
      uint64_t applied = 0;
      state.counters["puts_per_s"] = Load(*store, 100'000, 100, rng, &applied);
      state.counters["rss_MiB"] = RssMiB();
      if (!store->Flush().ok()) abort();
      state.counters["rss_after_flush_MiB"] = RssMiB();
      state.counters["rss_before_open_MiB"] = rss_before;
      state.counters["disk_MiB"] = DirMiB(dir);
      // Settled: everything in the bottommost level, where values are compressed.
      if (!store->CompactAllForTesting().ok()) abort();
      state.counters["disk_settled_MiB"] = DirMiB(dir);
      for (int round = 0; round < 4; ++round)
        Load(*store, 100'000, 100, rng, &applied);
      if (!store->Flush().ok() || !store->CompactAllForTesting().ok()) abort();
      state.counters["disk_5_versions_MiB"] = DirMiB(dir);
      ApplyBatch batch = store->BeginApply();
      etcdserverpb::CompactionRequest compact;
      compact.set_revision(batch.revision());
      if (!batch.Compact(compact).ok() || !batch.Commit({++applied, 1}).ok()) abort();
      store->WaitForCompaction(compact.revision());
      if (!store->CompactAllForTesting().ok()) abort();
      state.counters["disk_after_compaction_MiB"] = DirMiB(dir);
    }
    std::filesystem::remove_all(dir);
  }
}
BENCHMARK(BM_Footprint100k)
    ->ArgName("compressible")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace raftkv::mvcc

BENCHMARK_MAIN();
