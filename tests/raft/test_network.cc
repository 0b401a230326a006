#include "tests/raft/test_network.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>

namespace raftkv::raft::test {
namespace {

std::shared_ptr<spdlog::logger> SilentLogger() {
  static auto logger = [] {
    auto l = std::make_shared<spdlog::logger>("raft-test",
                                              std::make_shared<spdlog::sinks::null_sink_mt>());
    l->set_level(spdlog::level::off);
    return l;
  }();
  return logger;
}

}  // namespace

raftpb::ConfState MakeConfState(const std::vector<uint64_t>& voters,
                                const std::vector<uint64_t>& learners) {
  raftpb::ConfState cs;
  for (uint64_t id : voters) {
    cs.add_voters(id);
  }
  for (uint64_t id : learners) {
    cs.add_learners(id);
  }
  return cs;
}

std::unique_ptr<MemoryStorage> NewStorage(const std::vector<uint64_t>& voters,
                                          const std::vector<uint64_t>& learners) {
  auto storage = std::make_unique<MemoryStorage>();
  absl::Status s = storage->ApplySnapshot(
      MakeSnapshot(kBootstrapIndex, kBootstrapTerm, MakeConfState(voters, learners)));
  EXPECT_TRUE(s.ok()) << s;
  raftpb::HardState hs;
  hs.set_term(kBootstrapTerm);
  hs.set_commit(kBootstrapIndex);
  storage->SetHardState(hs);
  return storage;
}

Config DefaultConfig(uint64_t id, const Storage* storage) {
  Config c;
  c.id = id;
  c.election_tick = 10;
  c.heartbeat_tick = 1;
  c.storage = storage;
  c.logger = SilentLogger();
  return c;
}

raftpb::Entry MakeEntry(uint64_t index, uint64_t term, std::string data) {
  raftpb::Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_data(std::move(data));
  return e;
}

EntryVector MakeEntries(uint64_t first, const std::vector<uint64_t>& terms) {
  EntryVector ents;
  for (size_t i = 0; i < terms.size(); ++i) {
    ents.push_back(MakeEntry(first + i, terms[i]));
  }
  return ents;
}

raftpb::Message MakeMsg(raftpb::MessageType type, uint64_t from, uint64_t to, uint64_t term) {
  raftpb::Message m;
  m.set_type(type);
  m.set_from(from);
  m.set_to(to);
  m.set_term(term);
  return m;
}

raftpb::ConfChangeSingle ConfChangeOf(raftpb::ConfChangeType type, uint64_t id) {
  raftpb::ConfChangeSingle cc;
  cc.set_type(type);
  cc.set_node_id(id);
  return cc;
}

raftpb::ConfChangeV2 MakeConfChange(std::vector<raftpb::ConfChangeSingle> changes,
                                    raftpb::ConfChangeTransition transition) {
  raftpb::ConfChangeV2 cc;
  cc.set_transition(transition);
  for (auto& c : changes) {
    *cc.add_changes() = std::move(c);
  }
  return cc;
}

raftpb::Snapshot MakeSnapshot(uint64_t index, uint64_t term, const raftpb::ConfState& cs) {
  raftpb::Snapshot snap;
  snap.mutable_metadata()->set_index(index);
  snap.mutable_metadata()->set_term(term);
  *snap.mutable_metadata()->mutable_conf_state() = cs;
  return snap;
}

TestNode::TestNode(uint64_t id, std::unique_ptr<MemoryStorage> storage, const Configure& configure)
    : id_(id), storage_(std::move(storage)) {
  auto snap = storage_->GetSnapshot();
  EXPECT_TRUE(snap.ok());
  conf_state_ = snap->metadata().conf_state();
  applied_index_ = snap->metadata().index();
  Restart(configure);
}

void TestNode::Restart(const Configure& configure) {
  Config c = DefaultConfig(id_, storage_.get());
  c.applied = applied_index_;
  if (configure) configure(c);
  auto node = RawNode::Create(c);
  ASSERT_TRUE(node.ok()) << node.status();
  node_ = *std::move(node);
}

std::vector<raftpb::Message> TestNode::ProcessReady() {
  std::vector<raftpb::Message> out;
  while (node_->HasReady()) {
    Ready rd = node_->GetReady();
    if (rd.snapshot) {
      absl::Status s = storage_->ApplySnapshot(*rd.snapshot);
      EXPECT_TRUE(s.ok()) << s;
      conf_state_ = rd.snapshot->metadata().conf_state();
      applied_index_ = rd.snapshot->metadata().index();
      installed_snapshots_.push_back(rd.snapshot->data());
    }
    absl::Status s = storage_->Append(rd.entries);
    EXPECT_TRUE(s.ok()) << s;
    if (rd.hard_state) storage_->SetHardState(*rd.hard_state);
    for (auto& m : rd.messages) {
      out.push_back(std::move(m));
    }
    for (const auto& e : rd.committed_entries) {
      Apply(e);
    }
    for (auto& rs : rd.read_states) {
      read_states_.push_back(std::move(rs));
    }
    node_->Advance();
  }
  return out;
}

void TestNode::Apply(const raftpb::Entry& e) {
  EXPECT_EQ(e.index(), applied_index_ + 1) << "entries must be applied in order";
  applied_index_ = e.index();
  if (e.type() != raftpb::ENTRY_CONF_CHANGE) {
    if (!e.data().empty()) applied_data_.push_back(e.data());
    return;
  }
  raftpb::ConfChangeV2 cc;
  ASSERT_TRUE(cc.ParseFromString(e.data()));
  auto cs = node_->ApplyConfChange(cc);
  conf_change_results_.push_back(cs.status());
  if (cs.ok()) conf_state_ = *cs;
}

void TestNode::CompactToApplied() {
  auto snap = storage_->CreateSnapshot(applied_index_, &conf_state_, "snap-" + std::to_string(id_));
  ASSERT_TRUE(snap.ok()) << snap.status();
  ASSERT_TRUE(storage_->Compact(applied_index_).ok());
}

Network::Network(const std::vector<uint64_t>& voters, const Configure& configure)
    : Network(voters, {}, configure) {}

Network::Network(const std::vector<uint64_t>& voters, const std::vector<uint64_t>& learners,
                 const Configure& configure) {
  for (uint64_t id : voters) {
    Add(id, NewStorage(voters, learners), configure);
  }
  for (uint64_t id : learners) {
    Add(id, NewStorage(voters, learners), configure);
  }
}

TestNode& Network::Add(uint64_t id, std::unique_ptr<MemoryStorage> storage,
                       const Configure& configure) {
  auto [it, inserted] =
      nodes_.insert_or_assign(id, std::make_unique<TestNode>(id, std::move(storage), configure));
  EXPECT_TRUE(inserted) << "member " << id << " added twice";
  return *it->second;
}

std::vector<uint64_t> Network::ids() const {
  std::vector<uint64_t> out;
  for (const auto& [id, n] : nodes_) {
    out.push_back(id);
  }
  return out;
}

bool Network::Deliverable(const raftpb::Message& m) const {
  if (!nodes_.contains(m.to())) return false;
  if (dropped_links_.contains({m.from(), m.to()})) return false;
  if (dropped_types_.contains(m.type())) return false;
  return !filter_ || filter_(m);
}

void Network::Send(std::vector<raftpb::Message> msgs) {
  std::deque<raftpb::Message> queue(std::make_move_iterator(msgs.begin()),
                                    std::make_move_iterator(msgs.end()));
  while (!queue.empty()) {
    raftpb::Message m = std::move(queue.front());
    queue.pop_front();
    if (!Deliverable(m)) continue;
    delivered_.push_back(m);
    TestNode& to = *nodes_.at(m.to());
    // Errors (such as a response from a removed member) are the recipient's business.
    (void)to.node().Step(std::move(m));
    for (auto& out : to.ProcessReady()) {
      queue.push_back(std::move(out));
    }
  }
}

void Network::Send(raftpb::Message m) {
  std::vector<raftpb::Message> msgs;
  msgs.push_back(std::move(m));
  Send(std::move(msgs));
}

void Network::Flush(uint64_t id) {
  Send(node(id).ProcessReady());
}

void Network::Campaign(uint64_t id) {
  (void)node(id).node().Campaign();
  Flush(id);
}

absl::Status Network::Propose(uint64_t id, std::string data) {
  absl::Status s = node(id).node().Propose(std::move(data));
  Flush(id);
  return s;
}

absl::Status Network::ProposeConfChange(uint64_t id, const raftpb::ConfChangeV2& cc) {
  absl::Status s = node(id).node().ProposeConfChange(cc);
  Flush(id);
  return s;
}

void Network::ReadIndex(uint64_t id, std::string ctx) {
  node(id).node().ReadIndex(std::move(ctx));
  Flush(id);
}

void Network::TransferLeader(uint64_t leader, uint64_t transferee) {
  node(leader).node().TransferLeader(transferee);
  Flush(leader);
}

void Network::Tick(uint64_t id, int times) {
  for (int i = 0; i < times; ++i) {
    node(id).node().Tick();
    Flush(id);
  }
}

void Network::TickAll(int times) {
  for (int i = 0; i < times; ++i) {
    for (auto& [id, n] : nodes_) {
      n->node().Tick();
      Flush(id);
    }
  }
}

void Network::Heartbeat(uint64_t leader) {
  raftpb::Message beat = MakeMsg(raftpb::MSG_BEAT, leader, leader);
  ASSERT_TRUE(node(leader).mutable_raft().Step(beat).ok());
  Flush(leader);
}

void Network::Cut(uint64_t a, uint64_t b) {
  dropped_links_.insert({a, b});
  dropped_links_.insert({b, a});
}

void Network::DropFrom(uint64_t from, uint64_t to) {
  dropped_links_.insert({from, to});
}

void Network::Isolate(uint64_t id) {
  for (const auto& [other, n] : nodes_) {
    if (other != id) Cut(id, other);
  }
}

void Network::DropType(raftpb::MessageType type) {
  dropped_types_.insert(type);
}

void Network::Recover() {
  dropped_links_.clear();
  dropped_types_.clear();
  filter_ = nullptr;
}

uint64_t Network::Leader() const {
  uint64_t leader = kNone;
  uint64_t term = 0;
  for (const auto& [id, n] : nodes_) {
    if (n->state() == StateType::kLeader && n->term() >= term) {
      leader = id;
      term = n->term();
    }
  }
  return leader;
}

size_t Network::CountDelivered(raftpb::MessageType type, uint64_t from, uint64_t to) const {
  return std::count_if(delivered_.begin(), delivered_.end(), [&](const raftpb::Message& m) {
    return m.type() == type && (from == kNone || m.from() == from) && (to == kNone || m.to() == to);
  });
}

}  // namespace raftkv::raft::test
