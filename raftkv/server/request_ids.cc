#include "raftkv/server/request_ids.h"

namespace raftkv::server {
namespace {

constexpr int kCounterBits = 8;
constexpr uint64_t kMillisMask = (uint64_t{1} << 40) - 1;

}  // namespace

RequestIds::RequestIds(uint64_t member_id, absl::Time now)
    : prefix_((member_id & 0xffff) << kSuffixBits),
      suffix_((static_cast<uint64_t>(absl::ToUnixMillis(now)) & kMillisMask) << kCounterBits) {}

uint64_t RequestIds::Next() {
  return prefix_ | ((suffix_.fetch_add(1, std::memory_order_relaxed) + 1) & kSuffixMask);
}

}  // namespace raftkv::server
