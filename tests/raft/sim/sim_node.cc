#include "tests/raft/sim/sim_node.h"

#include "absl/strings/str_cat.h"
#include "raftkv/raft/raft.h"

namespace raftkv::sim {

SimNode::SimNode(uint64_t id, const raft::Config& config, bool durable_state_machine)
    : id_(id), config_(config), durable_state_machine_(durable_state_machine) {
  config_.id = id;
  config_.storage = &disk_;
}

void SimNode::Bootstrap(const raftpb::ConfState& members) {
  durable_state_ = BootstrapState();
  raftpb::Snapshot snap;
  snap.set_data(durable_state_.Encode());
  snap.mutable_metadata()->set_index(durable_state_.index);
  snap.mutable_metadata()->set_term(1);
  *snap.mutable_metadata()->mutable_conf_state() = members;
  (void)disk_.ApplySnapshot(snap);
  raftpb::HardState hs;
  hs.set_term(1);
  hs.set_commit(durable_state_.index);
  disk_.SetHardState(hs);
}

absl::Status SimNode::Start(uint64_t random_seed, RestartMode mode) {
  raft::Config c = config_;
  c.random_seed = random_seed;
  state_machine_ = durable_state_;
  // Entries the disk keeps before its snapshot are in the snapshot's membership already, so
  // raft must not hand them out again.
  uint64_t snapshot_index = SnapshotIndex();
  c.applied = mode == RestartMode::kResumeAtApplied ? state_machine_.index : snapshot_index;
  auto raw = raft::RawNode::Create(c);
  if (!raw.ok()) return raw.status();
  raw_ = *std::move(raw);
  checked_commit = 0;
  checked_unstable = {};
  if (mode == RestartMode::kResumeAtApplied) {
    return ReapplyMembershipChanges(snapshot_index + 1, state_machine_.index);
  }
  return absl::OkStatus();
}

absl::Status SimNode::ReapplyMembershipChanges(uint64_t from, uint64_t to) {
  if (from > to) return absl::OkStatus();
  auto ents = disk_.Entries(from, to + 1, raft::kNoLimit);
  if (!ents.ok()) return ents.status();
  for (const raftpb::Entry& e : *ents) {
    if (e.type() != raftpb::ENTRY_CONF_CHANGE) continue;
    raftpb::ConfChangeV2 cc;
    if (!cc.ParseFromString(e.data())) return absl::DataLossError("malformed conf change");
    // An invalid change was refused alike by every member the first time: skip it again.
    (void)raw_->ApplyConfChange(cc);
  }
  return absl::OkStatus();
}

uint64_t SimNode::SnapshotIndex() const {
  auto snap = disk_.GetSnapshot();
  return snap.ok() ? snap->metadata().index() : 0;
}

void SimNode::Crash() {
  raw_.reset();
  write_.reset();
  ++restarts_;
}

void SimNode::Persist(const raft::Ready& rd) {
  if (rd.snapshot) (void)disk_.ApplySnapshot(*rd.snapshot);
  (void)disk_.Append(rd.entries);
  if (rd.hard_state) disk_.SetHardState(*rd.hard_state);
}

absl::Status SimNode::InstallSnapshot(const raftpb::Snapshot& snap) {
  auto state = StateMachineState::Decode(snap.data());
  if (!state || state->index != snap.metadata().index()) {
    return absl::DataLossError(absl::StrCat("member ", id_, " got a malformed snapshot"));
  }
  state_machine_ = *state;
  durable_state_ = *state;
  return absl::OkStatus();
}

bool SimNode::Apply(const raftpb::Entry& e) {
  if (e.index() <= state_machine_.index) return false;
  state_machine_ = {e.index(), ChainDigest(state_machine_.digest, EntryDigest(e))};
  return true;
}

void SimNode::SyncStateMachine() {
  if (durable_state_machine_) durable_state_ = state_machine_;
}

absl::Status SimNode::CreateSnapshot() {
  uint64_t index = state_machine_.index;
  // Raft's membership matches the state machine only once raft handed out all of it.
  if (raw_->raft().log().applied() != index || index <= SnapshotIndex()) {
    return absl::OkStatus();
  }
  raftpb::ConfState cs = raw_->raft().tracker().ConfState();
  auto snap = disk_.CreateSnapshot(index, &cs, state_machine_.Encode());
  if (!snap.ok()) return snap.status();
  durable_state_ = state_machine_;
  return absl::OkStatus();
}

absl::Status SimNode::CompactLog(uint64_t keep) {
  if (auto s = CreateSnapshot(); !s.ok()) return s;
  uint64_t index = SnapshotIndex();
  uint64_t compact_to = index > keep ? index - keep : index;
  if (compact_to < disk_.FirstIndex()) return absl::OkStatus();
  return disk_.Compact(compact_to);
}

}  // namespace raftkv::sim
