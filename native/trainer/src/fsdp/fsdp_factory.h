// Builds FSDP models: G simulated ranks on the CPU (always available; what
// the tests run), or G CUDA devices (null in builds without CUDA).
#pragma once

#include <memory>
#include <vector>

#include "fsdp/fsdp_model.h"
#include "model/llama_model.h"

namespace trainer {

// Each rank is a LlamaModel of `layout`'s config (its whole weights are
// overwritten by the first uploadParams). ranks >= 1.
std::unique_ptr<FsdpModel> makeCpuFsdpModel(const LlamaModel& layout, int ranks, bool concurrentRanks = false);

// One rank per entry of `devices` (CUDA device indices; the same index may
// repeat to simulate ranks on one GPU, which rules NCCL out). NCCL when
// libnccl.so.2 loads and `allowNccl`, else peer copies. Throws
// TrainerError(no_cuda_device) for an unusable index; null without CUDA.
std::unique_ptr<FsdpModel> makeCudaFsdpModel(const LlamaModel& layout, const std::vector<int>& devices,
                                             bool allowNccl = true);

}  // namespace trainer
