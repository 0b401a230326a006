#include "tests/raft/sim/fault_schedule.h"

namespace raftkv::sim {

FaultRates FaultRates::Random(SimRandom& random) {
  static constexpr double kFactors[] = {0.3, 0.6, 1.0, 1.0, 1.5, 2.5};
  double f = kFactors[random.Between(0, std::size(kFactors) - 1)];
  FaultRates r;
  r.partition *= f;
  r.one_way_cut *= f;
  r.crash *= f;
  r.crash_while_writing *= f;
  r.isolate_new_leader *= f;
  r.bad_network *= f;
  r.membership_change *= f;
  r.leader_transfer *= f;
  return r;
}

std::vector<FaultKind> FaultSchedule::Starting() {
  const std::pair<double, FaultKind> candidates[] = {
      {rates_.partition, FaultKind::kPartition},
      {rates_.one_way_cut, FaultKind::kOneWayCut},
      {rates_.crash, FaultKind::kCrash},
      {rates_.crash_while_writing, FaultKind::kCrashWhileWriting},
      {rates_.isolate_new_leader, FaultKind::kIsolateNewLeader},
      {rates_.bad_network, FaultKind::kBadNetwork},
      {rates_.membership_change, FaultKind::kMembershipChange},
      {rates_.leader_transfer, FaultKind::kLeaderTransfer},
      {rates_.compaction, FaultKind::kCompaction},
  };
  std::vector<FaultKind> starting;
  for (const auto& [rate, kind] : candidates) {
    if (random_.Chance(rate)) starting.push_back(kind);
  }
  return starting;
}

void FaultSchedule::RepairAt(uint64_t tick, Repair repair) {
  repairs_.emplace(tick, std::move(repair));
}

std::vector<Repair> FaultSchedule::RepairsDue(uint64_t tick) {
  std::vector<Repair> due;
  auto end = repairs_.upper_bound(tick);
  for (auto it = repairs_.begin(); it != end; ++it)
    due.push_back(std::move(it->second));
  repairs_.erase(repairs_.begin(), end);
  return due;
}

std::vector<Repair> FaultSchedule::TakeAllRepairs() {
  std::vector<Repair> all;
  for (auto& [tick, repair] : repairs_)
    all.push_back(std::move(repair));
  repairs_.clear();
  return all;
}

}  // namespace raftkv::sim
