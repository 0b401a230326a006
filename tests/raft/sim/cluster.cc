#include "tests/raft/sim/cluster.h"

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "raftkv/raft/raft.h"

namespace raftkv::sim {
namespace {

using raft::StateType;

// Raft's own log lines would drown the run: the simulation narrates what matters itself.
std::shared_ptr<spdlog::logger> SilentLogger() {
  static auto logger = [] {
    auto l = std::make_shared<spdlog::logger>("raft-sim",
                                              std::make_shared<spdlog::sinks::null_sink_st>());
    l->set_level(spdlog::level::off);
    return l;
  }();
  return logger;
}

std::set<uint64_t> Members(const raftpb::ConfState& cs) {
  std::set<uint64_t> ids;
  for (const auto* list :
       {&cs.voters(), &cs.learners(), &cs.voters_outgoing(), &cs.learners_next()}) {
    ids.insert(list->begin(), list->end());
  }
  return ids;
}

raftpb::ConfChangeSingle Change(raftpb::ConfChangeType type, uint64_t id) {
  raftpb::ConfChangeSingle c;
  c.set_type(type);
  c.set_node_id(id);
  return c;
}

std::string Describe(const raftpb::ConfChangeV2& cc) {
  if (cc.changes().empty()) return "leave joint configuration";
  std::vector<std::string> parts;
  for (const auto& c : cc.changes()) {
    const char* verb = c.type() == raftpb::CONF_CHANGE_ADD_NODE           ? "add voter "
                       : c.type() == raftpb::CONF_CHANGE_ADD_LEARNER_NODE ? "add learner "
                                                                          : "remove ";
    parts.push_back(absl::StrCat(verb, c.node_id()));
  }
  std::string s = absl::StrJoin(parts, " + ");
  if (cc.changes_size() > 1) {
    absl::StrAppend(&s, cc.transition() == raftpb::CONF_CHANGE_TRANSITION_JOINT_EXPLICIT
                            ? " (joint, explicit leave)"
                            : " (joint, automatic leave)");
  }
  return s;
}

}  // namespace

Cluster::Cluster(const SimOptions& options)
    : options_(options), random_(options.seed), network_(random_), faults_(random_, [&] {
        FaultRates r = FaultRates::Random(random_);
        for (double* rate :
             {&r.partition, &r.one_way_cut, &r.crash, &r.crash_while_writing, &r.isolate_new_leader,
              &r.bad_network, &r.membership_change, &r.leader_transfer}) {
          *rate *= options.fault_intensity;
        }
        return r;
      }()) {}

raft::Config Cluster::RandomConfig() {
  raft::Config c;
  c.election_tick = kElectionTick;
  c.heartbeat_tick = 1;
  c.pre_vote = random_.Chance(0.85);
  c.check_quorum = random_.Chance(0.85);
  // Tiny messages and Ready batches split replication into one entry at a time, which opens
  // the windows that the subtle rules (commit only the current term, ...) guard.
  bool tiny_messages = random_.Chance(0.3);
  c.max_size_per_msg = tiny_messages ? 1 : random_.Pick(std::vector<uint64_t>{64, 1 << 20});
  c.max_committed_size_per_ready = random_.Chance(0.3) ? 256 : 0;
  // A small window only with larger messages, or replication falls behind the clients.
  c.max_inflight_msgs = static_cast<int>(random_.Pick(
      tiny_messages ? std::vector<uint64_t>{64, 256} : std::vector<uint64_t>{4, 16, 256}));
  c.max_uncommitted_entries_size = random_.Chance(0.5) ? 2048 : 0;
  c.logger = SilentLogger();
  return c;
}

void Cluster::Boot() {
  int members = options_.members != 0
                    ? options_.members
                    : static_cast<int>(random_.Pick(std::vector<uint64_t>{3, 5, 7}));
  config_template_ = RandomConfig();
  calm_network_.drop = random_.Chance(0.5) ? 0.01 : 0;
  calm_network_.duplicate = random_.Chance(0.5) ? 0.01 : 0;
  calm_network_.long_delay = random_.Chance(0.5) ? 0.01 : 0;
  network_.set_conditions(calm_network_);
  instant_write_chance_ = random_.Pick(std::vector<double>{0.2, 0.5, 0.9});
  max_write_steps_ = random_.Between(2, 20);
  report_.members = members;
  report_.pre_vote = config_template_.pre_vote;
  report_.check_quorum = config_template_.check_quorum;

  raftpb::ConfState initial;
  for (int i = 0; i < members; ++i)
    initial.add_voters(next_node_id_++);
  checker_.Bootstrap(BootstrapState(), 1);
  for (uint64_t id : initial.voters())
    AddNode(id, &initial);
  Narrate(absl::StrCat("boot: ", members, " members, pre_vote=", config_template_.pre_vote,
                       ", check_quorum=", config_template_.check_quorum));
  narrated_committed_ = checker_.committed_index();
}

void Cluster::AddNode(uint64_t id, const raftpb::ConfState* bootstrap) {
  auto node = std::make_unique<SimNode>(id, config_template_, random_.Chance(0.5));
  if (bootstrap != nullptr) node->Bootstrap(*bootstrap);
  SimNode& n = *node;
  nodes_[id] = std::move(node);
  ever_added_.insert(id);
  StartNode(n, RestartMode::kReplayAfterSnapshot);
}

void Cluster::StartNode(SimNode& node, RestartMode mode) {
  tick_phase_[node.id()] = random_.Between(0, kStepsPerTick - 1);
  Check(node.Start(random_.Next() | 1, mode));
  if (!node.running()) return;
  Check(checker_.ObserveStateMachine(node.id(), node.state_machine()));
  Observe(node);
}

SimReport Cluster::Run() {
  Boot();
  uint64_t fault_steps = options_.fault_ticks * kStepsPerTick;
  while (failure_.ok() && now_ < fault_steps)
    RunStep();
  if (failure_.ok()) Check(CheckLiveness());
  report_.status = failure_;
  report_.violated = checker_.violated();
  report_.ticks = now_ / kStepsPerTick;
  report_.committed_index = checker_.committed_index();
  report_.acknowledged = checker_.acknowledged();
  report_.leaders_elected = checker_.leaders_elected();
  report_.network = network_.stats();
  return report_;
}

void Cluster::RunStep() {
  ++now_;
  if (now_ % kStepsPerTick == 0) OnTick();
  if (pending_isolation_ && pending_isolation_->second <= now_) {
    Isolate(pending_isolation_->first);
    pending_isolation_.reset();
  }
  TickNodes();
  DeliverMessages();
  for (auto& [id, node] : nodes_) {
    if (!failure_.ok()) return;
    if (node->running()) DriveReady(*node);
  }
  RemoveDecommissioned();
}

void Cluster::OnTick() {
  uint64_t tick = now_ / kStepsPerTick;
  for (const Repair& r : faults_.RepairsDue(tick))
    ApplyRepair(r);
  if (faults_on_) {
    for (FaultKind kind : faults_.Starting())
      StartFault(kind);
    ProposeClientRequests();
  }
  LeaveJointIfExplicit();
  RetryProposals();
  if (options_.narrate && tick % kTicksPerSecond == 0) NarrateProgress();
}

void Cluster::NarrateProgress() {
  uint64_t committed = checker_.committed_index();
  SimNode* leader = Leader();
  Narrate(absl::StrCat("+", committed - narrated_committed_,
                       " entries committed this second (index ", committed, "), leader ",
                       leader != nullptr ? absl::StrCat(leader->id()) : "none", ", invariants ",
                       failure_.ok() ? "OK" : "VIOLATED"));
  narrated_committed_ = committed;
}

void Cluster::TickNodes() {
  for (auto& [id, node] : nodes_) {
    if (!node->running() || (now_ + tick_phase_[id]) % kStepsPerTick != 0) continue;
    node->raw().Tick();
    Observe(*node);
  }
}

void Cluster::DeliverMessages() {
  for (raftpb::Message& m : network_.TakeArrived(now_)) {
    if (!failure_.ok()) return;
    Deliver(std::move(m));
  }
}

void Cluster::Deliver(raftpb::Message m) {
  uint64_t from = m.from(), to = m.to();
  bool is_snapshot = m.type() == raftpb::MSG_SNAP;
  SimNode* receiver = Node(to);
  bool cut = network_.IsCut(from, to);
  if (cut) network_.CountBlocked();
  if (receiver != nullptr && !cut) {
    (void)receiver->raw().Step(std::move(m));
    Observe(*receiver);
  }
  // The transport tells the sender what became of a snapshot or an undeliverable message.
  bool delivered = receiver != nullptr && !cut;
  SimNode* sender = Node(from);
  if (sender == nullptr || (delivered && !is_snapshot)) return;
  if (is_snapshot) {
    sender->raw().ReportSnapshot(to, !delivered);
  } else if (!delivered) {
    sender->raw().ReportUnreachable(to);
  }
  Observe(*sender);
}

void Cluster::DriveReady(SimNode& node) {
  while (failure_.ok() && node.running()) {
    if (auto& w = node.write()) {
      if (now_ < w->done_at) return;
      FinishWrite(node);
      continue;
    }
    if (!node.raw().HasReady()) return;
    BeginWrite(node);
  }
}

void Cluster::BeginWrite(SimNode& node) {
  SimNode::Write w;
  w.ready = node.raw().GetReady();
  const raft::Raft& r = node.raw().raft();
  if (!w.ready.entries.empty()) {
    uint64_t prev = w.ready.entries.front().index() - 1;
    if (auto t = r.log().Term(prev); t.ok() && (*t != 0 || prev == 0)) {
      Check(checker_.ObserveAppended(node.id(), *t, w.ready.entries));
    }
  }
  // Only an fdatasync takes time; a Ready with nothing to make durable completes at once.
  bool needs_sync = w.ready.must_sync || w.ready.snapshot.has_value();
  bool slow = needs_sync && !random_.Chance(instant_write_chance_);
  w.done_at = now_ + (slow ? random_.Between(1, max_write_steps_) : 0);
  // The leader sends while it writes (ready.h allows it): followers may acknowledge entries
  // the leader itself has not made durable yet.
  bool leader = r.state() == StateType::kLeader;
  if (leader) {
    Send(node, std::move(w.ready.messages));
    w.messages_sent = true;
  }
  if (leader && slow && crash_next_leader_write_ && !w.ready.entries.empty()) {
    crash_next_leader_write_ = false;
    w.crash_before_durable = true;
  }
  node.write() = std::move(w);
}

void Cluster::FinishWrite(SimNode& node) {
  SimNode::Write w = std::move(*node.write());
  node.write().reset();
  if (w.crash_before_durable) {
    CrashNode(node, "just before its write became durable");
    return;
  }
  node.Persist(w.ready);
  if (!w.messages_sent) Send(node, std::move(w.ready.messages));
  if (w.ready.snapshot) {
    Check(node.InstallSnapshot(*w.ready.snapshot));
    Check(checker_.ObserveStateMachine(node.id(), node.state_machine()));
  }
  bool membership_changed = false;
  for (const raftpb::Entry& e : w.ready.committed_entries) {
    if (!failure_.ok()) return;
    ApplyEntry(node, e);
    membership_changed |= e.type() == raftpb::ENTRY_CONF_CHANGE;
  }
  node.SyncStateMachine();
  node.raw().Advance();
  if (membership_changed) Check(node.CreateSnapshot());
  Observe(node);
}

void Cluster::Send(SimNode& from, std::vector<raftpb::Message> messages) {
  for (raftpb::Message& m : messages) {
    bool is_snapshot = m.type() == raftpb::MSG_SNAP;
    uint64_t to = m.to();
    if (is_snapshot) ++report_.snapshots_sent;
    if (!network_.Send(std::move(m), now_) && is_snapshot) {
      from.raw().ReportSnapshot(to, true);
    }
  }
}

void Cluster::ApplyEntry(SimNode& node, const raftpb::Entry& e) {
  if (e.type() == raftpb::ENTRY_CONF_CHANGE) {
    raftpb::ConfChangeV2 cc;
    if (!cc.ParseFromString(e.data())) {
      Check(absl::DataLossError(absl::StrCat("malformed conf change at index ", e.index())));
      return;
    }
    // An invalid change is refused alike by every member; it changes nothing.
    if (auto cs = node.raw().ApplyConfChange(cc); cs.ok()) OnMembershipApplied(e.index(), *cs);
    Observe(node);
  }
  if (!node.Apply(e)) return;
  Check(checker_.ObserveApplied(node.id(), e));
  auto proposal = ProposalId(e);
  if (!proposal) return;
  auto it = pending_.find(*proposal);
  if (it == pending_.end()) return;
  bool leader = node.raw().raft().state() == StateType::kLeader;
  if (it->second.proposer != node.id() && !leader) return;
  checker_.RecordAcknowledged(*proposal, e.index());
  pending_.erase(it);
}

void Cluster::OnMembershipApplied(uint64_t index, const raftpb::ConfState& cs) {
  if (index <= last_membership_index_) return;
  last_membership_index_ = index;
  std::set<uint64_t> members = Members(cs);
  for (uint64_t id : members) {
    if (ever_added_.contains(id)) continue;
    Narrate(absl::StrCat("member ", id, " joins (empty disk; catches up by snapshot)"));
    AddNode(id, nullptr);
  }
  for (const auto& [id, node] : nodes_) {
    if (members.contains(id) || decommission_at_.contains(id)) continue;
    Narrate(absl::StrCat("member ", id, " removed from the configuration; it stops"));
    decommission_at_[id] = now_ + kStepsPerTick;
  }
  ++report_.membership_changes;
}

void Cluster::RemoveDecommissioned() {
  for (auto it = decommission_at_.begin(); it != decommission_at_.end();) {
    if (it->second > now_) {
      ++it;
      continue;
    }
    nodes_.erase(it->first);
    it = decommission_at_.erase(it);
  }
}

void Cluster::Observe(SimNode& node) {
  if (!failure_.ok() || !node.running()) return;
  const raft::Raft& r = node.raw().raft();
  const raft::RaftLog& log = r.log();
  // Log matching first: a broken append must be reported as such, not as what it leads to.
  const raft::EntryVector& unstable = log.unstable().entries();
  if (!unstable.empty()) {
    std::tuple<uint64_t, uint64_t, uint64_t> key{unstable.front().index(), unstable.back().index(),
                                                 unstable.back().term()};
    uint64_t prev = unstable.front().index() - 1;
    if (auto t = log.Term(prev); key != node.checked_unstable && t.ok() && (*t != 0 || prev == 0)) {
      Check(checker_.ObserveAppended(node.id(), *t, unstable));
      node.checked_unstable = key;
    }
  }
  if (r.state() == StateType::kLeader) {
    LogTerms view{log.FirstIndex(), log.LastIndex(),
                  [&log](uint64_t i) { return log.ZeroTermOnError(i); }};
    Check(checker_.ObserveLeader(node.id(), r.term(), view));
    if (r.term() > narrated_leader_term_) {
      narrated_leader_term_ = r.term();
      Narrate(absl::StrCat("member ", node.id(), " elected leader of term ", r.term()));
      if (isolate_next_leader_) {
        // Right away, or after it has replicated a little: both open interesting windows.
        isolate_next_leader_ = false;
        pending_isolation_ = {node.id(), now_ + random_.Between(0, 3 * kStepsPerTick)};
      }
    }
  }
  uint64_t committed = log.committed();
  if (committed <= node.checked_commit) return;
  uint64_t first = log.FirstIndex();
  if (first - 1 > node.checked_commit) {
    Check(checker_.ObserveCommittedSnapshot(node.id(), first - 1, log.ZeroTermOnError(first - 1)));
  }
  uint64_t lo = std::max(node.checked_commit + 1, first);
  if (lo <= committed) {
    if (auto ents = log.Slice(lo, committed + 1, raft::kNoLimit); ents.ok()) {
      Check(checker_.ObserveCommitted(node.id(), *ents));
    }
  }
  node.checked_commit = committed;
}

void Cluster::Check(const absl::Status& s) {
  if (!s.ok() && failure_.ok()) failure_ = s;
}

void Cluster::StartFault(FaultKind kind) {
  switch (kind) {
    case FaultKind::kPartition:
      Partition();
      break;
    case FaultKind::kOneWayCut:
      CutOneWay();
      break;
    case FaultKind::kCrash:
      CrashSomeone();
      break;
    case FaultKind::kCrashWhileWriting:
      crash_next_leader_write_ = true;
      break;
    case FaultKind::kIsolateNewLeader:
      isolate_next_leader_ = true;
      break;
    case FaultKind::kBadNetwork:
      WorsenNetwork();
      break;
    case FaultKind::kMembershipChange:
      ChangeMembership();
      break;
    case FaultKind::kLeaderTransfer:
      TransferLeadership();
      break;
    case FaultKind::kCompaction:
      Compact();
      break;
  }
}

void Cluster::Partition() {
  std::vector<uint64_t> ids;
  for (const auto& [id, node] : nodes_)
    ids.push_back(id);
  std::vector<uint64_t> side, other;
  for (uint64_t id : ids)
    (random_.Chance(0.4) ? side : other).push_back(id);
  if (side.empty() || other.empty()) return;
  Repair repair{Repair::Kind::kRestoreLinks, 0, {}};
  for (uint64_t a : side) {
    for (uint64_t b : other) {
      network_.Cut(a, b);
      network_.Cut(b, a);
      repair.links.push_back({a, b});
      repair.links.push_back({b, a});
    }
  }
  uint64_t ticks = Duration(5, 150);
  ++report_.partitions;
  Narrate(absl::StrCat("partition {", absl::StrJoin(side, ","), "} | {", absl::StrJoin(other, ","),
                       "} for ", ticks, " ticks"));
  faults_.RepairAt(now_ / kStepsPerTick + ticks, std::move(repair));
}

void Cluster::Isolate(uint64_t id) {
  Repair repair{Repair::Kind::kRestoreLinks, 0, {}};
  for (const auto& [other, node] : nodes_) {
    if (other == id) continue;
    for (auto link : {std::make_pair(id, other), std::make_pair(other, id)}) {
      network_.Cut(link.first, link.second);
      repair.links.push_back(link);
    }
  }
  uint64_t ticks = Duration(5, 80);
  ++report_.partitions;
  Narrate(absl::StrCat("new leader ", id, " isolated for ", ticks, " ticks"));
  faults_.RepairAt(now_ / kStepsPerTick + ticks, std::move(repair));
}

void Cluster::CutOneWay() {
  std::vector<uint64_t> ids;
  for (const auto& [id, node] : nodes_)
    ids.push_back(id);
  uint64_t a = random_.Pick(ids);
  Repair repair{Repair::Kind::kRestoreLinks, 0, {}};
  bool inbound = random_.Chance(0.5);
  bool all_links = random_.Chance(0.5);
  uint64_t only = random_.Pick(ids);
  for (uint64_t b : ids) {
    if (b == a || (!all_links && b != only)) continue;
    auto link = inbound ? std::make_pair(b, a) : std::make_pair(a, b);
    network_.Cut(link.first, link.second);
    repair.links.push_back(link);
  }
  if (repair.links.empty()) return;
  uint64_t ticks = Duration(5, 150);
  ++report_.partitions;
  Narrate(absl::StrCat("one-way cut: member ", a, inbound ? " hears from" : " reaches",
                       all_links ? " nobody" : absl::StrCat(" not ", only), " for ", ticks,
                       " ticks"));
  faults_.RepairAt(now_ / kStepsPerTick + ticks, std::move(repair));
}

void Cluster::CrashNode(SimNode& node, const std::string& why) {
  node.Crash();
  ++report_.crashes;
  uint64_t ticks = Duration(3, 100);
  Narrate(absl::StrCat("member ", node.id(), " crashes", why.empty() ? "" : " ", why,
                       "; restarts in ", ticks, " ticks"));
  faults_.RepairAt(now_ / kStepsPerTick + ticks, Repair{Repair::Kind::kRestart, node.id(), {}});
}

void Cluster::CrashSomeone() {
  std::vector<SimNode*> running = RunningNodes();
  if (running.size() * 2 < nodes_.size()) return;  // a majority is down already
  SimNode* leader = Leader();
  SimNode* victim = leader != nullptr && random_.Chance(0.4) ? leader : random_.Pick(running);
  CrashNode(*victim, victim == leader ? "(the leader)" : "");
}

void Cluster::WorsenNetwork() {
  NetworkConditions bad = calm_network_;
  bad.drop = random_.Pick(std::vector<double>{0.05, 0.2, 0.4});
  bad.duplicate = random_.Pick(std::vector<double>{0.0, 0.05, 0.2});
  bad.long_delay = random_.Pick(std::vector<double>{0.0, 0.1, 0.3});
  bad.max_delay = random_.Between(4, 12);
  network_.set_conditions(bad);
  uint64_t ticks = Duration(10, 100);
  Narrate(absl::StrCat("bad network: drop ", bad.drop, ", duplicate ", bad.duplicate, ", reorder ",
                       bad.long_delay, " for ", ticks, " ticks"));
  faults_.RepairAt(now_ / kStepsPerTick + ticks, Repair{Repair::Kind::kCalmNetwork, 0, {}});
}

void Cluster::ChangeMembership() {
  SimNode* leader = Leader();
  if (leader == nullptr) return;
  const raft::TrackerConfig& cfg = leader->raw().raft().tracker().config;
  if (cfg.voters.joint()) return;
  std::vector<uint64_t> voters = cfg.voters.incoming.Slice();
  std::vector<uint64_t> learners(cfg.learners.begin(), cfg.learners.end());
  size_t min_voters = 3;
  raftpb::ConfChangeV2 cc;
  switch (random_.Between(0, 4)) {
    case 0:  // add a learner, on a fresh id as etcd requires
      if (nodes_.size() >= static_cast<size_t>(report_.members) + 2) return;
      *cc.add_changes() = Change(raftpb::CONF_CHANGE_ADD_LEARNER_NODE, next_node_id_);
      break;
    case 1:  // promote a learner
      if (learners.empty()) return;
      *cc.add_changes() = Change(raftpb::CONF_CHANGE_ADD_NODE, random_.Pick(learners));
      break;
    case 2:  // remove a voter (possibly the leader)
      if (voters.size() <= min_voters) return;
      *cc.add_changes() = Change(raftpb::CONF_CHANGE_REMOVE_NODE, random_.Pick(voters));
      break;
    case 3:  // remove a learner
      if (learners.empty()) return;
      *cc.add_changes() = Change(raftpb::CONF_CHANGE_REMOVE_NODE, random_.Pick(learners));
      break;
    default:  // joint consensus: promote a learner while removing or demoting a voter
      if (learners.empty()) return;
      *cc.add_changes() = Change(raftpb::CONF_CHANGE_ADD_NODE, random_.Pick(learners));
      *cc.add_changes() = Change(random_.Chance(0.5) ? raftpb::CONF_CHANGE_REMOVE_NODE
                                                     : raftpb::CONF_CHANGE_ADD_LEARNER_NODE,
                                 random_.Pick(voters));
      cc.set_transition(static_cast<raftpb::ConfChangeTransition>(random_.Between(0, 2)));
  }
  if (!leader->raw().ProposeConfChange(cc).ok()) return;
  if (cc.changes(0).node_id() == next_node_id_) ++next_node_id_;
  Narrate(absl::StrCat("leader ", leader->id(), " proposes membership change: ", Describe(cc)));
  Observe(*leader);
}

void Cluster::LeaveJointIfExplicit() {
  SimNode* leader = Leader();
  if (leader == nullptr) return;
  const raft::TrackerConfig& cfg = leader->raw().raft().tracker().config;
  if (!cfg.voters.joint() || cfg.auto_leave) return;
  if (leader->raw().ProposeConfChange(raftpb::ConfChangeV2()).ok()) {
    Narrate(absl::StrCat("leader ", leader->id(), " proposes leaving the joint configuration"));
  }
  Observe(*leader);
}

void Cluster::TransferLeadership() {
  SimNode* leader = Leader();
  if (leader == nullptr) return;
  std::vector<uint64_t> voters = leader->raw().raft().tracker().config.voters.incoming.Slice();
  uint64_t to = random_.Pick(voters);
  if (to == leader->id()) return;
  ++report_.leader_transfers;
  Narrate(absl::StrCat("leader ", leader->id(), " asked to transfer leadership to ", to));
  leader->raw().TransferLeader(to);
  Observe(*leader);
}

void Cluster::Compact() {
  std::vector<SimNode*> running = RunningNodes();
  if (running.empty()) return;
  SimNode* node = random_.Pick(running);
  Check(node->CompactLog(random_.Between(0, 5)));
}

void Cluster::ApplyRepair(const Repair& r) {
  switch (r.kind) {
    case Repair::Kind::kRestoreLinks:
      for (const auto& [from, to] : r.links)
        network_.Restore(from, to);
      if (!network_.HasCuts()) Narrate("network partitions healed");
      break;
    case Repair::Kind::kCalmNetwork:
      network_.set_conditions(calm_network_);
      Narrate("network calm again");
      break;
    case Repair::Kind::kRestart:
      SimNode* node = nodes_.contains(r.node) ? nodes_[r.node].get() : nullptr;
      if (node == nullptr || node->running()) return;
      RestartMode mode =
          random_.Chance(0.5) ? RestartMode::kResumeAtApplied : RestartMode::kReplayAfterSnapshot;
      Narrate(absl::StrCat("member ", r.node, " restarts from its disk"));
      StartNode(*node, mode);
      break;
  }
}

void Cluster::ProposeClientRequests() {
  if (!random_.Chance(0.5)) return;
  std::vector<uint64_t> ids;
  for (uint64_t n = random_.Between(1, 3); n > 0; --n)
    ids.push_back(next_proposal_id_++);
  report_.proposals += ids.size();
  Propose(ids);
}

void Cluster::RetryProposals() {
  uint64_t tick = now_ / kStepsPerTick;
  std::vector<uint64_t> due;
  for (const auto& [id, p] : pending_) {
    if (p.retry_at <= tick) due.push_back(id);
  }
  // One at a time, like independent clients timing out.
  for (uint64_t id : due)
    Propose({id});
}

void Cluster::Propose(const std::vector<uint64_t>& ids) {
  SimNode* target = ProposalTarget();
  uint64_t tick = now_ / kStepsPerTick;
  for (uint64_t id : ids) {
    // Clients back off: a slow cluster must not drown in retries of proposals it still has.
    Proposal& p = pending_[id];
    uint64_t backoff =
        std::min<uint64_t>(retry_ticks_ << std::min<uint64_t>(p.attempts, 3), 8 * retry_ticks_);
    p = Proposal{target != nullptr ? target->id() : 0, tick + backoff, p.attempts + 1};
  }
  if (target == nullptr) return;
  std::vector<std::string> batch;
  for (uint64_t id : ids)
    batch.push_back(ProposalData(id));
  // A refused proposal is retried by its client after the timeout like a lost one.
  (void)target->raw().Propose(std::move(batch));
  Observe(*target);
}

SimNode* Cluster::ProposalTarget() {
  SimNode* leader = Leader();
  if (leader != nullptr && random_.Chance(0.7)) return leader;
  std::vector<SimNode*> running = RunningNodes();
  return running.empty() ? nullptr : random_.Pick(running);
}

void Cluster::Heal() {
  faults_on_ = false;
  crash_next_leader_write_ = false;
  isolate_next_leader_ = false;
  pending_isolation_.reset();
  for (const Repair& r : faults_.TakeAllRepairs())
    ApplyRepair(r);
  network_.RestoreAll();
  calm_network_ = NetworkConditions();
  network_.set_conditions(calm_network_);
  retry_ticks_ = kElectionTick;
  Narrate("faults healed: every member up, no partitions, no drops; checking liveness");
}

bool Cluster::RunUntil(const std::function<bool()>& done, uint64_t bound_ticks) {
  uint64_t end = now_ + bound_ticks * kStepsPerTick;
  while (failure_.ok() && !done()) {
    if (now_ >= end) return false;
    RunStep();
  }
  return true;
}

absl::Status Cluster::CheckLiveness() {
  Heal();
  uint64_t healed_at = now_;
  if (!RunUntil([this] { return Leader() != nullptr; }, kLeaderBoundTicks)) {
    return checker_.FailLiveness(
        absl::StrCat("no leader within ", kLeaderBoundTicks, " ticks after the faults healed"));
  }
  report_.ticks_to_leader_after_heal = (now_ - healed_at) / kStepsPerTick;
  if (!RunUntil([this] { return Converged(); }, kConvergeBoundTicks)) {
    return checker_.FailLiveness(absl::StrCat("not converged within ", kConvergeBoundTicks,
                                              " ticks after the faults healed: ", pending_.size(),
                                              " proposals pending; ", DescribeMembers()));
  }
  report_.ticks_to_converge_after_heal = (now_ - healed_at) / kStepsPerTick;
  if (!failure_.ok()) return failure_;
  for (uint64_t id : ConfiguredMembers(*Leader())) {
    if (auto s = checker_.CheckAcknowledgedApplied(id); !s.ok()) return s;
  }
  Narrate(absl::StrCat("converged: every member applied index ", checker_.committed_index()));
  return absl::OkStatus();
}

bool Cluster::Converged() {
  SimNode* leader = Leader();
  if (leader == nullptr || !pending_.empty()) return false;
  const raft::Raft& r = leader->raw().raft();
  uint64_t committed = r.log().committed();
  if (r.log().ZeroTermOnError(committed) != r.term() || r.tracker().config.voters.joint()) {
    return false;
  }
  for (uint64_t id : ConfiguredMembers(*leader)) {
    SimNode* n = Node(id);
    if (n == nullptr || n->state_machine().index != committed) return false;
  }
  return true;
}

std::set<uint64_t> Cluster::ConfiguredMembers(const SimNode& leader) const {
  return Members(leader.raw().raft().tracker().ConfState());
}

std::string Cluster::DescribeMembers() {
  std::vector<std::string> parts;
  for (const auto& [id, node] : nodes_) {
    if (!node->running()) {
      parts.push_back(absl::StrCat(id, ": down"));
      continue;
    }
    const raft::Raft& r = node->raw().raft();
    parts.push_back(absl::StrCat(id, ": ", raft::StateTypeName(r.state()), " term ", r.term(),
                                 " commit ", r.log().committed(), " applied ",
                                 node->state_machine().index, " last ", r.log().LastIndex(),
                                 " config ", r.tracker().config.DebugString()));
    if (r.state() != StateType::kLeader) continue;
    for (const auto& [peer, pr] : r.tracker().progress) {
      absl::StrAppend(&parts.back(), " [", peer, ": ", pr.DebugString(), "]");
    }
  }
  return absl::StrJoin(parts, "; ");
}

SimNode* Cluster::Node(uint64_t id) {
  auto it = nodes_.find(id);
  return it != nodes_.end() && it->second->running() ? it->second.get() : nullptr;
}

SimNode* Cluster::Leader() {
  SimNode* leader = nullptr;
  uint64_t max_term = 0;
  for (auto& [id, node] : nodes_) {
    if (!node->running()) continue;
    max_term = std::max(max_term, node->raw().raft().term());
    if (node->raw().raft().state() == StateType::kLeader) leader = node.get();
  }
  return leader != nullptr && leader->raw().raft().term() == max_term ? leader : nullptr;
}

std::vector<SimNode*> Cluster::RunningNodes() {
  std::vector<SimNode*> running;
  for (auto& [id, node] : nodes_) {
    if (node->running()) running.push_back(node.get());
  }
  return running;
}

void Cluster::Narrate(const std::string& event) {
  if (options_.narrate) options_.narrate(now_ / kStepsPerTick, event);
}

SimReport RunSimulation(const SimOptions& options) {
  return Cluster(options).Run();
}

}  // namespace raftkv::sim
