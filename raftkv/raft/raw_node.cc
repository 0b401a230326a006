#include "raftkv/raft/raw_node.h"

#include "raftkv/raft/errors.h"
#include "raftkv/raft/raft.h"

namespace raftkv::raft {
namespace {

bool HardStateEqual(const raftpb::HardState& a, const raftpb::HardState& b) {
  return a.term() == b.term() && a.vote() == b.vote() && a.commit() == b.commit();
}

bool HardStateEmpty(const raftpb::HardState& hs) {
  return hs.term() == 0 && hs.vote() == 0 && hs.commit() == 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RawNode>> RawNode::Create(const Config& config) {
  auto r = Raft::Create(config);
  if (!r.ok()) return r.status();
  return std::unique_ptr<RawNode>(new RawNode(*std::move(r)));  // NOLINT: private constructor
}

RawNode::RawNode(std::unique_ptr<Raft> raft) : raft_(std::move(raft)) {
  prev_soft_state_ = raft_->soft_state();
  prev_hard_state_ = raft_->hard_state();
}

RawNode::~RawNode() = default;

void RawNode::Tick() {
  raft_->Tick();
}

absl::Status RawNode::Campaign() {
  raftpb::Message m;
  m.set_type(raftpb::MSG_HUP);
  return raft_->Step(std::move(m));
}

absl::Status RawNode::Propose(std::string data) {
  std::vector<std::string> batch;
  batch.push_back(std::move(data));
  return Propose(std::move(batch));
}

absl::Status RawNode::Propose(std::vector<std::string> batch) {
  if (batch.empty()) return absl::OkStatus();
  raftpb::Message m;
  m.set_type(raftpb::MSG_PROP);
  m.set_from(raft_->id());
  m.mutable_entries()->Reserve(static_cast<int>(batch.size()));
  for (auto& data : batch)
    m.add_entries()->set_data(std::move(data));
  return raft_->Step(std::move(m));
}

absl::Status RawNode::ProposeConfChange(const raftpb::ConfChangeV2& cc) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_PROP);
  m.set_from(raft_->id());
  raftpb::Entry* e = m.add_entries();
  e->set_type(raftpb::ENTRY_CONF_CHANGE);
  e->set_data(cc.SerializeAsString());
  return raft_->Step(std::move(m));
}

absl::StatusOr<raftpb::ConfState> RawNode::ApplyConfChange(const raftpb::ConfChangeV2& cc) {
  return raft_->ApplyConfChange(cc);
}

absl::Status RawNode::Step(raftpb::Message m) {
  if (IsLocalMsg(m.type())) return ErrStepLocalMsg();
  if (IsResponseMsg(m.type()) && !raft_->tracker().progress.contains(m.from())) {
    return ErrStepPeerNotFound();
  }
  return raft_->Step(std::move(m));
}

void RawNode::ReadIndex(std::string ctx) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_READ_INDEX);
  m.add_entries()->set_data(std::move(ctx));
  (void)raft_->Step(std::move(m));
}

void RawNode::TransferLeader(uint64_t transferee) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_TRANSFER_LEADER);
  m.set_from(transferee);
  (void)raft_->Step(std::move(m));
}

void RawNode::ReportUnreachable(uint64_t id) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_UNREACHABLE);
  m.set_from(id);
  (void)raft_->Step(std::move(m));
}

void RawNode::ReportSnapshot(uint64_t id, bool failed) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_SNAP_STATUS);
  m.set_from(id);
  m.set_reject(failed);
  (void)raft_->Step(std::move(m));
}

bool RawNode::HasReady() const {
  const Raft& r = *raft_;
  if (!(r.soft_state() == prev_soft_state_)) return true;
  raftpb::HardState hs = r.hard_state();
  if (!HardStateEmpty(hs) && !HardStateEqual(hs, prev_hard_state_)) return true;
  if (r.log().HasPendingSnapshot()) return true;
  if (!r.msgs().empty() || !r.log().unstable().entries().empty()) return true;
  if (r.log().HasNextCommittedEntries()) return true;
  return !r.read_states().empty();
}

Ready RawNode::GetReady() {
  Raft& r = *raft_;
  Ready rd;
  rd.entries = r.log().UnstableEntries();
  rd.committed_entries = r.log().NextCommittedEntries();
  rd.messages = std::move(r.msgs());
  r.msgs().clear();
  SoftState ss = r.soft_state();
  if (!(ss == prev_soft_state_)) {
    rd.soft_state = ss;
    prev_soft_state_ = ss;
  }
  raftpb::HardState hs = r.hard_state();
  bool term_or_vote_changed =
      hs.term() != prev_hard_state_.term() || hs.vote() != prev_hard_state_.vote();
  if (!HardStateEqual(hs, prev_hard_state_)) {
    rd.hard_state = hs;
    prev_hard_state_ = hs;
  }
  if (r.log().unstable().snapshot()) rd.snapshot = *r.log().unstable().snapshot();
  rd.read_states = std::move(r.read_states());
  r.read_states().clear();
  rd.must_sync = term_or_vote_changed || !rd.entries.empty();

  accepted_ = Accepted{};
  if (!rd.committed_entries.empty()) {
    accepted_.applied = rd.committed_entries.back().index();
    for (const auto& e : rd.committed_entries) {
      accepted_.committed_payload_bytes += e.data().size();
    }
  } else if (rd.snapshot) {
    accepted_.applied = rd.snapshot->metadata().index();
  }
  if (!rd.entries.empty()) {
    accepted_.stable_index = rd.entries.back().index();
    accepted_.stable_term = rd.entries.back().term();
  }
  if (rd.snapshot) accepted_.snap_index = rd.snapshot->metadata().index();
  return rd;
}

void RawNode::Advance() {
  Accepted a = accepted_;
  accepted_ = Accepted{};
  raft_->Advance(a.applied, a.stable_index, a.stable_term, a.snap_index, a.committed_payload_bytes);
}

Status RawNode::GetStatus() const {
  Status s;
  s.id = raft_->id();
  s.hard_state = raft_->hard_state();
  s.soft_state = raft_->soft_state();
  s.applied = raft_->log().applied();
  s.lead_transferee = raft_->lead_transferee();
  s.config = raft_->tracker().config;
  if (s.soft_state.state == StateType::kLeader) {
    for (const auto& [id, pr] : raft_->tracker().progress)
      s.progress.emplace(id, pr);
  }
  return s;
}

uint64_t RawNode::id() const {
  return raft_->id();
}
SoftState RawNode::soft_state() const {
  return raft_->soft_state();
}
raftpb::HardState RawNode::hard_state() const {
  return raft_->hard_state();
}

}  // namespace raftkv::raft
