#include "raftkv/raft/raft.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "raftkv/raft/confchange.h"
#include "raftkv/raft/errors.h"
#include "raftkv/raft/panic.h"

namespace raftkv::raft {
namespace {

constexpr absl::string_view kCampaignTransfer = "CampaignTransfer";

raftpb::MessageType VoteRespType(raftpb::MessageType t) {
  return t == raftpb::MSG_VOTE ? raftpb::MSG_VOTE_RESP : raftpb::MSG_PRE_VOTE_RESP;
}

uint64_t PayloadSize(const EntryVector& ents) {
  uint64_t s = 0;
  for (const auto& e : ents)
    s += e.data().size();
  return s;
}

// splitmix64: a tiny, well-mixed generator, so that elections replay exactly from a seed.
uint64_t NextRandom(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

raftpb::Message Msg(raftpb::MessageType type, uint64_t to) {
  raftpb::Message m;
  m.set_type(type);
  m.set_to(to);
  return m;
}

}  // namespace

const char* StateTypeName(StateType s) {
  switch (s) {
    case StateType::kFollower:
      return "StateFollower";
    case StateType::kCandidate:
      return "StateCandidate";
    case StateType::kLeader:
      return "StateLeader";
    case StateType::kPreCandidate:
      return "StatePreCandidate";
  }
  return "unknown";
}

bool IsLocalMsg(raftpb::MessageType t) {
  return t == raftpb::MSG_HUP || t == raftpb::MSG_BEAT || t == raftpb::MSG_UNREACHABLE ||
         t == raftpb::MSG_SNAP_STATUS || t == raftpb::MSG_CHECK_QUORUM;
}

bool IsResponseMsg(raftpb::MessageType t) {
  return t == raftpb::MSG_APP_RESP || t == raftpb::MSG_VOTE_RESP ||
         t == raftpb::MSG_HEARTBEAT_RESP || t == raftpb::MSG_UNREACHABLE ||
         t == raftpb::MSG_PRE_VOTE_RESP;
}

absl::Status Config::Validate() const {
  if (id == kNone) return absl::InvalidArgumentError("cannot use none as id");
  if (heartbeat_tick <= 0)
    return absl::InvalidArgumentError("heartbeat tick must be greater than 0");
  if (election_tick <= heartbeat_tick) {
    return absl::InvalidArgumentError("election tick must be greater than heartbeat tick");
  }
  if (storage == nullptr) return absl::InvalidArgumentError("storage cannot be nil");
  if (max_inflight_msgs <= 0) {
    return absl::InvalidArgumentError("max inflight messages must be greater than 0");
  }
  if (read_only_option == ReadOnlyOption::kLeaseBased && !check_quorum) {
    return absl::InvalidArgumentError(
        "CheckQuorum must be enabled when ReadOnlyOption is ReadOnlyLeaseBased");
  }
  return absl::OkStatus();
}

Raft::Raft(const Config& c)
    : id_(c.id),
      log_(c.storage, c.max_committed_size_per_ready != 0 ? c.max_committed_size_per_ready
                                                          : c.max_size_per_msg),
      max_msg_size_(c.max_size_per_msg),
      max_uncommitted_size_(c.max_uncommitted_entries_size != 0 ? c.max_uncommitted_entries_size
                                                                : kNoLimit),
      prs_(static_cast<size_t>(c.max_inflight_msgs), c.max_inflight_bytes),
      read_only_option_(c.read_only_option),
      check_quorum_(c.check_quorum),
      pre_vote_(c.pre_vote),
      disable_proposal_forwarding_(c.disable_proposal_forwarding),
      heartbeat_timeout_(c.heartbeat_tick),
      election_timeout_(c.election_tick),
      rng_state_(c.random_seed != 0 ? c.random_seed : c.id * 0x2545F4914F6CDD1DULL),
      logger_(c.logger ? c.logger : spdlog::default_logger()) {}

absl::StatusOr<std::unique_ptr<Raft>> Raft::Create(const Config& c) {
  if (auto s = c.Validate(); !s.ok()) return s;
  std::unique_ptr<Raft> r(new Raft(c));  // NOLINT: private constructor
  if (auto s = r->Init(c); !s.ok()) return s;
  return r;
}

absl::Status Raft::Init(const Config& c) {
  auto init = c.storage->GetInitialState();
  if (!init.ok()) return init.status();
  if (auto s = RestoreConfState(prs_, log_.LastIndex(), init->conf_state); !s.ok()) return s;
  SwitchToConfig(prs_.config, prs_.progress);
  const raftpb::HardState& hs = init->hard_state;
  if (hs.term() != 0 || hs.vote() != 0 || hs.commit() != 0) LoadState(hs);
  if (c.applied > 0) log_.AppliedTo(c.applied);
  BecomeFollower(term_, kNone);
  logger_->info(
      "{:x} newRaft [peers: {}, term: {}, commit: {}, applied: {}, lastindex: {}, "
      "lastterm: {}]",
      id_, prs_.config.DebugString(), term_, log_.committed(), log_.applied(), log_.LastIndex(),
      log_.LastTerm());
  return absl::OkStatus();
}

raftpb::HardState Raft::hard_state() const {
  raftpb::HardState hs;
  hs.set_term(term_);
  hs.set_vote(vote_);
  hs.set_commit(log_.committed());
  return hs;
}

void Raft::Send(raftpb::Message m) {
  if (m.from() == kNone) m.set_from(id_);
  auto t = m.type();
  if (t == raftpb::MSG_VOTE || t == raftpb::MSG_VOTE_RESP || t == raftpb::MSG_PRE_VOTE ||
      t == raftpb::MSG_PRE_VOTE_RESP) {
    RAFT_ASSERT(m.term() != 0, "term should be set when sending {}", raftpb::MessageType_Name(t));
  } else {
    RAFT_ASSERT(m.term() == 0, "term should not be set when sending {} (was {})",
                raftpb::MessageType_Name(t), m.term());
    // Proposals and read requests are forwarded as if local, so they carry no term.
    if (t != raftpb::MSG_PROP && t != raftpb::MSG_READ_INDEX) m.set_term(term_);
  }
  msgs_.push_back(std::move(m));
}

bool Raft::MaybeSendAppend(uint64_t to, bool send_if_empty) {
  Progress& pr = prs_.progress.at(to);
  if (pr.IsPaused()) return false;
  auto term = log_.Term(pr.next - 1);
  auto ents = log_.Entries(pr.next, max_msg_size_);
  if (ents.ok() && ents->empty() && !send_if_empty) return false;

  raftpb::Message m = Msg(raftpb::MSG_APP, to);
  if (!term.ok() || !ents.ok()) {
    // The entries the follower needs are compacted away: send a snapshot.
    if (!pr.recent_active) {
      logger_->debug("{:x} ignore sending snapshot to {:x} since it is not recently active", id_,
                     to);
      return false;
    }
    auto snap = log_.Snapshot();
    if (!snap.ok()) {
      RAFT_ASSERT(IsSnapshotTemporarilyUnavailable(snap.status()), "snapshot error: {}",
                  snap.status().ToString());
      logger_->debug(
          "{:x} failed to send snapshot to {:x} because snapshot is temporarily "
          "unavailable",
          id_, to);
      return false;
    }
    RAFT_ASSERT(snap->metadata().index() != 0, "need non-empty snapshot");
    uint64_t sindex = snap->metadata().index();
    logger_->info(
        "{:x} [firstindex: {}, commit: {}] sent snapshot[index: {}, term: {}] to {:x} "
        "[{}]",
        id_, log_.FirstIndex(), log_.committed(), sindex, snap->metadata().term(), to,
        pr.DebugString());
    m.set_type(raftpb::MSG_SNAP);
    *m.mutable_snapshot() = *std::move(snap);
    pr.BecomeSnapshot(sindex);
  } else {
    m.set_index(pr.next - 1);
    m.set_log_term(*term);
    m.set_commit(log_.committed());
    if (!ents->empty()) {
      uint64_t last = ents->back().index();
      uint64_t bytes = PayloadSize(*ents);
      m.mutable_entries()->Reserve(static_cast<int>(ents->size()));
      for (auto& e : *ents)
        *m.add_entries() = std::move(e);
      pr.SentEntries(last, bytes);
    }
  }
  Send(std::move(m));
  return true;
}

void Raft::SendHeartbeat(uint64_t to, const std::string& ctx) {
  // Attach the commit only as far as the follower is known to match, so that it never
  // commits entries it may not have.
  raftpb::Message m = Msg(raftpb::MSG_HEARTBEAT, to);
  m.set_commit(std::min(prs_.progress.at(to).match, log_.committed()));
  m.set_context(ctx);
  Send(std::move(m));
}

void Raft::BcastAppend() {
  for (const auto& [id, pr] : prs_.progress) {
    if (id != id_) SendAppend(id);
  }
}

void Raft::BcastHeartbeat() {
  BcastHeartbeatWithCtx(read_only_.LastPendingContext());
}

void Raft::BcastHeartbeatWithCtx(const std::string& ctx) {
  for (const auto& [id, pr] : prs_.progress) {
    if (id != id_) SendHeartbeat(id, ctx);
  }
}

void Raft::SendTimeoutNow(uint64_t to) {
  Send(Msg(raftpb::MSG_TIMEOUT_NOW, to));
}

bool Raft::MaybeCommit() {
  return log_.MaybeCommit(prs_.Committed(), term_);
}

void Raft::Reset(uint64_t term) {
  if (term_ != term) {
    term_ = term;
    vote_ = kNone;
  }
  lead_ = kNone;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  ResetRandomizedElectionTimeout();
  AbortLeaderTransfer();
  prs_.ResetVotes();
  uint64_t last = log_.LastIndex();
  for (auto& [id, pr] : prs_.progress) {
    pr = prs_.MakeProgress(last + 1, pr.is_learner);
    // Only what the host has persisted counts as this member's acknowledgement.
    if (id == id_) pr.match = log_.StableLastIndex();
  }
  pending_conf_index_ = 0;
  uncommitted_size_ = 0;
  read_only_.Clear();
  pending_read_index_messages_.clear();
}

bool Raft::AppendEntries(EntryVector es) {
  uint64_t li = log_.LastIndex();
  for (size_t i = 0; i < es.size(); ++i) {
    es[i].set_term(term_);
    es[i].set_index(li + 1 + i);
  }
  if (!IncreaseUncommittedSize(es)) {
    logger_->debug(
        "{:x} appending new entries to log would exceed uncommitted entry size limit; "
        "dropping proposal",
        id_);
    return false;
  }
  log_.Append(std::move(es));
#if RAFTKV_RAFT_MUTATION == 3
  // Mutation 3 (simulation tests only): the leader counts its unpersisted log toward commit.
  if (auto self = prs_.progress.find(id_);
      state_ == StateType::kLeader && self != prs_.progress.end()) {
    self->second.MaybeUpdate(log_.LastIndex());
  }
#endif
  return true;
}

void Raft::AckOwnStableLog() {
  if (state_ != StateType::kLeader) return;
  auto it = prs_.progress.find(id_);
  if (it == prs_.progress.end()) return;
  if (it->second.MaybeUpdate(log_.StableLastIndex()) && MaybeCommit()) {
    ReleasePendingReadIndexMessages();
    BcastAppend();
  }
}

void Raft::Tick() {
  if (state_ == StateType::kLeader) {
    TickHeartbeat();
  } else {
    TickElection();
  }
}

void Raft::TickElection() {
  ++election_elapsed_;
  if (Promotable() && PastElectionTimeout()) {
    election_elapsed_ = 0;
    raftpb::Message m = Msg(raftpb::MSG_HUP, kNone);
    m.set_from(id_);
    (void)Step(std::move(m));
  }
}

void Raft::TickHeartbeat() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= election_timeout_) {
    election_elapsed_ = 0;
    if (check_quorum_) {
      raftpb::Message m = Msg(raftpb::MSG_CHECK_QUORUM, kNone);
      m.set_from(id_);
      (void)Step(std::move(m));
    }
    // A transfer that did not finish within an election timeout is abandoned.
    if (state_ == StateType::kLeader && lead_transferee_ != kNone) AbortLeaderTransfer();
  }
  if (state_ != StateType::kLeader) return;
  if (heartbeat_elapsed_ >= heartbeat_timeout_) {
    heartbeat_elapsed_ = 0;
    raftpb::Message m = Msg(raftpb::MSG_BEAT, kNone);
    m.set_from(id_);
    (void)Step(std::move(m));
  }
}

