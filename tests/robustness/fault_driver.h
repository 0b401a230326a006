// Faults injected into a LocalCluster of real raftkv processes, one at a time: inject, hold
// for a random time, heal, and wait until the members agree on a leader again. Every fault
// is logged with its times (on the history's clock) so a failing run can be read against its
// history.
//
// Partitions, delay and loss go through each member's fault rules file
// (raftkv/transport/fault_injector.h): the cluster needs ClusterOptions::fault_files.
// Must be used from the thread that started the cluster (the harness's rule).

#ifndef RAFTKV_TESTS_ROBUSTNESS_FAULT_DRIVER_H_
#define RAFTKV_TESTS_ROBUSTNESS_FAULT_DRIVER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cluster_harness.h"
#include "workload.h"

namespace raftkv::robustness {

enum class FaultKind {
  kKillMember,          // SIGKILL a random member, restart it later
  kKillLeader,          // the same, for the leader
  kKillAll,             // SIGKILL every member at once, restart them all
  kPauseMember,         // SIGSTOP a random member for 2-4 election timeouts, then SIGCONT
  kPauseLeader,         // the same, for the leader
  kPartitionSymmetric,  // cut one member (often the leader) off from the others both ways
  kPartitionOneWay,     // one member can only send, or only receive
  kDelay,               // every link delays its messages by 20-200 ms
  kLoss,                // every link loses 10-40% of its messages
  kMembershipChange,    // remove a member and add a new one, over lossy links
  kLinkDown,            // one member's network link down for 2-5 s (network namespace runs)
};

const char* FaultName(FaultKind kind);
// Every kind that needs no more than fault rule files (not kLinkDown).
std::vector<FaultKind> AllFaultKinds();

// Takes a member's network link down (up = false) or back up, by member name.
using LinkControl = std::function<absl::Status(const std::string& member, bool up)>;

struct ScheduledFault {
  double start_s = 0;
  double healed_s = 0;
  std::string description;
};

class FaultDriver {
 public:
  // The cluster's members are slots 0..members-1 when the driver starts.
  // link_control: for kLinkDown, which fails without it.
  FaultDriver(LocalCluster& cluster, uint64_t seed, const HistoryRecorder& clock,
              LinkControl link_control = nullptr);

  // Injects the fault, holds it, heals it, and waits for a leader.
  ::testing::AssertionResult Inject(FaultKind kind);
  // Clears every fault rule, resumes paused members, restarts members that are down, and
  // waits for a leader.
  ::testing::AssertionResult HealAll();

  const std::vector<ScheduledFault>& schedule() const { return schedule_; }
  // The slots that are members of the cluster now.
  const std::vector<size_t>& members() const { return members_; }
  std::mt19937_64& random() { return random_; }

 private:
  double NowSeconds() const;
  milliseconds Between(milliseconds low, milliseconds high);
  size_t RandomMember();
  std::optional<size_t> Leader();
  std::string Name(size_t i) const;
  void SetRulesEverywhere(const std::string& rules);
  void Isolate(size_t target, bool outgoing, bool incoming);
  ::testing::AssertionResult ReplaceMember(std::string* detail);

  LocalCluster& cluster_;
  const HistoryRecorder& clock_;
  const LinkControl link_control_;
  std::mt19937_64 random_;
  std::vector<size_t> members_;
  std::vector<ScheduledFault> schedule_;
};

}  // namespace raftkv::robustness

#endif  // RAFTKV_TESTS_ROBUSTNESS_FAULT_DRIVER_H_
