// WAL throughput with fdatasync, next to the raw rate of the disk.
//
//   BM_WalSave/<batch>/<entry bytes>/<preallocation>: one Save of `batch` entries per
//     iteration (one write + one fdatasync). items/s = entries/s, bytes/s = entry payload.
//   BM_RawFdatasync/<bytes>/<preallocation>: write `bytes` + fdatasync in a loop at
//     sequential offsets of a preallocated file: the ceiling a WAL can approach.
//   BM_WalVsRawPaired/<batch>/<entry bytes>/<preallocation>: each iteration does one raw
//     4 KiB write + fdatasync and then one WAL Save, timing each, so both see the same disk
//     weather (on a shared virtual disk fdatasync latency swings by 10x within seconds).
//     Counters: raw_syncs/s, wal_saves/s, wal_entries/s, wal_MB/s (each over its own time)
//     and wal/raw, the ratio of the WAL's rate of syncs to the raw rate. raw_bytes:1 makes
//     the probe write as many bytes as the WAL write (for large batches).
//
// preallocation: 0 = posix_fallocate (unwritten extents), 1 = zero-filled.
// Files go under $WAL_BENCH_DIR, default ./wal-bench-tmp (run it from a build directory on
// the disk you care about, not from a tmpfs).
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "raftkv/wal/file_util.h"
#include "raftkv/wal/wal.h"
#include "spdlog/spdlog.h"

