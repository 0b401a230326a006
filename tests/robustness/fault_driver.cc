#include "fault_driver.h"

#include <sstream>
#include <thread>

namespace raftkv::robustness {
namespace {

using integration::In;
constexpr milliseconds kRecoveryTime(30000);
constexpr milliseconds kMembershipCallTime(20000);

std::string Hex(uint64_t id) {
  std::ostringstream out;
  out << std::hex << id;
  return out.str();
}

}  // namespace

const char* FaultName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kKillMember:
      return "kill-member";
    case FaultKind::kKillLeader:
      return "kill-leader";
    case FaultKind::kKillAll:
      return "kill-all";
    case FaultKind::kPauseMember:
      return "pause-member";
    case FaultKind::kPauseLeader:
      return "pause-leader";
    case FaultKind::kPartitionSymmetric:
      return "partition";
    case FaultKind::kPartitionOneWay:
      return "partition-one-way";
    case FaultKind::kDelay:
      return "delay";
    case FaultKind::kLoss:
      return "loss";
    case FaultKind::kMembershipChange:
      return "membership-change";
    case FaultKind::kLinkDown:
      return "link-down";
  }
  return "?";
}

std::vector<FaultKind> AllFaultKinds() {
  return {FaultKind::kKillMember,      FaultKind::kKillLeader,  FaultKind::kKillAll,
          FaultKind::kPauseMember,     FaultKind::kPauseLeader, FaultKind::kPartitionSymmetric,
          FaultKind::kPartitionOneWay, FaultKind::kDelay,       FaultKind::kLoss,
          FaultKind::kMembershipChange};
}

FaultDriver::FaultDriver(LocalCluster& cluster, uint64_t seed, const HistoryRecorder& clock,
                         LinkControl link_control)
    : cluster_(cluster), clock_(clock), link_control_(std::move(link_control)), random_(seed) {
  for (int i = 0; i < cluster.options().members; ++i)
    members_.push_back(static_cast<size_t>(i));
}

double FaultDriver::NowSeconds() const {
  return static_cast<double>(clock_.NowNs()) / 1e9;
}

milliseconds FaultDriver::Between(milliseconds low, milliseconds high) {
  return milliseconds(std::uniform_int_distribution<int64_t>(low.count(), high.count())(random_));
}

size_t FaultDriver::RandomMember() {
  return members_[random_() % members_.size()];
}

std::optional<size_t> FaultDriver::Leader() {
  return cluster_.WaitForLeader(In(milliseconds(5000)));
}

std::string FaultDriver::Name(size_t i) const {
  return cluster_.slot(i).name;
}

void FaultDriver::SetRulesEverywhere(const std::string& rules) {
  for (size_t m : members_)
    cluster_.SetFaultRules(m, rules);
}

void FaultDriver::Isolate(size_t target, bool outgoing, bool incoming) {
  std::string target_rules;
  for (size_t m : members_) {
    if (m == target) continue;
    if (outgoing) target_rules += "drop to " + Hex(cluster_.slot(m).id) + "\n";
    cluster_.SetFaultRules(m, incoming ? "drop to " + Hex(cluster_.slot(target).id) + "\n" : "");
  }
  cluster_.SetFaultRules(target, target_rules);
}

