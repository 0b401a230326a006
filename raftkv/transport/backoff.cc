#include "raftkv/transport/backoff.h"

#include <algorithm>

namespace raftkv::transport {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, uint64_t seed)
    : initial_(std::max(initial, std::chrono::milliseconds(1))),
      max_(std::max(max, initial_)),
      base_(initial_),
      rng_state_(seed | 1) {}

std::chrono::milliseconds Backoff::Next() {
  // xorshift64: enough randomness for jitter, and reproducible in tests.
  rng_state_ ^= rng_state_ << 13;
  rng_state_ ^= rng_state_ >> 7;
  rng_state_ ^= rng_state_ << 17;
  const int64_t base = base_.count();
  const int64_t spread = base / 5;  // +-20%
  const int64_t jitter =
      spread == 0 ? 0 : static_cast<int64_t>(rng_state_ % (2 * spread + 1)) - spread;
  base_ = std::min(base_ * 2, max_);
  return std::chrono::milliseconds(std::max<int64_t>(1, base + jitter));
}

}  // namespace raftkv::transport
