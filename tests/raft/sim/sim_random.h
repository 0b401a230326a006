#ifndef RAFTKV_TESTS_RAFT_SIM_SIM_RANDOM_H_
#define RAFTKV_TESTS_RAFT_SIM_SIM_RANDOM_H_

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace raftkv::sim {

// The one source of randomness of a simulation run. Every random choice goes through it, so a
// seed replays a run exactly. Bounded draws use modulo rather than std distributions, whose
// results differ between standard libraries.
class SimRandom {
 public:
  explicit SimRandom(uint64_t seed) : engine_(seed) {}

  uint64_t Next() { return engine_(); }
  // Uniform in [lo, hi].
  uint64_t Between(uint64_t lo, uint64_t hi) { return lo + Next() % (hi - lo + 1); }
  // True with probability p.
  bool Chance(double p) { return static_cast<double>(Next() >> 11) * 0x1.0p-53 < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Next() % v.size())];
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace raftkv::sim

#endif  // RAFTKV_TESTS_RAFT_SIM_SIM_RANDOM_H_
