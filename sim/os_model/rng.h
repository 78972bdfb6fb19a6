// The model's only source of randomness: xoshiro256** seeded through
// splitmix64, with its own uniform and exponential draws so a seed gives the
// same stream on every platform and standard library.
#pragma once
#include <cmath>
#include <cstdint>

namespace quiesce::os {

class Rng {
 public:
  explicit Rng(uint64_t seed = 1) {
    for (auto& w : s_) w = splitmix(seed);
  }
  uint64_t next() {
    const uint64_t r = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0], s_[3] ^= s_[1], s_[1] ^= s_[2], s_[0] ^= s_[3], s_[2] ^= t, s_[3] = rotl(s_[3], 45);
    return r;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double exponential(double mean) { return -mean * std::log1p(-uniform()); }
  // Mixes several values into one seed (a stream per CPU, per workload...).
  static uint64_t derive(uint64_t seed, uint64_t a, uint64_t b = 0) {
    uint64_t x = seed;
    x = splitmix(x) ^ a;
    x = splitmix(x) ^ b;
    return splitmix(x);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return x << k | x >> (64 - k); }
  static uint64_t splitmix(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t s_[4];
};

}  // namespace quiesce::os
