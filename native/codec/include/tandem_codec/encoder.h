// Compression side: error feedback, per-chunk top-k, 2-bit quantisation and
// serialisation, as deployed by SparseLoCo:
//   e <- beta*e + delta
//   c  = compress(e)                 (top-k per chunk, quantise to 2 bits)
//   e <- e - decompress(c)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tandem_codec/payload.h"
#include "tandem_codec/status.h"

namespace tandem {

struct EncodeParams {
  uint32_t k = 64;          // kept values per chunk (clamped to the chunk size)
  uint32_t blockSize = 64;  // max chunk side; 64 -> 64x64 = 4096-value chunks
  float beta = 0.95f;       // error-feedback decay, in [0, 1]
  uint64_t maxValues = uint64_t(1) << 34;  // safety limit per tensor
};

struct TensorInput {
  std::string name;
  std::vector<uint64_t> shape;
  const float* delta = nullptr;      // numel values, row-major
  float* errorFeedback = nullptr;    // numel values, updated in place; may be null (no EF)
};

// Runs EF + compression and returns the sparse form (no serialisation).
// All inputs are checked (shapes, finiteness) before any EF buffer is touched.
Status compressTensors(const std::vector<TensorInput>& tensors, const EncodeParams& params,
                       SparsePayload& out);

// compressTensors + serializePayload.
Status encodeTensors(const std::vector<TensorInput>& tensors, const EncodeParams& params,
                     std::vector<uint8_t>& payload);

}  // namespace tandem
