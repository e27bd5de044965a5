#include "quantizer.h"

#include <cfloat>
#include <cmath>

namespace tandem {
namespace detail {

namespace {
// Empty-level centres can exceed the float range for extreme inputs; clamp
// so the table is always finite (decoders reject non-finite tables).
float toFiniteFloat(double v) {
  if (v > double(FLT_MAX)) return FLT_MAX;
  if (v < -double(FLT_MAX)) return -FLT_MAX;
  return float(v);
}
}  // namespace

void quantizeLevels(const float* values, uint64_t count, uint8_t* levels,
                    std::array<float, 4>& table, std::array<uint64_t, 4>& levelCounts) {
  // Two-pass mean/variance in double, fixed order: deterministic and exact
  // enough that float inputs never lose the sign of small deviations.
  double sum = 0;
  for (uint64_t i = 0; i < count; ++i) sum += values[i];
  const double mean = count ? sum / double(count) : 0.0;
  double sq = 0;
  for (uint64_t i = 0; i < count; ++i) {
    const double d = values[i] - mean;
    sq += d * d;
  }
  const double sigma = count > 1 ? std::sqrt(sq / double(count - 1)) : 0.0;
  const double scale = 6.0 * sigma / 4.0;
  const double t0 = mean - 1.5 * scale, t1 = mean - 0.5 * scale, t2 = mean + 0.5 * scale;

  double levelSum[4] = {0, 0, 0, 0};
  levelCounts = {0, 0, 0, 0};
  for (uint64_t i = 0; i < count; ++i) {
    const double v = values[i];
    const uint8_t level = uint8_t((v >= t0) + (v >= t1) + (v >= t2));
    levels[i] = level;
    levelSum[level] += v;
    levelCounts[level] += 1;
  }
  for (int l = 0; l < 4; ++l) {
    table[l] = toFiniteFloat(levelCounts[l] ? levelSum[l] / double(levelCounts[l])
                                            : mean + (l - 2) * scale);
  }
}

}  // namespace detail
}  // namespace tandem
