#include "raftkv/raft/confchange.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace raftkv::raft {
namespace {

using Changes = google::protobuf::RepeatedPtrField<raftpb::ConfChangeSingle>;

absl::Status CheckInvariants(const TrackerConfig& cfg, const ProgressMap& prs) {
  auto has = [&](uint64_t id) { return prs.contains(id); };
  for (uint64_t id : cfg.voters.IDs()) {
    if (!has(id)) return absl::InternalError(absl::StrCat("no progress for voter ", id));
  }
  for (uint64_t id : cfg.learners) {
    if (!has(id)) return absl::InternalError(absl::StrCat("no progress for learner ", id));
    if (cfg.voters.contains(id)) {
      return absl::InternalError(absl::StrCat(id, " is in learners and voters"));
    }
    if (!prs.at(id).is_learner) {
      return absl::InternalError(absl::StrCat(id, " is in learners but not marked learner"));
    }
  }
  for (uint64_t id : cfg.learners_next) {
    if (!has(id)) return absl::InternalError(absl::StrCat("no progress for ", id));
    if (!cfg.voters.outgoing.contains(id)) {
      return absl::InternalError(absl::StrCat(id, " is in learners_next but not outgoing"));
    }
    if (prs.at(id).is_learner) {
      return absl::InternalError(absl::StrCat(id, " is in learners_next but already a learner"));
    }
  }
  if (!cfg.voters.joint()) {
    if (!cfg.learners_next.empty()) return absl::InternalError("learners_next must be empty");
    if (cfg.auto_leave) return absl::InternalError("auto_leave must be false when not joint");
  }
  return absl::OkStatus();
}

absl::StatusOr<ConfigAndProgress> CheckAndReturn(TrackerConfig cfg, ProgressMap prs) {
  if (auto s = CheckInvariants(cfg, prs); !s.ok()) return s;
  return ConfigAndProgress{std::move(cfg), std::move(prs)};
}

size_t SymDiff(const MajorityConfig& a, const MajorityConfig& b) {
  size_t n = 0;
  for (uint64_t id : a.ids())
    n += b.contains(id) ? 0 : 1;
  for (uint64_t id : b.ids())
    n += a.contains(id) ? 0 : 1;
  return n;
}

raftpb::ConfChangeSingle Single(raftpb::ConfChangeType type, uint64_t id) {
  raftpb::ConfChangeSingle cc;
  cc.set_type(type);
  cc.set_node_id(id);
  return cc;
}

}  // namespace

absl::StatusOr<ConfigAndProgress> Changer::EnterJoint(bool auto_leave, const Changes& ccs) const {
  TrackerConfig cfg = tracker_.config;
  ProgressMap prs = tracker_.progress;
  if (auto s = CheckInvariants(cfg, prs); !s.ok()) return s;
  if (cfg.voters.joint()) return absl::FailedPreconditionError("config is already joint");
  if (cfg.voters.incoming.empty()) {
    return absl::FailedPreconditionError("can't make a zero-voter config joint");
  }
  cfg.voters.outgoing = cfg.voters.incoming;
  if (auto s = Apply(cfg, prs, ccs); !s.ok()) return s;
  cfg.auto_leave = auto_leave;
  return CheckAndReturn(std::move(cfg), std::move(prs));
}

absl::StatusOr<ConfigAndProgress> Changer::LeaveJoint() const {
  TrackerConfig cfg = tracker_.config;
  ProgressMap prs = tracker_.progress;
  if (auto s = CheckInvariants(cfg, prs); !s.ok()) return s;
  if (!cfg.voters.joint()) return absl::FailedPreconditionError("can't leave a non-joint config");
  for (uint64_t id : cfg.learners_next) {
    cfg.learners.insert(id);
    prs.at(id).is_learner = true;
  }
  cfg.learners_next.clear();
  for (uint64_t id : cfg.voters.outgoing.ids()) {
    if (!cfg.voters.incoming.contains(id) && !cfg.learners.contains(id)) prs.erase(id);
  }
  cfg.voters.outgoing = MajorityConfig();
  cfg.auto_leave = false;
  return CheckAndReturn(std::move(cfg), std::move(prs));
}

absl::StatusOr<ConfigAndProgress> Changer::Simple(const Changes& ccs) const {
  TrackerConfig cfg = tracker_.config;
  ProgressMap prs = tracker_.progress;
  if (auto s = CheckInvariants(cfg, prs); !s.ok()) return s;
  if (cfg.voters.joint()) {
    return absl::FailedPreconditionError("can't apply simple config change in joint config");
  }
  if (auto s = Apply(cfg, prs, ccs); !s.ok()) return s;
  if (SymDiff(tracker_.config.voters.incoming, cfg.voters.incoming) > 1) {
    return absl::InvalidArgumentError("more than one voter changed without entering joint config");
  }
  return CheckAndReturn(std::move(cfg), std::move(prs));
}

