// Index-set coding. Each chunk keeps exactly k sorted local indices; we send
// the gaps between consecutive kept positions (g = idx - prev - 1, prev
// starting at -1) with a Golomb code of parameter m (quotient in unary,
// remainder in truncated binary). For the near-geometric gaps top-k produces,
// an optimal Golomb code lands within ~0.05 bit/index of log2 C(n,k)/k,
// while decoding stays a few instructions per index (count-trailing-zeros
// for the unary part). Gaps are strictly increasing by construction, so a
// decoded chunk can never contain duplicate indices.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tandem_codec/status.h"

namespace tandem {
namespace detail {

// Golomb parameter minimising the expected length for geometric gaps with
// the given mean (smallest m with theta^m + theta^(m+1) <= 1).
uint32_t chooseGolombParameter(double meanGap, uint32_t chunkSize);

// Mean gap of all chunks of a tensor (locals: chunkCount * k values).
double meanGap(const uint16_t* locals, uint64_t chunkCount, uint32_t k);

void encodeIndexGaps(const uint16_t* locals, uint64_t chunkCount, uint32_t k, uint32_t m,
                     std::vector<uint8_t>& out);

// Decodes chunkCount*k local indices; validates range, stream length and
// zero padding. Errors name the field 'indices'.
Status decodeIndexGaps(const uint8_t* data, size_t size, uint64_t chunkCount, uint32_t k,
                       uint32_t chunkSize, uint32_t m, uint16_t* locals,
                       const std::string& context);

}  // namespace detail
}  // namespace tandem