::testing::AssertionResult FaultDriver::ReplaceMember(std::string* detail) {
  const size_t victim = RandomMember();
  ::testing::AssertionResult removed = cluster_.RemoveMember(victim, In(kMembershipCallTime));
  if (!removed) {
    // Maybe only the lossy links: try once more on clean ones.
    SetRulesEverywhere("");
    removed = cluster_.RemoveMember(victim, In(kMembershipCallTime));
  }
  if (!removed) return removed << " (removing " << Name(victim) << ")";
  cluster_.Kill(victim);
  std::erase(members_, victim);
  size_t added = 0;
  ::testing::AssertionResult joined = cluster_.AddMember(false, In(kMembershipCallTime), &added);
  if (!joined) return joined << " (adding a member after removing " << Name(victim) << ")";
  members_.push_back(added);
  *detail = "removed " + Name(victim) + ", added " + Name(added);
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult FaultDriver::Inject(FaultKind kind) {
  const double start = NowSeconds();
  const milliseconds election = cluster_.election_timeout();
  std::string detail;
  ::testing::AssertionResult outcome = ::testing::AssertionSuccess();
  switch (kind) {
    case FaultKind::kKillMember:
    case FaultKind::kKillLeader: {
      const size_t target =
          kind == FaultKind::kKillLeader ? Leader().value_or(RandomMember()) : RandomMember();
      const milliseconds down = Between(milliseconds(500), milliseconds(3000));
      detail = Name(target) + " for " + std::to_string(down.count()) + " ms";
      cluster_.Kill(target);
      std::this_thread::sleep_for(down);
      cluster_.Restart(target);
      break;
    }
    case FaultKind::kKillAll: {
      const milliseconds down = Between(milliseconds(200), milliseconds(1500));
      detail = "for " + std::to_string(down.count()) + " ms";
      for (size_t m : members_)
        cluster_.Kill(m);
      std::this_thread::sleep_for(down);
      for (size_t m : members_)
        cluster_.Restart(m);
      break;
    }
    case FaultKind::kPauseMember:
    case FaultKind::kPauseLeader: {
      const size_t target =
          kind == FaultKind::kPauseLeader ? Leader().value_or(RandomMember()) : RandomMember();
      const milliseconds pause = Between(2 * election, 4 * election);
      detail = Name(target) + " for " + std::to_string(pause.count()) + " ms";
      cluster_.Pause(target);
      std::this_thread::sleep_for(pause);
      cluster_.Resume(target);
      break;
    }
    case FaultKind::kPartitionSymmetric:
    case FaultKind::kPartitionOneWay: {
      const size_t target = random_() % 2 ? Leader().value_or(RandomMember()) : RandomMember();
      const milliseconds hold = Between(milliseconds(2000), milliseconds(5000));
      bool outgoing = true, incoming = true;
      if (kind == FaultKind::kPartitionOneWay) {
        outgoing = random_() % 2;
        incoming = !outgoing;
      }
      detail = Name(target) +
               (outgoing && incoming ? " cut off"
                : outgoing           ? " cannot send"
                                     : " cannot receive") +
               " for " + std::to_string(hold.count()) + " ms";
      Isolate(target, outgoing, incoming);
      std::this_thread::sleep_for(hold);
      SetRulesEverywhere("");
      break;
    }
    case FaultKind::kDelay:
    case FaultKind::kLoss: {
      const milliseconds hold = Between(milliseconds(3000), milliseconds(6000));
      std::string rule;
      if (kind == FaultKind::kDelay) {
        rule = "delay to * " +
               std::to_string(Between(milliseconds(20), milliseconds(200)).count()) + "ms";
      } else {
        rule = "loss to * " + std::to_string(10 + random_() % 31) + "%";
      }
      detail = "\"" + rule + "\" on every member for " + std::to_string(hold.count()) + " ms";
      SetRulesEverywhere(rule + "\n");
      std::this_thread::sleep_for(hold);
      SetRulesEverywhere("");
      break;
    }
    case FaultKind::kLinkDown: {
      if (!link_control_) {
        outcome = ::testing::AssertionFailure() << "link-down needs a network that has links";
        break;
      }
      const size_t target = random_() % 2 ? Leader().value_or(RandomMember()) : RandomMember();
      const milliseconds hold = Between(milliseconds(2000), milliseconds(5000));
      detail = Name(target) + " for " + std::to_string(hold.count()) + " ms";
      absl::Status down = link_control_(Name(target), false);
      std::this_thread::sleep_for(hold);
      absl::Status up = link_control_(Name(target), true);
      if (!down.ok() || !up.ok()) {
        outcome = ::testing::AssertionFailure() << (down.ok() ? up : down).ToString();
      }
      break;
    }
    case FaultKind::kMembershipChange:
      SetRulesEverywhere("loss to * 5%\n");
      outcome = ReplaceMember(&detail);
      detail += " over 5% loss";
      SetRulesEverywhere("");
      break;
  }
  schedule_.push_back({start, NowSeconds(), std::string(FaultName(kind)) + ": " + detail});
  if (!outcome) return outcome;
  if (!cluster_.WaitForLeader(In(kRecoveryTime))) {
    return ::testing::AssertionFailure()
           << "no leader " << kRecoveryTime.count() << " ms after healing " << FaultName(kind)
           << ": " << detail;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult FaultDriver::HealAll() {
  SetRulesEverywhere("");
  for (size_t m : members_) {
    cluster_.Resume(m);
    if (!cluster_.IsRunning(m)) cluster_.Restart(m);
  }
  if (!cluster_.WaitForLeader(In(kRecoveryTime))) {
    return ::testing::AssertionFailure() << "no leader after healing every fault";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace raftkv::robustness
