#ifndef RAFTKV_TESTS_RAFT_TEST_NETWORK_H_
#define RAFTKV_TESTS_RAFT_TEST_NETWORK_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "raftkv/raft/config.h"
#include "raftkv/raft/raft.h"
#include "raftkv/raft/raw_node.h"
#include "raftkv/raft/storage.h"
#include "raftpb/raft.pb.h"

namespace raftkv::raft::test {

// Every test storage starts from a snapshot at this position naming the initial members:
// MemoryStorage cannot hold a ConfState without a snapshot, and index 0 is never a real entry.
inline constexpr uint64_t kBootstrapIndex = 1;
inline constexpr uint64_t kBootstrapTerm = 1;

using Configure = std::function<void(Config&)>;

raftpb::ConfState MakeConfState(const std::vector<uint64_t>& voters,
                                const std::vector<uint64_t>& learners = {});
// A storage holding only the bootstrap snapshot (and a hard state of its term).
std::unique_ptr<MemoryStorage> NewStorage(const std::vector<uint64_t>& voters,
                                          const std::vector<uint64_t>& learners = {});
// election_tick 10, heartbeat_tick 1, a silent logger.
Config DefaultConfig(uint64_t id, const Storage* storage);

raftpb::Entry MakeEntry(uint64_t index, uint64_t term, std::string data = "");
// Entries with consecutive indexes from first, one per term in terms.
EntryVector MakeEntries(uint64_t first, const std::vector<uint64_t>& terms);
raftpb::Message MakeMsg(raftpb::MessageType type, uint64_t from, uint64_t to, uint64_t term = 0);
raftpb::ConfChangeSingle ConfChangeOf(raftpb::ConfChangeType type, uint64_t id);
raftpb::ConfChangeV2 MakeConfChange(
    std::vector<raftpb::ConfChangeSingle> changes,
    raftpb::ConfChangeTransition transition = raftpb::CONF_CHANGE_TRANSITION_AUTO);
raftpb::Snapshot MakeSnapshot(uint64_t index, uint64_t term, const raftpb::ConfState& cs);

// One member driven the way a host drives it: each Ready is persisted into the member's
// MemoryStorage, its committed entries applied (membership changes included), then Advanced.
class TestNode {
 public:
  TestNode(uint64_t id, std::unique_ptr<MemoryStorage> storage, const Configure& configure = {});

  uint64_t id() const { return id_; }
  RawNode& node() { return *node_; }
  const Raft& raft() const { return node_->raft(); }
  Raft& mutable_raft() { return node_->mutable_raft(); }
  MemoryStorage& storage() { return *storage_; }
  StateType state() const { return raft().state(); }
  uint64_t term() const { return raft().term(); }

  // Carries out every pending Ready and returns the messages to send.
  std::vector<raftpb::Message> ProcessReady();

  // The data of applied normal entries that carried any, in order.
  const std::vector<std::string>& applied_data() const { return applied_data_; }
  uint64_t applied_index() const { return applied_index_; }
  // Linearizable read points handed out so far.
  const std::vector<ReadState>& read_states() const { return read_states_; }
  // The membership after the last applied change (or snapshot).
  const raftpb::ConfState& conf_state() const { return conf_state_; }
  // Results of applying committed membership changes, in order.
  const std::vector<absl::Status>& conf_change_results() const { return conf_change_results_; }
  // Data of the snapshots this node installed.
  const std::vector<std::string>& installed_snapshots() const { return installed_snapshots_; }

  // Takes a snapshot at the applied index and discards the log up to it, as a host that
  // checkpoints its state machine would.
  void CompactToApplied();
  // Rebuilds the member from its storage, as after a crash and restart.
  void Restart(const Configure& configure = {});

 private:
  void Apply(const raftpb::Entry& e);

  uint64_t id_;
  std::unique_ptr<MemoryStorage> storage_;
  std::unique_ptr<RawNode> node_;
  std::vector<std::string> applied_data_;
  uint64_t applied_index_ = 0;
  std::vector<ReadState> read_states_;
  raftpb::ConfState conf_state_;
  std::vector<absl::Status> conf_change_results_;
  std::vector<std::string> installed_snapshots_;
};

// Members connected by an in-memory, synchronous network: a message is delivered (and the
// recipient's Ready handled) as soon as it is sent, in FIFO order, until nothing is in flight.
// Links can be cut, members isolated, and messages filtered.
class Network {
 public:
  // A fresh cluster of the given voters (and learners), all started from the same bootstrap.
  explicit Network(const std::vector<uint64_t>& voters, const Configure& configure = {});
  Network(const std::vector<uint64_t>& voters, const std::vector<uint64_t>& learners,
          const Configure& configure);

  // Adds a member with a storage the test prepared.
  TestNode& Add(uint64_t id, std::unique_ptr<MemoryStorage> storage,
                const Configure& configure = {});
  TestNode& node(uint64_t id) { return *nodes_.at(id); }
  std::vector<uint64_t> ids() const;

  // Delivers the messages and everything they cause.
  void Send(std::vector<raftpb::Message> msgs);
  void Send(raftpb::Message m);
  // Handles the member's Ready and delivers what it sends.
  void Flush(uint64_t id);

  // Host actions, each followed by delivering what it causes.
  void Campaign(uint64_t id);
  absl::Status Propose(uint64_t id, std::string data);
  absl::Status ProposeConfChange(uint64_t id, const raftpb::ConfChangeV2& cc);
  void ReadIndex(uint64_t id, std::string ctx);
  void TransferLeader(uint64_t leader, uint64_t transferee);
  void Tick(uint64_t id, int times = 1);
  void TickAll(int times = 1);
  // Ticks the leader's heartbeat timer until it broadcasts once.
  void Heartbeat(uint64_t leader);

  // Faults. Cut and Isolate drop in both directions.
  void Cut(uint64_t a, uint64_t b);
  void DropFrom(uint64_t from, uint64_t to);
  void Isolate(uint64_t id);
  void DropType(raftpb::MessageType type);
  // Messages for which the filter returns false are dropped (on top of the faults above).
  void SetFilter(std::function<bool(const raftpb::Message&)> filter) {
    filter_ = std::move(filter);
  }
  // Heals every fault and removes the filter.
  void Recover();

  // The member that is leader in the highest term, or kNone.
  uint64_t Leader() const;
  // Every message delivered so far, in order.
  const std::vector<raftpb::Message>& delivered() const { return delivered_; }
  size_t CountDelivered(raftpb::MessageType type, uint64_t from = kNone, uint64_t to = kNone) const;
  void ClearDelivered() { delivered_.clear(); }

 private:
  bool Deliverable(const raftpb::Message& m) const;

  std::map<uint64_t, std::unique_ptr<TestNode>> nodes_;
  std::set<std::pair<uint64_t, uint64_t>> dropped_links_;
  std::set<raftpb::MessageType> dropped_types_;
  std::function<bool(const raftpb::Message&)> filter_;
  std::vector<raftpb::Message> delivered_;
};

}  // namespace raftkv::raft::test

#endif  // RAFTKV_TESTS_RAFT_TEST_NETWORK_H_