void Raft::BecomeFollower(uint64_t term, uint64_t lead) {
  Reset(term);
  lead_ = lead;
  state_ = StateType::kFollower;
  logger_->info("{:x} became follower at term {}", id_, term_);
}

void Raft::BecomeCandidate() {
  RAFT_ASSERT(state_ != StateType::kLeader, "invalid transition [leader -> candidate]");
  Reset(term_ + 1);
  vote_ = id_;
  state_ = StateType::kCandidate;
  logger_->info("{:x} became candidate at term {}", id_, term_);
}

void Raft::BecomePreCandidate() {
  RAFT_ASSERT(state_ != StateType::kLeader, "invalid transition [leader -> pre-candidate]");
  // A pre-candidate changes neither term nor vote.
  prs_.ResetVotes();
  lead_ = kNone;
  state_ = StateType::kPreCandidate;
  logger_->info("{:x} became pre-candidate at term {}", id_, term_);
}

void Raft::BecomeLeader() {
  RAFT_ASSERT(state_ != StateType::kFollower, "invalid transition [follower -> leader]");
  Reset(term_);
  lead_ = id_;
  state_ = StateType::kLeader;
  prs_.progress.at(id_).BecomeReplicate();
  // Any entry in the log may be an unapplied membership change: refuse new ones until all
  // of the log is applied.
  pending_conf_index_ = log_.LastIndex();
  RAFT_ASSERT(AppendEntries(EntryVector(1)), "empty entry was dropped");
  // The empty entry does not count against the uncommitted size limit.
  uncommitted_size_ = 0;
  logger_->info("{:x} became leader at term {}", id_, term_);
}

