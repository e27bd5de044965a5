// Level coding. Top-k keeps the tails of the distribution, so after the
// 2-bit quantizer most kept values land on levels 1 and 3 and the level
// entropy is often near 1 bit, not 2. We code the levels of a tensor with a
// static 4-symbol rANS (32-bit state, byte renormalisation, 12-bit
// probabilities). The frequency table travels in the tensor header. The
// decoder checks that the stream ends exactly at the encoder's initial state
// with every byte consumed, which makes any corruption detectable.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tandem_codec/status.h"

namespace tandem {
namespace detail {

constexpr uint32_t kLevelProbBits = 12;
constexpr uint32_t kLevelProbTotal = 1u << kLevelProbBits;  // frequencies sum to this

// Normalises level counts to frequencies summing to kLevelProbTotal; a level
// is given a non-zero frequency iff it occurs.
std::array<uint16_t, 4> normaliseLevelFrequencies(const std::array<uint64_t, 4>& counts);

void encodeLevels(const uint8_t* levels, uint64_t count, const std::array<uint16_t, 4>& freq,
                  std::vector<uint8_t>& out);

// Decodes `count` levels; errors name the field 'levels'.
Status decodeLevels(const uint8_t* data, size_t size, uint64_t count,
                    const std::array<uint16_t, 4>& freq, uint8_t* levels,
                    const std::string& context);

}  // namespace detail
}  // namespace tandem
