#include "level_coder.h"

#include "byte_io.h"

namespace tandem {
namespace detail {
namespace {
constexpr uint32_t kRansLow = 1u << 23;  // state lower bound L
}

std::array<uint16_t, 4> normaliseLevelFrequencies(const std::array<uint64_t, 4>& counts) {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  std::array<uint16_t, 4> f{};
  if (total == 0) {
    f[2] = uint16_t(kLevelProbTotal);  // arbitrary valid table; no symbols coded
    return f;
  }
  int largest = 0;
  uint32_t sum = 0;
  for (int s = 0; s < 4; ++s) {
    if (counts[s] > counts[largest]) largest = s;
    uint64_t v = counts[s] == 0 ? 0 : (counts[s] * kLevelProbTotal) / total;
    if (counts[s] != 0 && v == 0) v = 1;
    f[s] = uint16_t(v);
    sum += uint32_t(v);
  }
  // The most frequent level holds >= 1/4 of the mass, so absorbing the
  // rounding difference (at most +-3) there keeps it >= 1.
  f[largest] = uint16_t(int32_t(f[largest]) + int32_t(kLevelProbTotal) - int32_t(sum));
  return f;
}

void encodeLevels(const uint8_t* levels, uint64_t count, const std::array<uint16_t, 4>& freq,
                  std::vector<uint8_t>& out) {
  uint32_t cum[4];
  cum[0] = 0;
  for (int s = 1; s < 4; ++s) cum[s] = cum[s - 1] + freq[s - 1];
  // rANS is LIFO: encode backwards into a buffer filled from its end, so the
  // decoder reads forwards. A symbol emits at most 2 bytes (freq >= 1/4096).
  std::vector<uint8_t> buf(size_t(count) * 2 + 8);
  uint8_t* ptr = buf.data() + buf.size();
  uint32_t x = kRansLow;
  for (uint64_t i = count; i-- > 0;) {
    const uint32_t s = levels[i];
    const uint32_t f = freq[s];
    const uint32_t xMax = ((kRansLow >> kLevelProbBits) << 8) * f;
    while (x >= xMax) { *--ptr = uint8_t(x); x >>= 8; }
    x = ((x / f) << kLevelProbBits) + (x % f) + cum[s];
  }
  ptr -= 4;
  storeLE32(ptr, x);
  out.insert(out.end(), ptr, buf.data() + buf.size());
}

Status decodeLevels(const uint8_t* data, size_t size, uint64_t count,
                    const std::array<uint16_t, 4>& freq, uint8_t* levels,
                    const std::string& context) {
  if (size < 4) {
    return Status::error(ErrorCode::kInvalidField, "levels", "stream shorter than its 4-byte state",
                         context);
  }
  const uint32_t c1 = freq[0], c2 = c1 + freq[1], c3 = c2 + freq[2];
  const uint32_t cum[4] = {0, c1, c2, c3};
  const uint8_t* p = data + 4;
  const uint8_t* end = data + size;
  uint32_t x = loadLE32(data);
  if (x < kRansLow || x >= (kRansLow << 8)) {
    return Status::error(ErrorCode::kInvalidField, "levels", "initial coder state out of range",
                         context);
  }
  const uint32_t mask = kLevelProbTotal - 1;
  for (uint64_t i = 0; i < count; ++i) {
    const uint32_t slot = x & mask;
    // Branch-free symbol lookup; zero-frequency levels have empty slot ranges
    // and therefore can never be produced.
    const uint32_t s = uint32_t(slot >= c1) + uint32_t(slot >= c2) + uint32_t(slot >= c3);
    levels[i] = uint8_t(s);
    x = freq[s] * (x >> kLevelProbBits) + slot - cum[s];
    while (x < kRansLow) {
      if (p == end) {
        return Status::error(ErrorCode::kInvalidField, "levels",
                             "stream ends after " + std::to_string(i) + " of " +
                                 std::to_string(count) + " levels",
                             context);
      }
      x = (x << 8) | *p++;
    }
  }
  if (p != end || x != kRansLow) {
    return Status::error(ErrorCode::kInvalidField, "levels",
                         p != end ? "stream has trailing bytes" : "final coder state mismatch",
                         context);
  }
  return Status::success();
}

}  // namespace detail
}  // namespace tandem
