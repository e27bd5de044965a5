#include "train/micro_batch.h"

namespace trainer {

uint64_t activationBytesPerSequence(const ModelConfig& c, int T, AttentionMemory attention) {
  const uint64_t t = static_cast<uint64_t>(T);
  const uint64_t d = c.hiddenSize, F = c.intermediateSize, V = c.vocabSize;
  const uint64_t qd = c.qDim(), kvd = c.kvDim(), H = c.numHeads;
  // Mirrors LlamaModel::allocateActivations (and CudaLlamaModel's lse + delta).
  const uint64_t attentionState = attention == AttentionMemory::kProbabilities ? H * t * t : 2 * H * t;
  const uint64_t perLayer = t * (5 * d + 2 + 2 * qd + 2 * kvd + 3 * F) + attentionState;
  const uint64_t global = t * (d * (c.numLayers + 1) + d + 2 + V);
  const uint64_t scratch = t * (2 * d + 2 * qd + 2 * kvd + 3 * F);
  return 4 * (perLayer * static_cast<uint64_t>(c.numLayers) + global + scratch);
}

int chooseMicroBatch(int batchSize, uint64_t bytesPerSequence, uint64_t freeBytes, uint64_t reservedBytes) {
  if (batchSize <= 1 || bytesPerSequence == 0) return batchSize < 1 ? 1 : batchSize;
  const uint64_t usable = freeBytes > reservedBytes ? (freeBytes - reservedBytes) / 10 * 9 : 0;
  for (int mb = batchSize; mb > 1; --mb) {
    if (batchSize % mb == 0 && static_cast<uint64_t>(mb) * bytesPerSequence <= usable) return mb;
  }
  return 1;
}

}  // namespace trainer
