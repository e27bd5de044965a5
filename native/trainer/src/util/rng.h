// Deterministic random numbers that are identical on every platform and
// reproducible from TypeScript (BigInt): SplitMix64 as a counter-based
// generator, and Box-Muller normals computed in double. std::*_distribution
// is avoided on purpose: its output is implementation-defined.
#pragma once

#include <cmath>
#include <cstdint>

namespace trainer {

constexpr uint64_t kGoldenGamma = 0x9E3779B97F4A7C15ull;

// The SplitMix64 output function ("mix") applied to a state value.
inline uint64_t splitmix64Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The n-th output (n = 0, 1, ...) of a SplitMix64 stream seeded with `seed`:
// state_n = seed + (n + 1) * gamma. Random access lets a validator jump to
// any draw without replaying the stream.
inline uint64_t splitmix64At(uint64_t seed, uint64_t n) {
  return splitmix64Mix(seed + (n + 1) * kGoldenGamma);
}

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    state_ += kGoldenGamma;
    return splitmix64Mix(state_);
  }
  // Uniform in (0, 1): 53 random bits, never exactly 0 so log() is safe.
  double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }
  // Standard normal via Box-Muller (one value per call, the pair's sine half
  // is dropped to keep the stream position simple to reason about).
  double normal() {
    const double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  uint64_t state() const { return state_; }

 private:
  uint64_t state_;
};

// FNV-1a 64-bit over bytes: turns a peer id string into a seed.
inline uint64_t fnv1a64(const void* data, size_t size, uint64_t hash = 0xCBF29CE484222325ull) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    hash ^= p[i];
    hash *= 0x100000001B3ull;
  }
  return hash;
}

}  // namespace trainer
