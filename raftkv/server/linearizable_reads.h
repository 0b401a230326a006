#ifndef RAFTKV_SERVER_LINEARIZABLE_READS_H_
#define RAFTKV_SERVER_LINEARIZABLE_READS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "raftkv/raft/read_only.h"

namespace raftkv::server {

// Linearizable reads by ReadIndex, batched: every read that arrives while a ReadIndex round
// is being confirmed waits for the next round, so one round (one heartbeat exchange) serves
// any number of concurrent reads. A read proceeds once this member has applied the confirmed
// read index.
//
// Three threads meet here, each through its own methods: callers (Add), the raft thread
// (TakeRound, OnReadState, Expire) and the apply thread (OnApplied). Thread-safe.
class LinearizableReads {
 public:
  using Clock = std::chrono::steady_clock;
  // Called once: OK when the read may be served from local state, else why not.
  using Ready = std::function<void(absl::Status)>;

  // round_retry: a round unanswered for this long is asked again (the request or its answer
  // may have been lost with a leader change).
  LinearizableReads(uint64_t member_id, std::chrono::milliseconds round_retry);

  void Add(Clock::time_point deadline, Ready ready);
  // The raft thread calls this each loop: the context of a round to send with
  // RawNode::ReadIndex, when reads are waiting and none is in flight or the one in flight
  // is overdue.
  std::optional<std::string> TakeRound(Clock::time_point now);
  // A ReadState arrived; applied is the apply thread's current index.
  void OnReadState(const raft::ReadState& state, uint64_t applied);
  void OnApplied(uint64_t applied);
  // Fails reads whose deadline passed.
  void Expire(Clock::time_point now, const absl::Status& status);
  void FailAll(const absl::Status& status);

 private:
  struct Read {
    Clock::time_point deadline;
    Ready ready;
  };
  // Runs the ready callbacks of reads whose index is applied; lock released first.
  void Release(const std::vector<Read>& reads);

  const std::chrono::milliseconds round_retry_;
  // Rounds are named by this prefix and a counter. A leader matches heartbeat acks to ReadIndex
  // requests by this name alone, so it must be unique among every member and every run of
  // it: when two members (or a member before and after a restart) used the same names, an ack
  // for another member's round, sent before a pause, confirmed a later round on a leader that
  // had lost its leadership in between, and a read returned an old revision.
  const std::string context_prefix_;
  absl::Mutex mu_;
  std::vector<Read> queued_ ABSL_GUARDED_BY(mu_);
  // The round in flight: its context, when it was sent, its reads.
  std::string round_ctx_ ABSL_GUARDED_BY(mu_);
  Clock::time_point round_sent_ ABSL_GUARDED_BY(mu_);
  std::vector<Read> round_ ABSL_GUARDED_BY(mu_);
  uint64_t next_round_ ABSL_GUARDED_BY(mu_) = 1;
  // Confirmed reads waiting for the apply thread, by read index.
  std::multimap<uint64_t, Read> waiting_ ABSL_GUARDED_BY(mu_);
  uint64_t applied_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace raftkv::server

#endif  // RAFTKV_SERVER_LINEARIZABLE_READS_H_
