// A private network of Linux network namespaces for robustness runs: one namespace per member,
// each with its own IPv4 address on a veth pair whose other end joins a bridge in the test's
// namespace (which holds the bridge's address, so clients reach every member). Taking a
// member's link down cuts it off from its peers and its clients alike, as a pulled cable.
// Needs root and iproute2; everything is removed again on destruction.

#ifndef RAFTKV_TESTS_ROBUSTNESS_NETNS_NETWORK_H_
#define RAFTKV_TESTS_ROBUSTNESS_NETNS_NETWORK_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace raftkv::robustness {

class NamespaceNetwork {
 public:
  // A namespace for each member name. Fails (cleaning up what it made) when not root or when
  // the kernel or iproute2 refuses a step.
  static absl::StatusOr<std::unique_ptr<NamespaceNetwork>> Create(
      const std::vector<std::string>& members);
  ~NamespaceNetwork();
  NamespaceNetwork(const NamespaceNetwork&) = delete;
  NamespaceNetwork& operator=(const NamespaceNetwork&) = delete;

  // The member's address, and the command that runs a process in its namespace.
  std::string Host(const std::string& member) const;
  std::vector<std::string> Launcher(const std::string& member) const;
  // Takes the member's link down or brings it back up.
  absl::Status SetLink(const std::string& member, bool up) const;

 private:
  NamespaceNetwork(std::string tag, std::string subnet, std::vector<std::string> members);
  absl::Status Build();
  size_t IndexOf(const std::string& member) const;
  std::string Namespace(size_t i) const;
  std::string HostEnd(size_t i) const;
  std::string Bridge() const;

  const std::string tag_;     // unique per test process: names of links and namespaces
  const std::string subnet_;  // "10.a.b." : .1 is the bridge, .2... the members
  const std::vector<std::string> members_;
};

}  // namespace raftkv::robustness

#endif  // RAFTKV_TESTS_ROBUSTNESS_NETNS_NETWORK_H_
