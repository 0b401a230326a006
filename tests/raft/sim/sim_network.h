#ifndef RAFTKV_TESTS_RAFT_SIM_SIM_NETWORK_H_
#define RAFTKV_TESTS_RAFT_SIM_SIM_NETWORK_H_

#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "raftpb/raft.pb.h"
#include "tests/raft/sim/sim_random.h"

namespace raftkv::sim {

// How the simulated network treats each message it is handed. Delays are in simulation steps.
struct NetworkConditions {
  double drop = 0;
  double duplicate = 0;
  uint64_t min_delay = 1;
  uint64_t max_delay = 4;
  // A message is sometimes held back much longer, which reorders it behind later ones.
  double long_delay = 0;
  uint64_t long_delay_max = 60;
};

struct NetworkStats {
  uint64_t sent = 0;
  uint64_t dropped = 0;
  uint64_t duplicated = 0;
  uint64_t blocked = 0;
  uint64_t delivered = 0;
};

// Messages in flight between members, delivered in the order of their (random) arrival time.
// Partitions are directed links that are cut; they are checked on arrival, so a message that
// is in flight when a link is cut is lost.
class SimNetwork {
 public:
  explicit SimNetwork(SimRandom& random) : random_(random) {}

  // Returns false when the message is dropped on the way.
  bool Send(raftpb::Message m, uint64_t now);
  // The messages that arrive by `now`, earliest first; ties in the order they were sent.
  std::vector<raftpb::Message> TakeArrived(uint64_t now);

  // Cuts nest: a link cut by two faults comes back when both are repaired.
  void Cut(uint64_t from, uint64_t to) { cut_links_.insert({from, to}); }
  void Restore(uint64_t from, uint64_t to) {
    if (auto it = cut_links_.find({from, to}); it != cut_links_.end()) cut_links_.erase(it);
  }
  void RestoreAll() { cut_links_.clear(); }
  bool IsCut(uint64_t from, uint64_t to) const { return cut_links_.contains({from, to}); }
  bool HasCuts() const { return !cut_links_.empty(); }

  void set_conditions(const NetworkConditions& c) { conditions_ = c; }
  const NetworkConditions& conditions() const { return conditions_; }
  void CountBlocked() { ++stats_.blocked; }
  const NetworkStats& stats() const { return stats_; }

 private:
  uint64_t RandomDelay();

  SimRandom& random_;
  NetworkConditions conditions_;
  // Keyed by (arrival step, send sequence number): a deterministic delivery order.
  std::map<std::pair<uint64_t, uint64_t>, raftpb::Message> in_flight_;
  uint64_t next_sequence_ = 0;
  std::multiset<std::pair<uint64_t, uint64_t>> cut_links_;
  NetworkStats stats_;
};

}  // namespace raftkv::sim

#endif  // RAFTKV_TESTS_RAFT_SIM_SIM_NETWORK_H_