void Raft::Hup(CampaignType t) {
  if (state_ == StateType::kLeader) {
    logger_->debug("{:x} ignoring MsgHup because already leader", id_);
    return;
  }
  if (!Promotable()) {
    logger_->warn("{:x} is unpromotable and can not campaign", id_);
    return;
  }
  if (log_.committed() > log_.applied()) {
    auto ents = log_.Slice(log_.applied() + 1, log_.committed() + 1, kNoLimit);
    RAFT_ASSERT(ents.ok(), "unexpected error getting unapplied entries: {}",
                ents.status().ToString());
    size_t pending = std::count_if(ents->begin(), ents->end(), [](const raftpb::Entry& e) {
      return e.type() == raftpb::ENTRY_CONF_CHANGE;
    });
    if (pending > 0) {
      logger_->warn(
          "{:x} cannot campaign at term {} since there are still {} pending "
          "configuration changes to apply",
          id_, term_, pending);
      return;
    }
  }
  logger_->info("{:x} is starting a new election at term {}", id_, term_);
  Campaign(t);
}

void Raft::Campaign(CampaignType t) {
  raftpb::MessageType vote_msg;
  uint64_t term;
  if (t == CampaignType::kPreElection) {
    BecomePreCandidate();
    vote_msg = raftpb::MSG_PRE_VOTE;
    // Pre-votes ask about the next term without moving to it.
    term = term_ + 1;
  } else {
    BecomeCandidate();
    vote_msg = raftpb::MSG_VOTE;
    term = term_;
  }
  if (Poll(id_, VoteRespType(vote_msg), true) == VoteResult::kWon) {
    // Only possible in a single-voter cluster.
    if (t == CampaignType::kPreElection) {
      Campaign(CampaignType::kElection);
    } else {
      BecomeLeader();
    }
    return;
  }
  for (uint64_t id : prs_.config.voters.IDs()) {
    if (id == id_) continue;
    logger_->info("{:x} [logterm: {}, index: {}] sent {} request to {:x} at term {}", id_,
                  log_.LastTerm(), log_.LastIndex(), raftpb::MessageType_Name(vote_msg), id, term_);
    raftpb::Message m = Msg(vote_msg, id);
    m.set_term(term);
    m.set_index(log_.LastIndex());
    m.set_log_term(log_.LastTerm());
    if (t == CampaignType::kTransfer)
      m.set_context(kCampaignTransfer.data(), kCampaignTransfer.size());
    Send(std::move(m));
  }
}

VoteResult Raft::Poll(uint64_t id, raftpb::MessageType t, bool granted) {
  if (granted) {
    logger_->info("{:x} received {} from {:x} at term {}", id_, raftpb::MessageType_Name(t), id,
                  term_);
  } else {
    logger_->info("{:x} received {} rejection from {:x} at term {}", id_,
                  raftpb::MessageType_Name(t), id, term_);
  }
  prs_.RecordVote(id, granted);
  return prs_.TallyVotes().result;
}

