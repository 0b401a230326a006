#include "raftkv/transport/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace raftkv::transport {

TokenBucket::TokenBucket(uint64_t bytes_per_second, uint64_t burst_bytes, Clock::time_point now)
    : bytes_per_second_(static_cast<double>(bytes_per_second)),
      burst_bytes_(static_cast<double>(burst_bytes)),
      last_refill_(now) {}

void TokenBucket::Refill(Clock::time_point now) {
  if (now <= last_refill_) return;
  const double elapsed = std::chrono::duration<double>(now - last_refill_).count();
  tokens_ = std::min(burst_bytes_, tokens_ + elapsed * bytes_per_second_);
  last_refill_ = now;
}

std::chrono::nanoseconds TokenBucket::Reserve(uint64_t bytes, Clock::time_point now) {
  if (bytes_per_second_ <= 0) return std::chrono::nanoseconds(0);
  Refill(now);
  tokens_ -= static_cast<double>(bytes);
  if (tokens_ >= 0) return std::chrono::nanoseconds(0);
  // Round up so the caller never sends before the tokens exist.
  return std::chrono::nanoseconds(
      static_cast<int64_t>(std::ceil(-tokens_ / bytes_per_second_ * 1e9)));
}

}  // namespace raftkv::transport
