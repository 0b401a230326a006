#ifndef RAFTKV_SERVER_CHECKPOINT_MAKER_H_
#define RAFTKV_SERVER_CHECKPOINT_MAKER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"

namespace raftkv::mvcc {
class Store;
}

namespace raftkv::server {

// Makes the state machine's snapshot checkpoints on a thread of its own, one at a time, so
// the apply thread keeps applying while RocksDB flushes its memtables (30-45 ms for 10,000
// puts here; on the apply thread that stall showed as the put p99).
//
// A checkpoint labelled `index` holds the store as of some index >= `index`, since entries
// applied while it is made land in it too. Every use of it allows that: the raft log before
// `index` may be dropped (the flush made everything up to the later index durable), and a
// follower that installs it skips the entries its store already holds, as after a restart.
class CheckpointMaker {
 public:
  struct Job {
    uint64_t index = 0;
    uint64_t term = 0;
    std::string name;  // the directory's name under the maker's; a crash's leftover is replaced
  };
  // Called on the maker's thread when a job ends, with how long it took.
  using Done = std::function<void(const Job& job, const absl::Status& status,
                                  std::chrono::microseconds took)>;

  // Checkpoints go into directories under `dir`.
  CheckpointMaker(mvcc::Store* store, std::string dir, Done done);
  ~CheckpointMaker();  // finishes the job in hand, if any
  CheckpointMaker(const CheckpointMaker&) = delete;
  CheckpointMaker& operator=(const CheckpointMaker&) = delete;

  // Starts `job` unless one is in hand; false (and nothing started) if one is.
  bool TryStart(Job job);
  // Returns once no job is in hand: before anything that must not overlap a checkpoint
  // (replacing the store's contents, a client's checkpoint).
  void WaitIdle();

 private:
  void Loop();
  void Make(const Job& job);

  mvcc::Store* const store_;
  const std::string dir_;
  const Done done_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<Job> job_;  // guarded by mutex_
  bool stopping_ = false;   // guarded by mutex_
  std::thread thread_;
};

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_CHECKPOINT_MAKER_H_
