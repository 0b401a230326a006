#ifndef RAFTKV_TRANSPORT_TOKEN_BUCKET_H_
#define RAFTKV_TRANSPORT_TOKEN_BUCKET_H_

#include <chrono>
#include <cstdint>

namespace raftkv::transport {

// Caps a byte stream's throughput. The bucket starts empty and fills at bytes_per_second up to
// one burst; a send of n bytes reserves n tokens (the balance may go negative) and must wait
// the returned delay first. So sending S bytes from a fresh bucket takes at least
// S / bytes_per_second, whatever the chunking. Time is passed in, so the class is pure.
class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  // bytes_per_second == 0 means unlimited (every delay is zero).
  TokenBucket(uint64_t bytes_per_second, uint64_t burst_bytes, Clock::time_point now);

  // Reserves bytes and returns how long to wait before sending them.
  std::chrono::nanoseconds Reserve(uint64_t bytes, Clock::time_point now);

 private:
  void Refill(Clock::time_point now);

  double bytes_per_second_;
  double burst_bytes_;
  double tokens_ = 0;
  Clock::time_point last_refill_;
};

}  // namespace raftkv::transport

#endif  // RAFTKV_TRANSPORT_TOKEN_BUCKET_H_
