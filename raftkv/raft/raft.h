#ifndef RAFTKV_RAFT_RAFT_H_
#define RAFTKV_RAFT_RAFT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "raftkv/raft/config.h"
#include "raftkv/raft/raft_log.h"
#include "raftkv/raft/read_only.h"
#include "raftkv/raft/ready.h"
#include "raftkv/raft/tracker.h"
#include "raftpb/raft.pb.h"

namespace spdlog {
class logger;
}

namespace raftkv::raft {

inline constexpr uint64_t kNone = 0;

// The consensus state machine of one member (the Raft paper, with PreVote, CheckQuorum,
// joint consensus, leader transfer and ReadIndex as in etcd's raft). Internal: hosts use
// RawNode, which adds the Ready/Advance protocol on top.
class Raft {
 public:
  static absl::StatusOr<std::unique_ptr<Raft>> Create(const Config& c);

  absl::Status Step(raftpb::Message m);
  void Tick();

  // Applies a committed membership change; on an invalid change nothing changes.
  absl::StatusOr<raftpb::ConfState> ApplyConfChange(const raftpb::ConfChangeV2& cc);

  // Called by RawNode::Advance once the host has applied up to `applied` and persisted the
  // log up to (stable_index, stable_term) and the snapshot at snap_index (0: none).
  void Advance(uint64_t applied, uint64_t stable_index, uint64_t stable_term, uint64_t snap_index,
               uint64_t applied_payload_bytes);

  SoftState soft_state() const { return {lead_, state_}; }
  raftpb::HardState hard_state() const;

  uint64_t id() const { return id_; }
  uint64_t term() const { return term_; }
  uint64_t vote() const { return vote_; }
  uint64_t lead() const { return lead_; }
  StateType state() const { return state_; }
  uint64_t lead_transferee() const { return lead_transferee_; }
  const RaftLog& log() const { return log_; }
  const ProgressTracker& tracker() const { return prs_; }
  std::vector<raftpb::Message>& msgs() { return msgs_; }
  const std::vector<raftpb::Message>& msgs() const { return msgs_; }
  std::vector<ReadState>& read_states() { return read_states_; }
  const std::vector<ReadState>& read_states() const { return read_states_; }
  // Test hooks: make the election timeout deterministic, inspect timers.
  int randomized_election_timeout() const { return randomized_election_timeout_; }
  void set_randomized_election_timeout(int t) { randomized_election_timeout_ = t; }
  int election_elapsed() const { return election_elapsed_; }

 private:
  enum class CampaignType { kPreElection, kElection, kTransfer };

  explicit Raft(const Config& c);
  absl::Status Init(const Config& c);

  void Send(raftpb::Message m);
  void SendAppend(uint64_t to) { MaybeSendAppend(to, true); }
  bool MaybeSendAppend(uint64_t to, bool send_if_empty);
  void SendHeartbeat(uint64_t to, const std::string& ctx);
  void BcastAppend();
  void BcastHeartbeat();
  void BcastHeartbeatWithCtx(const std::string& ctx);
  void SendTimeoutNow(uint64_t to);

  bool MaybeCommit();
  void Reset(uint64_t term);
  bool AppendEntries(EntryVector es);
  // Counts the leader's own log as acknowledged up to what the host has persisted.
  void AckOwnStableLog();

  void TickElection();
  void TickHeartbeat();
  void BecomeFollower(uint64_t term, uint64_t lead);
  void BecomeCandidate();
  void BecomePreCandidate();
  void BecomeLeader();
  void Hup(CampaignType t);
  void Campaign(CampaignType t);
  VoteResult Poll(uint64_t id, raftpb::MessageType t, bool granted);

  absl::Status StepLeader(raftpb::Message& m);
  absl::Status StepCandidate(raftpb::Message& m);
  absl::Status StepFollower(raftpb::Message& m);
  absl::Status StepProposal(raftpb::Message& m);
  void StepReadIndex(raftpb::Message& m);
  void StepAppendResponse(const raftpb::Message& m, Progress& pr);
  void StepHeartbeatResponse(const raftpb::Message& m, Progress& pr);
  void StepTransferLeader(const raftpb::Message& m, Progress& pr);
  void StepVote(const raftpb::Message& m);

  void HandleAppendEntries(raftpb::Message& m);
  void HandleHeartbeat(const raftpb::Message& m);
  void HandleSnapshot(const raftpb::Message& m);
  bool Restore(const raftpb::Snapshot& s);

  bool Promotable() const;
  raftpb::ConfState SwitchToConfig(TrackerConfig cfg, ProgressMap prs);
  void LoadState(const raftpb::HardState& hs);
  bool PastElectionTimeout() const { return election_elapsed_ >= randomized_election_timeout_; }
  void ResetRandomizedElectionTimeout();
  void AbortLeaderTransfer() { lead_transferee_ = kNone; }
  bool CommittedEntryInCurrentTerm() const;
  void RespondToReadIndex(const raftpb::Message& req, uint64_t read_index);
  void ReleasePendingReadIndexMessages();
  bool IncreaseUncommittedSize(const EntryVector& ents);
  void ReduceUncommittedSize(uint64_t payload_bytes);

  uint64_t id_;
  uint64_t term_ = 0;
  uint64_t vote_ = 0;
  RaftLog log_;
  uint64_t max_msg_size_;
  uint64_t max_uncommitted_size_;
  ProgressTracker prs_;
  StateType state_ = StateType::kFollower;
  bool is_learner_ = false;
  std::vector<raftpb::Message> msgs_;
  uint64_t lead_ = kNone;
  // The member leadership is being transferred to, or kNone.
  uint64_t lead_transferee_ = kNone;
  // No new membership change may be proposed until this index is applied.
  uint64_t pending_conf_index_ = 0;
  uint64_t uncommitted_size_ = 0;
  ReadIndexBatch read_only_;
  ReadOnlyOption read_only_option_;
  std::vector<ReadState> read_states_;
  // ReadIndex requests received before this leader committed an entry of its term.
  std::vector<raftpb::Message> pending_read_index_messages_;
  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  bool check_quorum_;
  bool pre_vote_;
  bool disable_proposal_forwarding_;
  int heartbeat_timeout_;
  int election_timeout_;
  int randomized_election_timeout_ = 0;
  uint64_t rng_state_;
  std::shared_ptr<spdlog::logger> logger_;
};

// Message types that never travel between members.
bool IsLocalMsg(raftpb::MessageType t);
// Message types that answer a request of the recipient.
bool IsResponseMsg(raftpb::MessageType t);

}  // namespace raftkv::raft

#endif  // RAFTKV_RAFT_RAFT_H_
