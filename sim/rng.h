// drivelab/sim: the one random-number generator of the simulator.
//
// Why our own: std::uniform_real_distribution and std::normal_distribution are not specified bit for bit,
// so the same seed could give different tracks with another standard library. xoshiro256** with
// splitmix64 seeding is small, fast and fully specified, so a seed means the same thing everywhere.
#pragma once
#include <cmath>
#include <cstdint>

namespace dl::sim {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { reseed(seed); }

  void reseed(uint64_t seed) {
    uint64_t x = seed;
    for (auto& s : state_) s = splitmix64(x);
  }

  uint64_t next_u64() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [lo, hi] (inclusive). The modulo bias is below 2^-40 for the ranges we use.
  int64_t uniform_int(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    return lo + static_cast<int64_t>(next_u64() % span);
  }
  // Standard normal by Box-Muller (one value per call; deterministic, no cached spare).
  double normal() {
    double u1 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double normal(double mean, double stddev) { return mean + stddev * normal(); }

  // Full state, for checkpoints.
  struct State {
    uint64_t s[4];
  };
  State state() const { return {{state_[0], state_[1], state_[2], state_[3]}}; }
  void set_state(const State& st) {
    for (int i = 0; i < 4; ++i) state_[i] = st.s[i];
  }

  static uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Mixes two numbers into a seed (for "seed + index" derivations that must not collide trivially).
  static uint64_t mix(uint64_t a, uint64_t b) {
    uint64_t x = a ^ (b * 0xd1342543de82ef95ULL);
    return splitmix64(x);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

}  // namespace dl::sim
