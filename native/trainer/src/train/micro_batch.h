// Picks the micro-batch from free accelerator memory so consumer GPUs do not
// run out of memory (a top contributor complaint). The global batch (rows
// per inner step) is fixed by the run, because the data assignment depends on
// it; only its split into micro-batches is local.
#pragma once

#include <cstdint>

#include "model/model_config.h"

namespace trainer {

// How attention keeps what its backward pass needs: the CPU model stores the
// [H,T,T] probabilities of every layer; the CUDA kernels keep one
// log-sum-exp per query row and recompute the rest (memory linear in T).
enum class AttentionMemory { kProbabilities, kRowStatistics };

// Bytes of activations + backward scratch one sequence of length T needs
// in the fp32 CPU layout (an upper bound for the bf16 CUDA layout).
uint64_t activationBytesPerSequence(const ModelConfig& config, int T,
                                    AttentionMemory attention = AttentionMemory::kProbabilities);

// Largest divisor of batchSize whose activations fit in
// (freeBytes - reservedBytes) * 0.9; at least 1.
int chooseMicroBatch(int batchSize, uint64_t bytesPerSequence, uint64_t freeBytes, uint64_t reservedBytes);

}  // namespace trainer
