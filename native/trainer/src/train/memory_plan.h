// What training holds in host memory on the CPU backend, worked out from the
// model and the micro-batch before anything is allocated. The app predicts
// "fits" from the same sums before joining (its mirror is
// main/services/hardware/cpu-memory-plan.ts; a native test holds the two
// equal and checks both against the resident memory a trainer reports).
#pragma once

#include <cstdint>

#include "model/model_config.h"
#include "util/json.h"

namespace trainer {

// Bytes per parameter kept for as long as the session lives, all fp32: the
// weights, their gradients, AdamW's two moments, the window's start (the
// pseudo-gradient's base) and the outer state (SparseLoCo's error feedback,
// or DiLoCo's momentum). The first window has no outer state until its
// payload is encoded; every later one has.
constexpr uint64_t kStateBytesPerParameter = 24;

struct CpuMemoryPlan {
  uint64_t stateBytes = 0;
  uint64_t activationBytesPerSequence = 0;
  int microBatch = 1;
  uint64_t activationBytes = 0;  // one micro-batch's activations and backward scratch
  // One more copy of the weights while an outer step is prepared beside the
  // inner steps (prepare_outer), when host memory allows it.
  uint64_t preparationBytes = 0;
  // What the inner steps hold: state and one micro-batch.
  uint64_t stepBytes() const { return stateBytes + activationBytes; }
  Json toJson() const;
};

CpuMemoryPlan planCpuMemory(const ModelConfig& config, uint64_t parameters, int seqLen, int microBatch);

}  // namespace trainer
