// A replicated counter on the bare raft core (include/raftkv/raft.h): three RawNodes in one
// process, an in-memory network, MemoryStorage as the log. Each node applies committed
// "add N" entries to its own counter; all three end at the same value.
//
// This is the loop every host of RawNode runs (raftkv's server does the same with a WAL and
// a real transport): Tick on a clock, Step incoming messages, and for each Ready persist the
// hard state and entries, send the messages, apply the committed entries, then Advance.

#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "raftkv/raft.h"

namespace {

using raftkv::raft::Config;
using raftkv::raft::MemoryStorage;
using raftkv::raft::RawNode;

struct Node {
  MemoryStorage storage;
  std::unique_ptr<RawNode> raft;
  long counter = 0;
};

// Every node starts from the same bootstrap snapshot: index 1, term 1, voters 1..3.
raftpb::Snapshot Bootstrap(int members) {
  raftpb::Snapshot snapshot;
  snapshot.mutable_metadata()->set_index(1);
  snapshot.mutable_metadata()->set_term(1);
  for (int id = 1; id <= members; ++id)
    snapshot.mutable_metadata()->mutable_conf_state()->add_voters(id);
  return snapshot;
}

// Handles one Ready of `node`: persist, send (into `network`), apply, advance.
void HandleReady(Node& node, std::deque<raftpb::Message>& network) {
  raftkv::raft::Ready ready = node.raft->GetReady();
  if (ready.snapshot) (void)node.storage.ApplySnapshot(*ready.snapshot);
  if (ready.hard_state) node.storage.SetHardState(*ready.hard_state);
  if (!ready.entries.empty()) (void)node.storage.Append(std::move(ready.entries));
  for (auto& m : ready.messages)
    network.push_back(std::move(m));
  for (const raftpb::Entry& entry : ready.committed_entries) {
    if (entry.type() == raftpb::ENTRY_NORMAL && !entry.data().empty()) {
      node.counter += std::stol(entry.data());  // the state machine: "add N"
    }
  }
  node.raft->Advance();
}

}  // namespace

int main() {
  constexpr int kMembers = 3;
  constexpr int kIncrements = 100;
  std::map<uint64_t, Node> nodes;
  for (uint64_t id = 1; id <= kMembers; ++id) {
    Node& node = nodes[id];
    if (auto s = node.storage.ApplySnapshot(Bootstrap(kMembers)); !s.ok()) return 1;
    Config config;
    config.id = id;
    config.election_tick = 10;
    config.heartbeat_tick = 1;
    config.storage = &node.storage;
    config.applied = 1;
    auto raft = RawNode::Create(config);
    if (!raft.ok()) {
      std::fprintf(stderr, "raft: %s\n", raft.status().ToString().c_str());
      return 1;
    }
    node.raft = std::move(*raft);
  }

  std::deque<raftpb::Message> network;
  int proposed = 0;
  for (int step = 0; step < 10000; ++step) {
    for (auto& [id, node] : nodes)
      node.raft->Tick();
    // Deliver everything in flight (a perfect network), then handle what it caused.
    for (bool busy = true; busy;) {
      busy = false;
      for (auto& [id, node] : nodes) {
        while (node.raft->HasReady()) {
          HandleReady(node, network);
          busy = true;
        }
      }
      while (!network.empty()) {
        raftpb::Message m = std::move(network.front());
        network.pop_front();
        (void)nodes[m.to()].raft->Step(std::move(m));
        busy = true;
      }
    }
    // Propose through the leader, a few increments per tick.
    for (auto& [id, node] : nodes) {
      if (node.raft->soft_state().state != raftkv::raft::StateType::kLeader) continue;
      for (int i = 0; i < 5 && proposed < kIncrements; ++i, ++proposed) {
        (void)node.raft->Propose("1");
      }
    }
    bool done = true;
    for (auto& [id, node] : nodes)
      done = done && node.counter == kIncrements;
    if (done) {
      for (auto& [id, node] : nodes)
        std::printf("node %llu: counter = %ld\n", static_cast<unsigned long long>(id),
                    node.counter);
      return 0;
    }
  }
  std::fprintf(stderr, "counters did not converge\n");
  return 1;
}
