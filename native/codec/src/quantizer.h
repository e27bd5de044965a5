// The deployed 2-bit value quantiser, applied per tensor to the kept values:
//   shift = mean, sigma = sample std (n-1, like torch.std), scale = 6*sigma/4
//   level = clamp(round((x - shift)/scale + 2), 0, 3)
// implemented as three value-space thresholds (shift + {-1.5,-0.5,0.5}*scale),
// which is the same rounding without a division per value. Dequantisation
// uses a 4-entry table holding the mean of the values that fell on each
// level (an empty level gets its bin centre), which minimises the squared
// error for the chosen levels.
#pragma once

#include <array>
#include <cstdint>

namespace tandem {
namespace detail {

void quantizeLevels(const float* values, uint64_t count, uint8_t* levels,
                    std::array<float, 4>& table, std::array<uint64_t, 4>& levelCounts);

}  // namespace detail
}  // namespace tandem
