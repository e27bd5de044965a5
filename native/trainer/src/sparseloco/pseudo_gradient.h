// Pseudo-gradient of a window and its payload file:
//   Δ = θ_start − θ_now
//   sparse (SparseLoCo): error feedback + top-k + 2-bit codec (native/codec),
//                        e ← β·e + Δ; payload = compress(e); e ← e − decompress(payload)
//   dense (DiLoCo):      Δ itself, fp32, as safetensors (for comparison runs)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensors/parameter_store.h"

namespace trainer {

struct SparseEncodeSettings {
  uint32_t k = 64;
  uint32_t blockSize = 64;
  float beta = 0.95f;
};

std::vector<float> pseudoGradient(const std::vector<float>& windowStart, const std::vector<float>& current);

// Encodes every parameter tensor (names/shapes from `layout`), updating
// errorFeedback in place; writes the payload atomically; returns its size.
uint64_t writeSparsePayload(const std::string& path, const ParameterStore& layout, const std::vector<float>& delta,
                            std::vector<float>& errorFeedback, const SparseEncodeSettings& settings);

uint64_t writeDensePayload(const std::string& path, const ParameterStore& layout, const std::vector<float>& delta);

}  // namespace trainer
