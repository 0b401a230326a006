#include "tests/raft/sim/sim_network.h"

namespace raftkv::sim {

uint64_t SimNetwork::RandomDelay() {
  if (random_.Chance(conditions_.long_delay)) {
    return random_.Between(conditions_.max_delay, conditions_.long_delay_max);
  }
  return random_.Between(conditions_.min_delay, conditions_.max_delay);
}

bool SimNetwork::Send(raftpb::Message m, uint64_t now) {
  ++stats_.sent;
  if (random_.Chance(conditions_.drop)) {
    ++stats_.dropped;
    return false;
  }
  if (random_.Chance(conditions_.duplicate)) {
    ++stats_.duplicated;
    in_flight_.emplace(std::make_pair(now + RandomDelay(), next_sequence_++), m);
  }
  in_flight_.emplace(std::make_pair(now + RandomDelay(), next_sequence_++), std::move(m));
  return true;
}

std::vector<raftpb::Message> SimNetwork::TakeArrived(uint64_t now) {
  std::vector<raftpb::Message> arrived;
  auto it = in_flight_.begin();
  for (; it != in_flight_.end() && it->first.first <= now; ++it) {
    arrived.push_back(std::move(it->second));
  }
  in_flight_.erase(in_flight_.begin(), it);
  stats_.delivered += arrived.size();
  return arrived;
}

}  // namespace raftkv::sim