absl::Status Raft::Step(raftpb::Message m) {
  if (m.term() == 0) {
    // Local message.
  } else if (m.term() > term_) {
    if (m.type() == raftpb::MSG_VOTE || m.type() == raftpb::MSG_PRE_VOTE) {
      bool force = m.context() == kCampaignTransfer;
      bool in_lease = check_quorum_ && lead_ != kNone && election_elapsed_ < election_timeout_;
      if (!force && in_lease) {
        // Heard from a leader within the minimum election timeout: ignore the vote (Raft
        // thesis 4.2.3), so a member that was partitioned away cannot depose the leader.
        logger_->info(
            "{:x} [logterm: {}, index: {}, vote: {:x}] ignored {} from {:x} [logterm: "
            "{}, index: {}] at term {}: lease is not expired (remaining ticks: {})",
            id_, log_.LastTerm(), log_.LastIndex(), vote_, raftpb::MessageType_Name(m.type()),
            m.from(), m.log_term(), m.index(), term_, election_timeout_ - election_elapsed_);
        return absl::OkStatus();
      }
    }
    // A pre-vote never changes our term, and a granted pre-vote response carries the term we
    // asked about (the term moves only when we win).
    bool keeps_term =
        m.type() == raftpb::MSG_PRE_VOTE || (m.type() == raftpb::MSG_PRE_VOTE_RESP && !m.reject());
    if (!keeps_term) {
      logger_->info("{:x} [term: {}] received a {} message with higher term from {:x} [term: {}]",
                    id_, term_, raftpb::MessageType_Name(m.type()), m.from(), m.term());
      bool from_leader = m.type() == raftpb::MSG_APP || m.type() == raftpb::MSG_HEARTBEAT ||
                         m.type() == raftpb::MSG_SNAP;
      BecomeFollower(m.term(), from_leader ? m.from() : kNone);
    }
  } else if (m.term() < term_) {
    if ((check_quorum_ || pre_vote_) &&
        (m.type() == raftpb::MSG_HEARTBEAT || m.type() == raftpb::MSG_APP)) {
      // A stale leader (for example one that was partitioned away) learns the newer term
      // from this response and steps down; without it, it could never rejoin when its
      // pre-votes and votes are ignored.
      Send(Msg(raftpb::MSG_APP_RESP, m.from()));
    } else if (m.type() == raftpb::MSG_PRE_VOTE) {
      logger_->info(
          "{:x} [logterm: {}, index: {}, vote: {:x}] rejected {} from {:x} [logterm: "
          "{}, index: {}] at term {}",
          id_, log_.LastTerm(), log_.LastIndex(), vote_, raftpb::MessageType_Name(m.type()),
          m.from(), m.log_term(), m.index(), term_);
      raftpb::Message resp = Msg(raftpb::MSG_PRE_VOTE_RESP, m.from());
      resp.set_term(term_);
      resp.set_reject(true);
      Send(std::move(resp));
    }
    return absl::OkStatus();
  }

  switch (m.type()) {
    case raftpb::MSG_HUP:
      Hup(pre_vote_ ? CampaignType::kPreElection : CampaignType::kElection);
      return absl::OkStatus();
    case raftpb::MSG_VOTE:
    case raftpb::MSG_PRE_VOTE:
      StepVote(m);
      return absl::OkStatus();
    default:
      break;
  }
  switch (state_) {
    case StateType::kLeader:
      return StepLeader(m);
    case StateType::kCandidate:
    case StateType::kPreCandidate:
      return StepCandidate(m);
    case StateType::kFollower:
      return StepFollower(m);
  }
  return absl::OkStatus();
}

void Raft::StepVote(const raftpb::Message& m) {
#if RAFTKV_RAFT_MUTATION == 2
  // Mutation 2 (simulation tests only): a vote already cast this term does not stop another.
  bool can_vote = lead_ == kNone || (m.type() == raftpb::MSG_PRE_VOTE && m.term() > term_);
#else
  bool can_vote = vote_ == m.from() ||                   // a repeat of our vote
                  (vote_ == kNone && lead_ == kNone) ||  // no vote and no leader this term
                  (m.type() == raftpb::MSG_PRE_VOTE && m.term() > term_);
#endif
  if (can_vote && log_.IsUpToDate(m.index(), m.log_term())) {
    logger_->info(
        "{:x} [logterm: {}, index: {}, vote: {:x}] cast {} for {:x} [logterm: {}, "
        "index: {}] at term {}",
        id_, log_.LastTerm(), log_.LastIndex(), vote_, raftpb::MessageType_Name(m.type()), m.from(),
        m.log_term(), m.index(), term_);
    // The response carries the request's term: for a pre-vote that is a future term, which
    // the pre-candidate recognizes as granted.
    raftpb::Message resp = Msg(VoteRespType(m.type()), m.from());
    resp.set_term(m.term());
    Send(std::move(resp));
    if (m.type() == raftpb::MSG_VOTE) {
      election_elapsed_ = 0;
      vote_ = m.from();
    }
  } else {
    logger_->info(
        "{:x} [logterm: {}, index: {}, vote: {:x}] rejected {} from {:x} [logterm: {}, "
        "index: {}] at term {}",
        id_, log_.LastTerm(), log_.LastIndex(), vote_, raftpb::MessageType_Name(m.type()), m.from(),
        m.log_term(), m.index(), term_);
    raftpb::Message resp = Msg(VoteRespType(m.type()), m.from());
    resp.set_term(term_);
    resp.set_reject(true);
    Send(std::move(resp));
  }
}