namespace raftkv::wal {
namespace {

constexpr uint64_t kSegmentBytes = 64ull << 20;

std::string BenchDir(const std::string& name) {
  const char* base = std::getenv("WAL_BENCH_DIR");
  std::string dir = JoinPath(base != nullptr ? base : "wal-bench-tmp", name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

Preallocation PreallocationArg(int64_t arg) {
  return arg == 0 ? Preallocation::kFallocate : Preallocation::kZeroFill;
}

void BM_WalSave(benchmark::State& state) {
  const auto batch = static_cast<size_t>(state.range(0));
  const auto entry_bytes = static_cast<size_t>(state.range(1));
  spdlog::set_level(spdlog::level::warn);
  std::string dir = BenchDir("wal");
  {
    WalOptions options;
    options.segment_bytes = kSegmentBytes;
    options.preallocation = PreallocationArg(state.range(2));
    absl::StatusOr<Wal::Opened> opened = Wal::Open(dir, options);
    if (!opened.ok()) {
      state.SkipWithError(opened.status().ToString().c_str());
      return;
    }
    Wal& wal = *opened->wal;
    std::vector<raftpb::Entry> entries(batch);
    for (raftpb::Entry& e : entries) {
      e.set_term(1);
      e.set_data(std::string(entry_bytes, 'x'));
    }
    raftpb::HardState hs;
    hs.set_term(1);
    hs.set_vote(1);
    uint64_t next_index = 1;
    for (auto _ : state) {
      for (raftpb::Entry& e : entries)
        e.set_index(next_index++);
      hs.set_commit(next_index - 1);
      if (absl::Status s = wal.Save(&hs, entries); !s.ok()) {
        state.SkipWithError(s.ToString().c_str());
        break;
      }
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch * entry_bytes));
    state.counters["saves/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["syncs/save"] = static_cast<double>(wal.stats().syncs) /
                                   static_cast<double>(std::max<int64_t>(state.iterations(), 1));
    state.counters["segments"] = static_cast<double>(wal.stats().segments_created);
  }
  std::filesystem::remove_all(dir);
}

void BM_RawFdatasync(benchmark::State& state) {
  const auto bytes = static_cast<size_t>(state.range(0));
  std::string dir = BenchDir("raw");
  std::string path = JoinPath(dir, "probe");
  {
    absl::StatusOr<UniqueFd> fd = OpenFile(path, O_RDWR | O_CREAT | O_TRUNC);
    absl::Status s = fd.status();
    if (s.ok() && state.range(1) == 0) s = Preallocate(fd->get(), kSegmentBytes, path);
    if (s.ok() && state.range(1) == 1) {
      const std::string zeros(1 << 20, '\0');
      for (uint64_t off = 0; s.ok() && off < kSegmentBytes; off += zeros.size()) {
        s = WriteAllAt(fd->get(), zeros, static_cast<off_t>(off), path);
      }
    }
    if (s.ok()) s = SyncAll(fd->get(), path);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
    const std::string block(bytes, 'x');
    uint64_t offset = 0;
    for (auto _ : state) {
      if (offset + bytes > kSegmentBytes) offset = 0;
      s = WriteAllAt(fd->get(), block, static_cast<off_t>(offset), path);
      if (s.ok()) s = SyncData(fd->get(), path);
      if (!s.ok()) {
        state.SkipWithError(s.ToString().c_str());
        break;
      }
      offset += bytes;
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
    state.counters["syncs/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  }
  std::filesystem::remove_all(dir);
}

// A preallocated file written 4 KiB at a time, wrapping around at the end.
class RawProbe {
 public:
  absl::Status Open(const std::string& path, bool zero_fill, size_t block_bytes) {
    path_ = path;
    block_ = std::string(block_bytes, 'x');
    absl::StatusOr<UniqueFd> fd = OpenFile(path, O_RDWR | O_CREAT | O_TRUNC);
    if (!fd.ok()) return fd.status();
    fd_ = std::move(*fd);
    absl::Status s;
    if (zero_fill) {
      const std::string zeros(1 << 20, '\0');
      for (uint64_t off = 0; s.ok() && off < kSegmentBytes; off += zeros.size()) {
        s = WriteAllAt(fd_.get(), zeros, static_cast<off_t>(off), path);
      }
    } else {
      s = Preallocate(fd_.get(), kSegmentBytes, path);
    }
    if (s.ok()) s = SyncAll(fd_.get(), path);
    return s;
  }

  absl::Status WriteAndSync() {
    if (offset_ + block_.size() > kSegmentBytes) offset_ = 0;
    absl::Status s = WriteAllAt(fd_.get(), block_, static_cast<off_t>(offset_), path_);
    if (s.ok()) s = SyncData(fd_.get(), path_);
    offset_ += block_.size();
    return s;
  }

 private:
  std::string path_;
  UniqueFd fd_;
  std::string block_;
  uint64_t offset_ = 0;
};

void BM_WalVsRawPaired(benchmark::State& state) {
  using Clock = std::chrono::steady_clock;
  const auto batch = static_cast<size_t>(state.range(0));
  const auto entry_bytes = static_cast<size_t>(state.range(1));
  const bool zero_fill = state.range(2) == 1;
  spdlog::set_level(spdlog::level::warn);
  std::string dir = BenchDir("paired");
  {
    RawProbe probe;
    WalOptions options;
    options.segment_bytes = kSegmentBytes;
    options.preallocation = PreallocationArg(state.range(2));
    absl::StatusOr<Wal::Opened> opened = Wal::Open(JoinPath(dir, "wal"), options);
    absl::Status s = opened.status();
    // The raw probe writes 4 KiB, or (raw_bytes:1) as many bytes as one WAL write carries.
    size_t raw_bytes = state.range(3) == 1 ? batch * (entry_bytes + 16) : 4096;
    if (s.ok()) s = probe.Open(JoinPath(dir, "probe"), zero_fill, raw_bytes);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
    std::vector<raftpb::Entry> entries(batch);
    for (raftpb::Entry& e : entries) {
      e.set_term(1);
      e.set_data(std::string(entry_bytes, 'x'));
    }
    uint64_t next_index = 1;
    Clock::duration raw_time{};
    Clock::duration wal_time{};
    for (auto _ : state) {
      Clock::time_point start = Clock::now();
      s = probe.WriteAndSync();
      Clock::time_point middle = Clock::now();
      for (raftpb::Entry& e : entries)
        e.set_index(next_index++);
      if (s.ok()) s = opened->wal->Save(nullptr, entries);
      Clock::time_point end = Clock::now();
      if (!s.ok()) {
        state.SkipWithError(s.ToString().c_str());
        break;
      }
      raw_time += middle - start;
      wal_time += end - middle;
    }
    const double n = static_cast<double>(state.iterations());
    const double raw_seconds = std::chrono::duration<double>(raw_time).count();
    const double wal_seconds = std::chrono::duration<double>(wal_time).count();
    state.counters["raw_syncs/s"] = n / raw_seconds;
    state.counters["wal_saves/s"] = n / wal_seconds;
    state.counters["wal_entries/s"] = n * static_cast<double>(batch) / wal_seconds;
    state.counters["wal_MB/s"] =
        n * static_cast<double>(batch * entry_bytes) / wal_seconds / (1 << 20);
    state.counters["wal/raw"] = raw_seconds / wal_seconds;
  }
  std::filesystem::remove_all(dir);
}

BENCHMARK(BM_WalVsRawPaired)
    ->ArgNames({"batch", "entry_bytes", "zerofill", "raw_bytes"})
    ->ArgsProduct({{1, 16, 256}, {256, 4096}, {0, 1}, {0}})
    ->Args({256, 4096, 0, 1})
    ->Args({256, 4096, 1, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

BENCHMARK(BM_WalSave)
    ->ArgNames({"batch", "entry_bytes", "zerofill"})
    ->ArgsProduct({{1, 16, 256}, {256, 4096}, {0, 1}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

BENCHMARK(BM_RawFdatasync)
    ->ArgNames({"bytes", "zerofill"})
    ->ArgsProduct({{256, 4096, 65536, 1 << 20}, {0, 1}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace raftkv::wal

BENCHMARK_MAIN();
