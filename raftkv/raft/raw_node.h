#ifndef RAFTKV_RAFT_RAW_NODE_H_
#define RAFTKV_RAFT_RAW_NODE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "raftkv/raft/config.h"
#include "raftkv/raft/progress.h"
#include "raftkv/raft/ready.h"
#include "raftkv/raft/tracker.h"
#include "raftpb/raft.pb.h"

namespace raftkv::raft {

class Raft;

// A snapshot of a member's consensus state, for monitoring and tests.
struct Status {
  uint64_t id = 0;
  raftpb::HardState hard_state;
  SoftState soft_state;
  uint64_t applied = 0;
  uint64_t lead_transferee = 0;
  TrackerConfig config;
  // Per-member progress; only on the leader.
  std::map<uint64_t, Progress> progress;
};

// One raft member as a pure state machine: no threads, clocks, sockets or files. The host
// feeds it time (Tick), messages from peers (Step) and requests (Propose, ReadIndex, ...),
// and carries out the work it returns in a Ready (see ready.h). Not thread-safe: one thread
// (or strand) owns it.
class RawNode {
 public:
  // Starts a member from what config.storage holds. A brand-new cluster's storage holds a
  // ConfState (a snapshot) naming the initial voters.
  static absl::StatusOr<std::unique_ptr<RawNode>> Create(const Config& config);
  ~RawNode();
  RawNode(const RawNode&) = delete;
  RawNode& operator=(const RawNode&) = delete;

  // Advances logical time by one tick (heartbeats, election timeouts, CheckQuorum).
  void Tick();
  // Starts an election now instead of waiting for the election timeout.
  absl::Status Campaign();
  // Proposes data to be appended. On a follower it is forwarded to the leader. Fails with
  // ErrProposalDropped when it certainly won't be appended; success does not mean it will be
  // committed (the host learns that when the entry comes back in committed_entries).
  absl::Status Propose(std::string data);
  // Proposes many entries as one append: one message per follower, one persist.
  absl::Status Propose(std::vector<std::string> batch);
  // Proposes a membership change. At most one may be pending: another is refused until the
  // previous one is applied, and a joint configuration must be left before the next change.
  absl::Status ProposeConfChange(const raftpb::ConfChangeV2& cc);
  // Applies a committed membership change (from an ENTRY_CONF_CHANGE committed entry) and
  // returns the new membership. An invalid change (which every member refuses alike) changes
  // nothing and returns an error.
  absl::StatusOr<raftpb::ConfState> ApplyConfChange(const raftpb::ConfChangeV2& cc);
  // Delivers a message from a peer. Refuses local-only message types and responses from
  // members that have no progress (for example, removed ones).
  absl::Status Step(raftpb::Message m);
  // Asks for a linearizable read point. When confirmed, a ReadState carrying ctx (which must
  // be unique and non-empty) appears in a Ready; if leadership is lost first, it never does
  // and the host retries.
  void ReadIndex(std::string ctx);
  // Asks the leader to hand leadership to transferee, once it has caught up. Refused for
  // learners; abandoned after an election timeout.
  void TransferLeader(uint64_t transferee);
  // The transport could not deliver to id: the leader stops streaming to it and probes.
  void ReportUnreachable(uint64_t id);
  // The transport finished sending a snapshot to id (failed: it could not).
  void ReportSnapshot(uint64_t id, bool failed);

  bool HasReady() const;
  // The work accumulated since the last call; call Advance() before the next GetReady().
  Ready GetReady();
  // Tells the member the last Ready was carried out (persisted, sent, applied).
  void Advance();

  Status GetStatus() const;
  // Lightweight accessors for hosts and tests.
  uint64_t id() const;
  SoftState soft_state() const;
  raftpb::HardState hard_state() const;
  // Internal state for white-box tests and the simulation's invariant checks.
  const Raft& raft() const { return *raft_; }
  Raft& mutable_raft() { return *raft_; }

 private:
  explicit RawNode(std::unique_ptr<Raft> raft);

  std::unique_ptr<Raft> raft_;
  SoftState prev_soft_state_;
  raftpb::HardState prev_hard_state_;
  // What the last GetReady handed out, for Advance.
  struct Accepted {
    uint64_t applied = 0;
    uint64_t stable_index = 0;
    uint64_t stable_term = 0;
    uint64_t snap_index = 0;
    uint64_t committed_payload_bytes = 0;
  };
  Accepted accepted_;
};

}  // namespace raftkv::raft

#endif  // RAFTKV_RAFT_RAW_NODE_H_