absl::Status Raft::StepProposal(raftpb::Message& m) {
  RAFT_ASSERT(m.entries_size() > 0, "{:x} stepped empty MsgProp", id_);
  if (!prs_.progress.contains(id_)) {
    return ErrProposalDropped("this member was removed from the configuration");
  }
  if (lead_transferee_ != kNone) {
    logger_->debug("{:x} [term {}] transfer leadership to {:x} is in progress; dropping proposal",
                   id_, term_, lead_transferee_);
    return ErrProposalDropped("leadership transfer in progress");
  }
  std::string refused;
  for (int i = 0; i < m.entries_size(); ++i) {
    raftpb::Entry& e = *m.mutable_entries(i);
    if (e.type() != raftpb::ENTRY_CONF_CHANGE) continue;
    raftpb::ConfChangeV2 cc;
    if (!cc.ParseFromString(e.data())) {
      refused = "malformed configuration change";
    } else if (pending_conf_index_ > log_.applied()) {
      refused = absl::StrCat("possible unapplied conf change at index ", pending_conf_index_,
                             " (applied to ", log_.applied(), ")");
    } else if (prs_.config.voters.joint() && !LeavesJoint(cc)) {
      refused = "must transition out of joint config first";
    } else if (!prs_.config.voters.joint() && LeavesJoint(cc)) {
      refused = "not in joint state; refusing empty conf change";
    } else {
      pending_conf_index_ = log_.LastIndex() + i + 1;
      continue;
    }
    logger_->info("{:x} ignoring conf change {} at config {}: {}", id_, cc.ShortDebugString(),
                  prs_.config.DebugString(), refused);
    // A lone change is refused to its proposer; inside a batch it becomes a no-op entry so
    // that the other proposals still go through.
    if (m.entries_size() == 1) return ErrProposalDropped(refused);
    e = raftpb::Entry();
  }
  EntryVector ents(std::make_move_iterator(m.mutable_entries()->begin()),
                   std::make_move_iterator(m.mutable_entries()->end()));
  if (!AppendEntries(std::move(ents))) {
    return ErrProposalDropped("uncommitted log is over its size limit");
  }
  BcastAppend();
  return absl::OkStatus();
}

void Raft::StepReadIndex(raftpb::Message& m) {
  if (prs_.IsSingleton()) {
    RespondToReadIndex(m, log_.committed());
    return;
  }
  // Until this leader commits an entry of its term it does not know the commit index.
  if (!CommittedEntryInCurrentTerm()) {
    pending_read_index_messages_.push_back(std::move(m));
    return;
  }
  if (read_only_option_ == ReadOnlyOption::kLeaseBased) {
    RespondToReadIndex(m, log_.committed());
    return;
  }
  std::string ctx = m.entries(0).data();
  bool round_in_flight = !read_only_.LastPendingContext().empty();
  read_only_.Add(log_.committed(), std::move(m));
  read_only_.RecvAck(id_, ctx);
  // Requests that arrive while a round is in flight wait and share the next round.
  if (!round_in_flight) BcastHeartbeatWithCtx(ctx);
}

absl::Status Raft::StepLeader(raftpb::Message& m) {
  switch (m.type()) {
    case raftpb::MSG_BEAT:
      BcastHeartbeat();
      return absl::OkStatus();
    case raftpb::MSG_CHECK_QUORUM: {
      if (auto it = prs_.progress.find(id_); it != prs_.progress.end()) {
        it->second.recent_active = true;
      }
      if (!prs_.QuorumActive()) {
        logger_->warn("{:x} stepped down to follower since quorum is not active", id_);
        BecomeFollower(term_, kNone);
      }
      for (auto& [id, pr] : prs_.progress) {
        if (id != id_) pr.recent_active = false;
      }
      return absl::OkStatus();
    }
    case raftpb::MSG_PROP:
      return StepProposal(m);
    case raftpb::MSG_READ_INDEX:
      StepReadIndex(m);
      return absl::OkStatus();
    default:
      break;
  }
  auto it = prs_.progress.find(m.from());
  if (it == prs_.progress.end()) {
    logger_->debug("{:x} no progress available for {:x}", id_, m.from());
    return absl::OkStatus();
  }
  Progress& pr = it->second;
  switch (m.type()) {
    case raftpb::MSG_APP_RESP:
      StepAppendResponse(m, pr);
      break;
    case raftpb::MSG_HEARTBEAT_RESP:
      StepHeartbeatResponse(m, pr);
      break;
    case raftpb::MSG_SNAP_STATUS:
      if (pr.state != ProgressState::kSnapshot) break;
      if (m.reject()) pr.pending_snapshot = 0;
      pr.BecomeProbe();
      logger_->debug("{:x} snapshot {} to {:x}, resumed sending replication messages to {:x} [{}]",
                     id_, m.reject() ? "failed" : "succeeded", m.from(), m.from(),
                     pr.DebugString());
      // After a snapshot wait for the follower's ack, after a failure for a heartbeat.
      pr.msg_app_flow_paused = true;
      break;
    case raftpb::MSG_UNREACHABLE:
      // An optimistic append stream to an unreachable member probably lost messages.
      if (pr.state == ProgressState::kReplicate) pr.BecomeProbe();
      logger_->debug("{:x} failed to send message to {:x} because it is unreachable [{}]", id_,
                     m.from(), pr.DebugString());
      break;
    case raftpb::MSG_TRANSFER_LEADER:
      StepTransferLeader(m, pr);
      break;
    default:
      break;
  }
  return absl::OkStatus();
}

