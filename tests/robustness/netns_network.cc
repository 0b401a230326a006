#include "netns_network.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"

namespace raftkv::robustness {
namespace {

constexpr char kIp[] = "/usr/sbin/ip";

// Runs a shell command; its output becomes the error's message when it fails.
absl::Status Run(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return absl::InternalError(absl::StrCat("cannot run: ", command));
  std::string output;
  char buffer[256];
  while (size_t n = std::fread(buffer, 1, sizeof(buffer), pipe))
    output.append(buffer, n);
  const int status = ::pclose(pipe);
  if (status == 0) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(command, ": ", output));
}

}  // namespace

NamespaceNetwork::NamespaceNetwork(std::string tag, std::string subnet,
                                   std::vector<std::string> members)
    : tag_(std::move(tag)), subnet_(std::move(subnet)), members_(std::move(members)) {}

absl::StatusOr<std::unique_ptr<NamespaceNetwork>> NamespaceNetwork::Create(
    const std::vector<std::string>& members) {
  if (::geteuid() != 0) return absl::PermissionDeniedError("network namespaces need root");
  if (::access(kIp, X_OK) != 0) return absl::UnavailableError("no /usr/sbin/ip (iproute2)");
  const int pid = ::getpid();
  // Short (interface names have at most 15 characters) and distinct per test process.
  const std::string tag = absl::StrCat("rk", pid % 100000);
  const std::string subnet = absl::StrCat("10.", 200 + pid % 50, ".", (pid / 50) % 250, ".");
  std::unique_ptr<NamespaceNetwork> network(new NamespaceNetwork(tag, subnet, members));
  if (absl::Status built = network->Build(); !built.ok()) return built;
  return network;
}

std::string NamespaceNetwork::Namespace(size_t i) const {
  return absl::StrCat(tag_, "-", i);
}
std::string NamespaceNetwork::HostEnd(size_t i) const {
  return absl::StrCat(tag_, "h", i);
}
std::string NamespaceNetwork::Bridge() const {
  return absl::StrCat(tag_, "br");
}

absl::Status NamespaceNetwork::Build() {
  const std::string ip = kIp;
  std::vector<std::string> steps = {
      ip + " link add " + Bridge() + " type bridge",
      ip + " addr add " + subnet_ + "1/24 dev " + Bridge(),
      ip + " link set " + Bridge() + " up",
  };
  for (size_t i = 0; i < members_.size(); ++i) {
    const std::string ns = Namespace(i);
    const std::string inside = absl::StrCat(tag_, "n", i);
    const std::string in_ns = ip + " -n " + ns;
    steps.insert(steps.end(), {
                                  ip + " netns add " + ns,
                                  ip + " link add " + HostEnd(i) + " type veth peer name " + inside,
                                  ip + " link set " + inside + " netns " + ns,
                                  ip + " link set " + HostEnd(i) + " master " + Bridge(),
                                  ip + " link set " + HostEnd(i) + " up",
                                  in_ns + " addr add " + Host(members_[i]) + "/24 dev " + inside,
                                  in_ns + " link set " + inside + " up",
                                  in_ns + " link set lo up",
                              });
  }
  for (const std::string& step : steps) {
    if (absl::Status s = Run(step); !s.ok()) return s;  // the destructor removes the rest
  }
  return absl::OkStatus();
}

NamespaceNetwork::~NamespaceNetwork() {
  // Deleting a namespace deletes the veth inside it and so its peer on the bridge.
  for (size_t i = 0; i < members_.size(); ++i)
    Run(std::string(kIp) + " netns del " + Namespace(i)).IgnoreError();
  Run(std::string(kIp) + " link del " + Bridge()).IgnoreError();
}

size_t NamespaceNetwork::IndexOf(const std::string& member) const {
  return static_cast<size_t>(std::find(members_.begin(), members_.end(), member) -
                             members_.begin());
}

std::string NamespaceNetwork::Host(const std::string& member) const {
  return absl::StrCat(subnet_, IndexOf(member) + 2);
}

std::vector<std::string> NamespaceNetwork::Launcher(const std::string& member) const {
  return {kIp, "netns", "exec", Namespace(IndexOf(member))};
}

absl::Status NamespaceNetwork::SetLink(const std::string& member, bool up) const {
  return Run(absl::StrCat(kIp, " link set ", HostEnd(IndexOf(member)), up ? " up" : " down"));
}

}  // namespace raftkv::robustness
