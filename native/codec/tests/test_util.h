// Helpers shared by the C++ tests and the fuzz driver.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "crc32c.h"
#include "tandem_codec/codec.h"
#include "test_harness.h"

namespace testutil {

struct OwnedTensor {
  std::string name;
  std::vector<uint64_t> shape;
  std::vector<float> delta;
  std::vector<float> ef;
};

inline uint64_t numelOf(const std::vector<uint64_t>& shape) {
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;
  return n;
}

// Gaussian pseudo-gradient with heavier tails (a share of values scaled up).
inline void fillGradient(testing::Rng& rng, std::vector<float>& v, double scale = 1e-3) {
  for (float& x : v) {
    const double tail = rng.uniform() < 0.05 ? 4.0 : 1.0;
    x = float(rng.gaussian() * scale * tail);
  }
}

inline std::vector<uint64_t> randomShape(testing::Rng& rng, uint64_t maxNumel = 20000) {
  std::vector<uint64_t> shape;
  for (;;) {
    shape.clear();
    const int ndim = int(rng.below(4));  // 0..3
    for (int d = 0; d < ndim; ++d) {
      // Mix of divisible sizes and awkward (prime-ish) ones.
      static const uint64_t sizes[] = {1, 2, 3, 7, 13, 31, 64, 96, 100, 128, 130, 193, 256, 317};
      shape.push_back(sizes[rng.below(sizeof(sizes) / sizeof(sizes[0]))]);
    }
    if (numelOf(shape) <= maxNumel) return shape;
  }
}

inline std::vector<tandem::TensorInput> inputsOf(std::vector<OwnedTensor>& tensors, bool useEf) {
  std::vector<tandem::TensorInput> in;
  for (auto& t : tensors) {
    tandem::TensorInput ti;
    ti.name = t.name;
    ti.shape = t.shape;
    ti.delta = t.delta.data();
    ti.errorFeedback = useEf ? t.ef.data() : nullptr;
    in.push_back(ti);
  }
  return in;
}

inline std::vector<OwnedTensor> randomTensors(testing::Rng& rng, int count, uint64_t maxNumel = 20000) {
  std::vector<OwnedTensor> out;
  for (int i = 0; i < count; ++i) {
    OwnedTensor t;
    t.name = "layer." + std::to_string(i) + ".weight";
    t.shape = randomShape(rng, maxNumel);
    t.delta.resize(numelOf(t.shape));
    t.ef.assign(t.delta.size(), 0.0f);
    fillGradient(rng, t.delta);
    fillGradient(rng, t.ef, 5e-4);
    out.push_back(std::move(t));
  }
  return out;
}

// Rewrites the trailing CRC32C so a deliberately corrupted payload reaches
// the structural checks instead of stopping at the checksum.
inline void fixChecksum(std::vector<uint8_t>& p) {
  if (p.size() < 4) return;
  const uint32_t c = tandem::crc32c(p.data(), p.size() - 4);
  for (int i = 0; i < 4; ++i) p[p.size() - 4 + i] = uint8_t(c >> (8 * i));
}

inline void setTotalLength(std::vector<uint8_t>& p) {
  if (p.size() < 16) return;
  for (int i = 0; i < 8; ++i) p[8 + i] = uint8_t(uint64_t(p.size()) >> (8 * i));
}

}  // namespace testutil