void Raft::StepAppendResponse(const raftpb::Message& m, Progress& pr) {
  pr.recent_active = true;
  if (m.reject()) {
    logger_->debug(
        "{:x} received MsgAppResp(rejected, hint: (index {}, term {})) from {:x} for "
        "index {}",
        id_, m.reject_hint(), m.log_term(), m.from(), m.index());
    // The follower's hint names the last index at which its log could match; skipping every
    // entry of a term it does not have costs one round trip per term, not per entry.
    uint64_t next_probe = m.reject_hint();
    if (m.log_term() > 0) next_probe = log_.FindConflictByTerm(m.reject_hint(), m.log_term()).first;
    if (pr.MaybeDecrTo(m.index(), next_probe)) {
      if (pr.state == ProgressState::kReplicate) pr.BecomeProbe();
      SendAppend(m.from());
    }
    return;
  }
  bool old_paused = pr.IsPaused();
  if (!pr.MaybeUpdate(m.index())) return;
  if (pr.state == ProgressState::kProbe) {
    pr.BecomeReplicate();
  } else if (pr.state == ProgressState::kSnapshot && pr.match >= pr.pending_snapshot) {
    pr.BecomeProbe();
    pr.BecomeReplicate();
  } else if (pr.state == ProgressState::kReplicate) {
    pr.inflights.FreeLE(m.index());
  }
  if (MaybeCommit()) {
    ReleasePendingReadIndexMessages();
    BcastAppend();
  } else if (old_paused) {
    // A paused follower may have missed the latest commit index.
    SendAppend(m.from());
  }
  // The window may have opened for several messages at once.
  while (MaybeSendAppend(m.from(), false)) {
  }
  if (m.from() == lead_transferee_ && pr.match == log_.LastIndex()) {
    logger_->info("{:x} sent MsgTimeoutNow to {:x} after received MsgAppResp", id_, m.from());
    SendTimeoutNow(m.from());
  }
}

void Raft::StepHeartbeatResponse(const raftpb::Message& m, Progress& pr) {
  pr.recent_active = true;
  pr.msg_app_flow_paused = false;
  // A full window with a live follower: free one slot so replication keeps moving.
  if (pr.state == ProgressState::kReplicate && pr.inflights.Full()) pr.inflights.FreeFirstOne();
  if (pr.match < log_.LastIndex()) SendAppend(m.from());
  if (read_only_option_ != ReadOnlyOption::kSafe || m.context().empty()) return;
  const auto* acks = read_only_.RecvAck(m.from(), m.context());
  if (acks == nullptr || prs_.config.voters.Vote(*acks) != VoteResult::kWon) return;
  for (auto& req : read_only_.Advance(m.context()))
    RespondToReadIndex(req.req, req.index);
  // Requests that queued behind the finished round start the next one now.
  std::string next = read_only_.LastPendingContext();
  if (!next.empty()) BcastHeartbeatWithCtx(next);
}

void Raft::StepTransferLeader(const raftpb::Message& m, Progress& pr) {
  uint64_t transferee = m.from();
  if (pr.is_learner) {
    logger_->debug("{:x} is learner. Ignored transferring leadership", id_);
    return;
  }
  if (lead_transferee_ != kNone) {
    if (lead_transferee_ == transferee) {
      logger_->info(
          "{:x} [term {}] transfer leadership to {:x} is in progress, ignores request "
          "to same node {:x}",
          id_, term_, transferee, transferee);
      return;
    }
    AbortLeaderTransfer();
  }
  if (transferee == id_) {
    logger_->debug("{:x} is already leader. Ignored transferring leadership to self", id_);
    return;
  }
  logger_->info("{:x} [term {}] starts to transfer leadership to {:x}", id_, term_, transferee);
  // The transfer must finish within an election timeout.
  election_elapsed_ = 0;
  lead_transferee_ = transferee;
  if (pr.match == log_.LastIndex()) {
    SendTimeoutNow(transferee);
  } else {
    // Catch the transferee up first; TimeoutNow follows its ack of the last entry.
    SendAppend(transferee);
  }
}

absl::Status Raft::StepCandidate(raftpb::Message& m) {
  raftpb::MessageType my_vote_resp =
      state_ == StateType::kPreCandidate ? raftpb::MSG_PRE_VOTE_RESP : raftpb::MSG_VOTE_RESP;
  switch (m.type()) {
    case raftpb::MSG_PROP:
      logger_->info("{:x} no leader at term {}; dropping proposal", id_, term_);
      return ErrProposalDropped("no leader");
    case raftpb::MSG_APP:
      BecomeFollower(m.term(), m.from());
      HandleAppendEntries(m);
      break;
    case raftpb::MSG_HEARTBEAT:
      BecomeFollower(m.term(), m.from());
      HandleHeartbeat(m);
      break;
    case raftpb::MSG_SNAP:
      BecomeFollower(m.term(), m.from());
      HandleSnapshot(m);
      break;
    default:
      if (m.type() != my_vote_resp) break;
      switch (Poll(m.from(), m.type(), !m.reject())) {
        case VoteResult::kWon:
          if (state_ == StateType::kPreCandidate) {
            Campaign(CampaignType::kElection);
          } else {
            BecomeLeader();
            BcastAppend();
          }
          break;
        case VoteResult::kLost:
          // A rejected pre-vote carries a future term; stay at ours.
          BecomeFollower(term_, kNone);
          break;
        case VoteResult::kPending:
          break;
      }
  }
  return absl::OkStatus();
}

absl::Status Raft::StepFollower(raftpb::Message& m) {
  switch (m.type()) {
    case raftpb::MSG_PROP:
      if (lead_ == kNone) {
        logger_->info("{:x} no leader at term {}; dropping proposal", id_, term_);
        return ErrProposalDropped("no leader");
      }
      if (disable_proposal_forwarding_) {
        return ErrProposalDropped("proposal forwarding is disabled");
      }
      m.set_to(lead_);
      Send(std::move(m));
      break;
    case raftpb::MSG_APP:
      election_elapsed_ = 0;
      lead_ = m.from();
      HandleAppendEntries(m);
      break;
    case raftpb::MSG_HEARTBEAT:
      election_elapsed_ = 0;
      lead_ = m.from();
      HandleHeartbeat(m);
      break;
    case raftpb::MSG_SNAP:
      election_elapsed_ = 0;
      lead_ = m.from();
      HandleSnapshot(m);
      break;
    case raftpb::MSG_TRANSFER_LEADER:
      if (lead_ == kNone) {
        logger_->info("{:x} no leader at term {}; dropping leader transfer msg", id_, term_);
        break;
      }
      m.set_to(lead_);
      m.set_term(0);
      Send(std::move(m));
      break;
    case raftpb::MSG_TIMEOUT_NOW:
      logger_->info(
          "{:x} [term {}] received MsgTimeoutNow from {:x} and starts an election to "
          "get leadership.",
          id_, term_, m.from());
      // A transfer skips the pre-vote: no partition is being recovered from.
      Hup(CampaignType::kTransfer);
      break;
    case raftpb::MSG_READ_INDEX:
      if (lead_ == kNone) {
        logger_->info("{:x} no leader at term {}; dropping index reading msg", id_, term_);
        break;
      }
      m.set_to(lead_);
      Send(std::move(m));
      break;
    case raftpb::MSG_READ_INDEX_RESP:
      if (m.entries_size() != 1) {
        logger_->error("{:x} invalid format of MsgReadIndexResp from {:x}, entries count: {}", id_,
                       m.from(), m.entries_size());
        break;
      }
      read_states_.push_back(ReadState{m.index(), m.entries(0).data()});
      break;
    default:
      break;
  }
  return absl::OkStatus();
}

