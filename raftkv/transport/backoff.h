#ifndef RAFTKV_TRANSPORT_BACKOFF_H_
#define RAFTKV_TRANSPORT_BACKOFF_H_

#include <chrono>
#include <cstdint>

namespace raftkv::transport {

// Delays between reconnection attempts: exponential from `initial` up to `max`, each spread by
// +-20% jitter so members that lost each other at the same moment do not redial in lockstep.
// Deterministic for a given seed.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, uint64_t seed);

  // The delay before the next attempt; each call doubles the base delay, up to max.
  std::chrono::milliseconds Next();
  // Back to `initial`, after a connection that worked.
  void Reset() { base_ = initial_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds base_;
  uint64_t rng_state_;
};

}  // namespace raftkv::transport

#endif  // RAFTKV_TRANSPORT_BACKOFF_H_
