// Partitions through Linux network namespaces: each member in its own namespace with its own
// address (netns_network.h), links taken down under recorded traffic, mixed with kills,
// pauses and fault-rule partitions; then the same checks as the other runs (~45 s).
// Skipped when not root or when the kernel refuses network namespaces.

#include "gtest/gtest.h"
#include "netns_network.h"
#include "robustness_run.h"

namespace raftkv::robustness {
namespace {

TEST(Robustness, NetworkNamespacePartitions) {
  const std::vector<std::string> members = {"m0", "m1", "m2"};
  auto network = NamespaceNetwork::Create(members);
  if (!network.ok()) GTEST_SKIP() << "no network namespaces here: " << network.status();
  const NamespaceNetwork& net = **network;
  RunOptions options;
  options.seed = SeedFromEnvironment();
  options.duration = std::chrono::seconds(40);
  options.round = options.duration;
  options.history_dir = RAFTKV_ROBUSTNESS_HISTORY_DIR;
  // Membership changes would need namespaces for members not known yet.
  options.kinds = {FaultKind::kLinkDown, FaultKind::kLinkDown, FaultKind::kKillLeader,
                   FaultKind::kPauseMember, FaultKind::kPartitionOneWay};
  options.cluster.member_host = [&net](const std::string& name) { return net.Host(name); };
  options.cluster.member_launcher = [&net](const std::string& name) { return net.Launcher(name); };
  options.link_control = [&net](const std::string& name, bool up) { return net.SetLink(name, up); };
  RunWithFaults(options);
}

}  // namespace
}  // namespace raftkv::robustness
