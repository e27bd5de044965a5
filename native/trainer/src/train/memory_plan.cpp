#include "train/memory_plan.h"

#include "train/micro_batch.h"

namespace trainer {

CpuMemoryPlan planCpuMemory(const ModelConfig& config, uint64_t parameters, int seqLen, int microBatch) {
  CpuMemoryPlan plan;
  plan.stateBytes = kStateBytesPerParameter * parameters;
  plan.activationBytesPerSequence = activationBytesPerSequence(config, seqLen, AttentionMemory::kProbabilities);
  plan.microBatch = microBatch;
  plan.activationBytes = static_cast<uint64_t>(microBatch) * plan.activationBytesPerSequence;
  plan.preparationBytes = parameters * sizeof(float);
  return plan;
}

Json CpuMemoryPlan::toJson() const {
  Json j = Json::object();
  j["state_bytes"] = stateBytes;
  j["activation_bytes_per_sequence"] = activationBytesPerSequence;
  j["activation_bytes"] = activationBytes;
  j["preparation_bytes"] = preparationBytes;
  j["step_bytes"] = stepBytes();
  return j;
}

}  // namespace trainer