void Raft::HandleAppendEntries(raftpb::Message& m) {
  if (m.index() < log_.committed()) {
    raftpb::Message resp = Msg(raftpb::MSG_APP_RESP, m.from());
    resp.set_index(log_.committed());
    Send(std::move(resp));
    return;
  }
  EntryVector ents(std::make_move_iterator(m.mutable_entries()->begin()),
                   std::make_move_iterator(m.mutable_entries()->end()));
  if (auto last = log_.MaybeAppend(m.index(), m.log_term(), m.commit(), std::move(ents))) {
    raftpb::Message resp = Msg(raftpb::MSG_APP_RESP, m.from());
    resp.set_index(*last);
    Send(std::move(resp));
    return;
  }
  // Tell the leader the largest index at which our logs could still match, and its term,
  // so that it can skip a whole term of mismatching entries at once.
  uint64_t hint = std::min(m.index(), log_.LastIndex());
  auto [hint_index, hint_term] = log_.FindConflictByTerm(hint, m.log_term());
  logger_->debug(
      "{:x} [logterm: {}, index: {}] rejected MsgApp [logterm: {}, index: {}] from "
      "{:x}",
      id_, log_.ZeroTermOnError(m.index()), m.index(), m.log_term(), m.index(), m.from());
  raftpb::Message resp = Msg(raftpb::MSG_APP_RESP, m.from());
  resp.set_index(m.index());
  resp.set_reject(true);
  resp.set_reject_hint(hint_index);
  resp.set_log_term(hint_term);
  Send(std::move(resp));
}

void Raft::HandleHeartbeat(const raftpb::Message& m) {
  log_.CommitTo(m.commit());
  raftpb::Message resp = Msg(raftpb::MSG_HEARTBEAT_RESP, m.from());
  resp.set_context(m.context());
  Send(std::move(resp));
}

void Raft::HandleSnapshot(const raftpb::Message& m) {
  const auto& md = m.snapshot().metadata();
  raftpb::Message resp = Msg(raftpb::MSG_APP_RESP, m.from());
  if (Restore(m.snapshot())) {
    logger_->info("{:x} [commit: {}] restored snapshot [index: {}, term: {}]", id_,
                  log_.committed(), md.index(), md.term());
    resp.set_index(log_.LastIndex());
  } else {
    logger_->info("{:x} [commit: {}] ignored snapshot [index: {}, term: {}]", id_, log_.committed(),
                  md.index(), md.term());
    resp.set_index(log_.committed());
  }
  Send(std::move(resp));
}

bool Raft::Restore(const raftpb::Snapshot& s) {
  const auto& md = s.metadata();
  if (md.index() <= log_.committed()) return false;
  if (state_ != StateType::kFollower) {
    // Defense in depth: only a follower installs snapshots.
    logger_->warn("{:x} attempted to restore snapshot as leader; should never happen", id_);
    BecomeFollower(term_ + 1, kNone);
    return false;
  }
  const auto& cs = md.conf_state();
  bool found = std::find(cs.voters().begin(), cs.voters().end(), id_) != cs.voters().end() ||
               std::find(cs.learners().begin(), cs.learners().end(), id_) != cs.learners().end() ||
               std::find(cs.voters_outgoing().begin(), cs.voters_outgoing().end(), id_) !=
                   cs.voters_outgoing().end();
  if (!found) {
    logger_->warn(
        "{:x} attempted to restore snapshot but it is not in the ConfState {}; should "
        "never happen",
        id_, cs.ShortDebugString());
    return false;
  }
  if (log_.MatchTerm(md.index(), md.term())) {
    // The log already has the snapshot's last entry: fast-forward the commit instead.
    logger_->info(
        "{:x} [commit: {}, lastindex: {}, lastterm: {}] fast-forwarded commit to "
        "snapshot [index: {}, term: {}]",
        id_, log_.committed(), log_.LastIndex(), log_.LastTerm(), md.index(), md.term());
    log_.CommitTo(md.index());
    return false;
  }
  log_.Restore(s);
  // Membership is rebuilt from the snapshot's ConfState.
  prs_ = ProgressTracker(prs_.max_inflight(), prs_.max_inflight_bytes());
  auto st = RestoreConfState(prs_, log_.LastIndex(), cs);
  RAFT_ASSERT(st.ok(), "unable to restore config {}: {}", cs.ShortDebugString(), st.ToString());
  SwitchToConfig(prs_.config, prs_.progress);
  Progress& pr = prs_.progress.at(id_);
  pr.MaybeUpdate(pr.next - 1);
  return true;
}

bool Raft::Promotable() const {
  auto it = prs_.progress.find(id_);
  return it != prs_.progress.end() && !it->second.is_learner && !log_.HasPendingSnapshot();
}

