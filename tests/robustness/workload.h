// Client traffic for robustness runs against a LocalCluster, recorded for the checkers:
//  - KvWorkload: client threads each sending one request at a time (put, get, range, delete,
//    and txns comparing value, version, create and mod revision, some over two keys) to a
//    random member, recording invocation, completion and response, or an unknown outcome on
//    any error (a timeout or an unavailable member may still have applied it);
//  - WatchWorkload: watchers over the whole key range that switch members now and then, and
//    whenever their stream breaks, resuming from the last revision seen + 1.
// Keys are <prefix>g<group>/<n>: requests never cross groups, so the checker can split the
// history per group. Every put writes a value no other put writes.

#ifndef RAFTKV_TESTS_ROBUSTNESS_WORKLOAD_H_
#define RAFTKV_TESTS_ROBUSTNESS_WORKLOAD_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster_harness.h"
#include "history.h"
#include "watch_check.h"

namespace raftkv::robustness {

using integration::LocalCluster;
using std::chrono::milliseconds;

// Operations appended from many threads, timed on one clock.
class HistoryRecorder {
 public:
  HistoryRecorder();
  int64_t NowNs() const;
  void Add(Operation op);
  // The operations recorded since the last Take.
  History Take();

 private:
  const std::chrono::steady_clock::time_point origin_;
  mutable std::mutex mu_;
  History history_;
};

struct KvWorkloadOptions {
  std::string prefix;
  int clients = 6;
  int groups = 8;
  int keys_per_group = 3;
  milliseconds per_call{1500};
  // Pause between a client's requests (keeps histories at tens of thousands of ops a minute).
  milliseconds think{2};
  uint64_t seed = 1;
};

// The key range [begin, end) holding every key of a prefix.
std::string PrefixEnd(const std::string& prefix);

// Sends `request` to the member behind `channel` as etcd's Put, Range, DeleteRange (one op,
// no compares) or Txn, and records the outcome.
Operation Execute(const std::shared_ptr<grpc::Channel>& channel, const Request& request, int client,
                  milliseconds per_call, const HistoryRecorder& clock);

class KvWorkload {
 public:
  KvWorkload(LocalCluster& cluster, KvWorkloadOptions options, HistoryRecorder& recorder);
  ~KvWorkload();  // Stop()
  KvWorkload(const KvWorkload&) = delete;
  KvWorkload& operator=(const KvWorkload&) = delete;

  void Start();
  void Stop();
  size_t acknowledged() const { return acknowledged_; }
  size_t unknown() const { return unknown_; }

 private:
  void RunClient(int client);

  LocalCluster& cluster_;
  const KvWorkloadOptions options_;
  HistoryRecorder& recorder_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> acknowledged_{0};
  std::atomic<size_t> unknown_{0};
  std::vector<std::thread> threads_;
};

class WatchWorkload {
 public:
  // Watches [prefix, PrefixEnd(prefix)) from start_revision with `watchers` watchers.
  WatchWorkload(LocalCluster& cluster, std::string prefix, int watchers, int64_t start_revision,
                uint64_t seed);
  ~WatchWorkload();  // Stop()
  WatchWorkload(const WatchWorkload&) = delete;
  WatchWorkload& operator=(const WatchWorkload&) = delete;

  void Start();
  void Stop();
  // Waits until every watcher has seen an event at `revision` or later.
  ::testing::AssertionResult WaitUntilSeen(int64_t revision, integration::Deadline deadline);
  std::vector<WatchRecord> Records() const;
  // Problems the watchers met that are failures by themselves (a cancelled watch).
  std::vector<std::string> Errors() const;

 private:
  struct Watcher {
    WatchRecord record;
    int64_t next_revision = 0;
  };
  void RunWatcher(size_t w);
  // One stream on one member until it breaks, is switched away from, or Stop().
  void WatchOnce(size_t w, const std::shared_ptr<grpc::Channel>& channel, milliseconds lifetime);

  LocalCluster& cluster_;
  const std::string prefix_;
  const uint64_t seed_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;  // guards watchers_ and errors_
  std::condition_variable stopping_;
  std::vector<Watcher> watchers_;
  std::vector<std::string> errors_;
  std::vector<std::thread> threads_;
};

}  // namespace raftkv::robustness

#endif  // RAFTKV_TESTS_ROBUSTNESS_WORKLOAD_H_
