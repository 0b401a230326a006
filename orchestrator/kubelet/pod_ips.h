// Pod IPs: every pod gets its own loopback address from the node's pod CIDR (all of 127/8 is
// loopback on Linux, so a pod can bind its address without any network setup). The network
// and broadcast addresses and the host's 127.0.0.1 are never handed out.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace orch::kubelet {

class PodIpAllocator {
 public:
  // "127.1.0.0/16"; InvalidArgument when it is not an IPv4 CIDR of at least 4 addresses.
  static absl::StatusOr<PodIpAllocator> Create(std::string_view cidr);

  // The address of `pod_uid`: the one it has, else the lowest free one. ResourceExhausted
  // when the range is full.
  absl::StatusOr<std::string> Allocate(const std::string& pod_uid);
  // Records an address a pod already had (after a kubelet restart); false when it is outside
  // the range or taken by another pod.
  bool Restore(const std::string& pod_uid, std::string_view address);
  void Release(const std::string& pod_uid);

  const std::string& cidr() const { return cidr_; }

 private:
  PodIpAllocator(std::string cidr, uint32_t first, uint32_t last)
      : cidr_(std::move(cidr)), first_(first), last_(last), next_(first) {}

  std::string cidr_;
  uint32_t first_;
  uint32_t last_;
  uint32_t next_;  // where the search for a free address starts (addresses are not reused at once)
  std::map<std::string, uint32_t> by_pod_;
  std::set<uint32_t> taken_;
};

// The allocator shared by the pod workers of one kubelet.
class SharedPodIps {
 public:
  explicit SharedPodIps(PodIpAllocator allocator) : allocator_(std::move(allocator)) {}

  // The pod's address: `previous` (what its directory recorded) when still free, else a new one.
  absl::StatusOr<std::string> Acquire(const std::string& pod_uid,
                                      const std::optional<std::string>& previous);
  void Release(const std::string& pod_uid);
  std::string cidr() const;

 private:
  mutable std::mutex mutex_;
  PodIpAllocator allocator_;
};

std::string FormatIpv4(uint32_t address);
bool ParseIpv4(std::string_view text, uint32_t* address);

}  // namespace orch::kubelet