absl::Status Changer::Apply(TrackerConfig& cfg, ProgressMap& prs, const Changes& ccs) const {
  for (const auto& cc : ccs) {
    if (cc.node_id() == 0) continue;  // etcd replaces such changes with no-ops
    switch (cc.type()) {
      case raftpb::CONF_CHANGE_ADD_NODE:
        MakeVoter(cfg, prs, cc.node_id());
        break;
      case raftpb::CONF_CHANGE_ADD_LEARNER_NODE:
        MakeLearner(cfg, prs, cc.node_id());
        break;
      case raftpb::CONF_CHANGE_REMOVE_NODE:
        Remove(cfg, prs, cc.node_id());
        break;
      case raftpb::CONF_CHANGE_UPDATE_NODE:
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat("unexpected conf type ", cc.type()));
    }
  }
  if (cfg.voters.incoming.empty()) return absl::InvalidArgumentError("removed all voters");
  return absl::OkStatus();
}

void Changer::MakeVoter(TrackerConfig& cfg, ProgressMap& prs, uint64_t id) const {
  auto it = prs.find(id);
  if (it == prs.end()) {
    InitProgress(cfg, prs, id, false);
    return;
  }
  it->second.is_learner = false;
  cfg.learners.erase(id);
  cfg.learners_next.erase(id);
  cfg.voters.incoming.ids().insert(id);
}

void Changer::MakeLearner(TrackerConfig& cfg, ProgressMap& prs, uint64_t id) const {
  auto it = prs.find(id);
  if (it == prs.end()) {
    InitProgress(cfg, prs, id, true);
    return;
  }
  if (it->second.is_learner) return;
  Progress saved = it->second;
  // Drop the voter from the incoming config, keeping its progress.
  Remove(cfg, prs, id);
  auto [pos, _] = prs.insert_or_assign(id, std::move(saved));
  // A voter of the outgoing config can only become a learner when the joint state is left.
  if (cfg.voters.outgoing.contains(id)) {
    cfg.learners_next.insert(id);
  } else {
    pos->second.is_learner = true;
    cfg.learners.insert(id);
  }
}

void Changer::Remove(TrackerConfig& cfg, ProgressMap& prs, uint64_t id) const {
  if (!prs.contains(id)) return;
  cfg.voters.incoming.ids().erase(id);
  cfg.learners.erase(id);
  cfg.learners_next.erase(id);
  // A voter of the outgoing config keeps its progress until the joint state is left.
  if (!cfg.voters.outgoing.contains(id)) prs.erase(id);
}

void Changer::InitProgress(TrackerConfig& cfg, ProgressMap& prs, uint64_t id, bool learner) const {
  if (learner) {
    cfg.learners.insert(id);
  } else {
    cfg.voters.incoming.ids().insert(id);
  }
  Progress pr = tracker_.MakeProgress(std::max<uint64_t>(last_index_, 1), learner);
  // A new member counts as active so that CheckQuorum does not depose the leader at once.
  pr.recent_active = true;
  prs.insert_or_assign(id, std::move(pr));
}

absl::Status RestoreConfState(ProgressTracker& tracker, uint64_t last_index,
                              const raftpb::ConfState& cs) {
  Changes outgoing, incoming;
  for (uint64_t id : cs.voters_outgoing()) {
    *outgoing.Add() = Single(raftpb::CONF_CHANGE_ADD_NODE, id);
    *incoming.Add() = Single(raftpb::CONF_CHANGE_REMOVE_NODE, id);
  }
  for (uint64_t id : cs.voters())
    *incoming.Add() = Single(raftpb::CONF_CHANGE_ADD_NODE, id);
  for (uint64_t id : cs.learners()) {
    *incoming.Add() = Single(raftpb::CONF_CHANGE_ADD_LEARNER_NODE, id);
  }
  for (uint64_t id : cs.learners_next()) {
    *incoming.Add() = Single(raftpb::CONF_CHANGE_ADD_LEARNER_NODE, id);
  }
  auto apply = [&](const absl::StatusOr<ConfigAndProgress>& r) -> absl::Status {
    if (!r.ok()) return r.status();
    tracker.config = r->first;
    tracker.progress = r->second;
    return absl::OkStatus();
  };
  // Changes are applied one at a time (each a Simple change), so that a joint state is
  // rebuilt by first making the outgoing config the active one, then entering joint.
  const Changes& simple = outgoing.empty() ? incoming : outgoing;
  for (const auto& cc : simple) {
    Changes one;
    *one.Add() = cc;
    if (auto s = apply(Changer(tracker, last_index).Simple(one)); !s.ok()) return s;
  }
  if (!outgoing.empty()) {
    return apply(Changer(tracker, last_index).EnterJoint(cs.auto_leave(), incoming));
  }
  return absl::OkStatus();
}

bool EntersJoint(const raftpb::ConfChangeV2& cc, bool* auto_leave) {
  if (cc.transition() == raftpb::CONF_CHANGE_TRANSITION_AUTO && cc.changes_size() <= 1) {
    return false;
  }
  *auto_leave = cc.transition() != raftpb::CONF_CHANGE_TRANSITION_JOINT_EXPLICIT;
  return true;
}

bool LeavesJoint(const raftpb::ConfChangeV2& cc) {
  return cc.transition() == raftpb::CONF_CHANGE_TRANSITION_AUTO && cc.changes_size() == 0;
}

}  // namespace raftkv::raft