absl::StatusOr<raftpb::ConfState> Raft::ApplyConfChange(const raftpb::ConfChangeV2& cc) {
  Changer changer(prs_, log_.LastIndex());
  bool auto_leave = false;
  absl::StatusOr<ConfigAndProgress> next = LeavesJoint(cc) ? changer.LeaveJoint()
                                           : EntersJoint(cc, &auto_leave)
                                               ? changer.EnterJoint(auto_leave, cc.changes())
                                               : changer.Simple(cc.changes());
  if (!next.ok()) {
    logger_->warn("{:x} refused conf change {}: {}", id_, cc.ShortDebugString(),
                  next.status().ToString());
    return next.status();
  }
  return SwitchToConfig(std::move(next->first), std::move(next->second));
}

raftpb::ConfState Raft::SwitchToConfig(TrackerConfig cfg, ProgressMap prs) {
  prs_.config = std::move(cfg);
  prs_.progress = std::move(prs);
  logger_->info("{:x} switched to configuration {}", id_, prs_.config.DebugString());
  raftpb::ConfState cs = prs_.ConfState();
  auto self = prs_.progress.find(id_);
  is_learner_ = self != prs_.progress.end() && self->second.is_learner;
  if ((self == prs_.progress.end() || is_learner_) && state_ == StateType::kLeader) {
    // This leader was removed (or demoted). Hand leadership to the most caught-up voter so
    // the cluster does not wait out an election timeout, then step down.
    uint64_t best = kNone, best_match = 0;
    for (uint64_t id : prs_.config.voters.IDs()) {
      const Progress& pr = prs_.progress.at(id);
      if (pr.match > best_match) {
        best = id;
        best_match = pr.match;
      }
    }
    if (best != kNone && best_match == log_.LastIndex()) SendTimeoutNow(best);
    logger_->info("{:x} is no longer a voter; stepping down at term {}", id_, term_);
    BecomeFollower(term_, kNone);
    return cs;
  }
  if (state_ != StateType::kLeader || cs.voters().empty()) return cs;
  if (MaybeCommit()) {
    // The new configuration may commit more entries.
    BcastAppend();
  } else {
    // Probe new members now rather than at the next heartbeat or proposal.
    for (const auto& [id, pr] : prs_.progress) {
      if (id != id_) MaybeSendAppend(id, false);
    }
  }
  if (lead_transferee_ != kNone && !prs_.config.voters.contains(lead_transferee_)) {
    AbortLeaderTransfer();
  }
  return cs;
}

void Raft::LoadState(const raftpb::HardState& hs) {
  RAFT_ASSERT(hs.commit() >= log_.committed() && hs.commit() <= log_.LastIndex(),
              "{:x} state.commit {} is out of range [{}, {}]", id_, hs.commit(), log_.committed(),
              log_.LastIndex());
  log_.CommitTo(hs.commit());
  term_ = hs.term();
  vote_ = hs.vote();
}

void Raft::ResetRandomizedElectionTimeout() {
  randomized_election_timeout_ =
      election_timeout_ +
      static_cast<int>(NextRandom(rng_state_) % static_cast<uint64_t>(election_timeout_));
}

bool Raft::CommittedEntryInCurrentTerm() const {
  return log_.ZeroTermOnError(log_.committed()) == term_;
}

void Raft::RespondToReadIndex(const raftpb::Message& req, uint64_t read_index) {
  if (req.from() == kNone || req.from() == id_) {
    read_states_.push_back(ReadState{read_index, req.entries(0).data()});
    return;
  }
  raftpb::Message resp = Msg(raftpb::MSG_READ_INDEX_RESP, req.from());
  resp.set_index(read_index);
  *resp.mutable_entries() = req.entries();
  Send(std::move(resp));
}

void Raft::ReleasePendingReadIndexMessages() {
  if (pending_read_index_messages_.empty()) return;
  if (!CommittedEntryInCurrentTerm()) {
    logger_->error(
        "{:x} pending MsgReadIndex should be released only after first commit in "
        "current term",
        id_);
    return;
  }
  auto msgs = std::move(pending_read_index_messages_);
  pending_read_index_messages_.clear();
  for (auto& m : msgs)
    StepReadIndex(m);
}

bool Raft::IncreaseUncommittedSize(const EntryVector& ents) {
  uint64_t s = PayloadSize(ents);
  if (uncommitted_size_ > 0 && s > 0 && uncommitted_size_ + s > max_uncommitted_size_) {
    return false;
  }
  uncommitted_size_ += s;
  return true;
}

void Raft::ReduceUncommittedSize(uint64_t s) {
  if (uncommitted_size_ == 0) return;
  uncommitted_size_ = s > uncommitted_size_ ? 0 : uncommitted_size_ - s;
}

void Raft::Advance(uint64_t applied, uint64_t stable_index, uint64_t stable_term,
                   uint64_t snap_index, uint64_t applied_payload_bytes) {
  ReduceUncommittedSize(applied_payload_bytes);
  if (applied > 0) {
    uint64_t old_applied = log_.applied();
    log_.AppliedTo(applied);
    if (prs_.config.auto_leave && old_applied <= pending_conf_index_ &&
        applied >= pending_conf_index_ && state_ == StateType::kLeader) {
      // The joint configuration is applied: propose leaving it (an empty ConfChangeV2).
      EntryVector leave(1);
      leave[0].set_type(raftpb::ENTRY_CONF_CHANGE);
      RAFT_ASSERT(AppendEntries(std::move(leave)),
                  "refused un-refusable auto-leaving ConfChangeV2");
      pending_conf_index_ = log_.LastIndex();
      logger_->info("{:x} initiating automatic transition out of joint configuration {}", id_,
                    prs_.config.DebugString());
      BcastAppend();
    }
  }
  if (stable_index > 0) log_.StableTo(stable_index, stable_term);
  if (snap_index > 0) log_.StableSnapTo(snap_index);
  AckOwnStableLog();
}

}  // namespace raftkv::raft
