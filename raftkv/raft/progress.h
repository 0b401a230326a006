#ifndef RAFTKV_RAFT_PROGRESS_H_
#define RAFTKV_RAFT_PROGRESS_H_

#include <cstdint>
#include <string>

#include "raftkv/raft/inflights.h"

namespace raftkv::raft {

enum class ProgressState {
  // Unknown follower log: one append per heartbeat interval until one is accepted.
  kProbe,
  // Known match: appends are streamed optimistically within the inflights window.
  kReplicate,
  // The follower needs a snapshot; nothing is appended until it reports it applied or failed.
  kSnapshot,
};

const char* ProgressStateName(ProgressState s);

// The leader's view of one follower.
struct Progress {
  Progress(uint64_t next, size_t max_inflight, uint64_t max_inflight_bytes, bool learner)
      : next(next), inflights(max_inflight, max_inflight_bytes), is_learner(learner) {}

  uint64_t match = 0;
  uint64_t next;
  ProgressState state = ProgressState::kProbe;
  // In kSnapshot: the index of the snapshot being sent.
  uint64_t pending_snapshot = 0;
  // Heard from since the last CheckQuorum round.
  bool recent_active = false;
  // In kProbe: an append was sent and the next waits for a heartbeat response or an ack.
  bool msg_app_flow_paused = false;
  Inflights inflights;
  bool is_learner;

  void BecomeProbe();
  void BecomeReplicate();
  void BecomeSnapshot(uint64_t snapshot_index);
  // Records that entries up to last_index (bytes in total) were sent in one MsgApp.
  void SentEntries(uint64_t last_index, uint64_t bytes);
  // An acknowledgement of n: returns false when it is stale.
  bool MaybeUpdate(uint64_t n);
  // A rejection of an append at rejected; match_hint is the follower's guess of the last
  // matching index. Returns false when the rejection is stale.
  bool MaybeDecrTo(uint64_t rejected, uint64_t match_hint);
  bool IsPaused() const;
  std::string DebugString() const;

 private:
  void ResetState(ProgressState s);
};

}  // namespace raftkv::raft

#endif  // RAFTKV_RAFT_PROGRESS_H_
