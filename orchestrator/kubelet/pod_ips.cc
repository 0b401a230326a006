#include "orchestrator/kubelet/pod_ips.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace orch::kubelet {
namespace {

constexpr uint32_t kHostAddress = (127u << 24) | 1u;  // 127.0.0.1, the node's own address

}  // namespace

std::string FormatIpv4(uint32_t address) {
  return absl::StrCat(address >> 24, ".", (address >> 16) & 255, ".", (address >> 8) & 255, ".",
                      address & 255);
}

bool ParseIpv4(std::string_view text, uint32_t* address) {
  std::vector<std::string> parts = absl::StrSplit(std::string(text), '.');
  if (parts.size() != 4) return false;
  uint32_t value = 0;
  for (const std::string& part : parts) {
    uint32_t octet = 0;
    if (part.empty() || part.size() > 3 || !absl::SimpleAtoi(part, &octet) || octet > 255) {
      return false;
    }
    value = (value << 8) | octet;
  }
  *address = value;
  return true;
}

absl::StatusOr<PodIpAllocator> PodIpAllocator::Create(std::string_view cidr) {
  std::vector<std::string> parts = absl::StrSplit(std::string(cidr), '/');
  uint32_t base = 0;
  int prefix = 0;
  if (parts.size() != 2 || !ParseIpv4(parts[0], &base) || !absl::SimpleAtoi(parts[1], &prefix) ||
      prefix < 1 || prefix > 30) {
    return absl::InvalidArgumentError(
        absl::StrCat("pod CIDR \"", std::string(cidr),
                     "\" is not an IPv4 CIDR such as 127.1.0.0/16 (/1 to /30)"));
  }
  const uint32_t mask = ~0u << (32 - prefix);
  const uint32_t network = base & mask;
  return PodIpAllocator(absl::StrCat(FormatIpv4(network), "/", prefix), network + 1,
                        (network | ~mask) - 1);
}

absl::StatusOr<std::string> PodIpAllocator::Allocate(const std::string& pod_uid) {
  if (auto found = by_pod_.find(pod_uid); found != by_pod_.end()) return FormatIpv4(found->second);
  const uint64_t size = uint64_t{last_} - first_ + 1;
  for (uint64_t step = 0; step < size; ++step) {
    const uint32_t candidate = first_ + static_cast<uint32_t>((next_ - first_ + step) % size);
    if (candidate == kHostAddress || taken_.contains(candidate)) continue;
    taken_.insert(candidate);
    by_pod_[pod_uid] = candidate;
    next_ = candidate == last_ ? first_ : candidate + 1;
    return FormatIpv4(candidate);
  }
  return absl::ResourceExhaustedError(absl::StrCat("no free address left in pod CIDR ", cidr_));
}

bool PodIpAllocator::Restore(const std::string& pod_uid, std::string_view address) {
  uint32_t value = 0;
  if (!ParseIpv4(address, &value) || value < first_ || value > last_ || value == kHostAddress) {
    return false;
  }
  if (auto found = by_pod_.find(pod_uid); found != by_pod_.end()) return found->second == value;
  if (taken_.contains(value)) return false;
  taken_.insert(value);
  by_pod_[pod_uid] = value;
  return true;
}

void PodIpAllocator::Release(const std::string& pod_uid) {
  auto found = by_pod_.find(pod_uid);
  if (found == by_pod_.end()) return;
  taken_.erase(found->second);
  by_pod_.erase(found);
}

absl::StatusOr<std::string> SharedPodIps::Acquire(const std::string& pod_uid,
                                                  const std::optional<std::string>& previous) {
  std::lock_guard lock(mutex_);
  if (previous && allocator_.Restore(pod_uid, *previous)) return *previous;
  return allocator_.Allocate(pod_uid);
}

void SharedPodIps::Release(const std::string& pod_uid) {
  std::lock_guard lock(mutex_);
  allocator_.Release(pod_uid);
}

std::string SharedPodIps::cidr() const {
  std::lock_guard lock(mutex_);
  return allocator_.cidr();
}

}  // namespace orch::kubelet
