// A copy of the model living on an accelerator. TrainingSession keeps the
// host ParameterStore and AdamW as the authoritative state BETWEEN windows
// (snapshot, pseudo-gradient, codec, outer step, checkpoints all run on the
// host) and hands the inner loop to a DeviceModel when one is enabled:
//   window start: uploadParams + uploadOptimizer
//   inner steps:  zeroGrads, forward/backward per micro-batch, clipGradients,
//                 adamwStep — all on the device
//   window end:   downloadParams + downloadOptimizer
// Implemented by CudaLlamaModel (one GPU) and FsdpModel (G ranks: GPUs, or
// simulated ranks on the CPU; fsdp/fsdp_model.h); makeCudaDeviceModel
// returns null in builds without CUDA.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/llama_model.h"
#include "optim/adamw.h"

namespace trainer {

class DeviceModel {
 public:
  virtual ~DeviceModel() = default;
  virtual std::string describe() const = 0;
  virtual uint64_t freeBytes() const = 0;
  virtual std::string backendName() const = 0;  // "cpu" | "cuda": where the math runs
  virtual int shardCount() const { return 1; }  // FSDP ranks
  virtual std::string collectiveName() const { return ""; }  // FSDP: "cpu", "nccl", "peer_copy"

  virtual void uploadParams(const ParameterStore& host) = 0;
  virtual void downloadParams(ParameterStore& host) const = 0;
  virtual void downloadGrads(ParameterStore& host) const = 0;
  virtual void uploadOptimizer(const AdamW& host) = 0;
  virtual void downloadOptimizer(AdamW& host) const = 0;

  virtual void zeroGrads() = 0;
  virtual float forward(const int32_t* tokens, const int32_t* targets, int B, int T) = 0;
  virtual void backward(float lossScale) = 0;
  // One inner step's gradients: forward + backward(lossScale) of
  // `microBatches` micro-batches of `microBatch` rows each (rows of m start
  // at tokens + m·microBatch·T); losses[m] gets each mean loss. Multi-rank
  // models spread the micro-batches over their ranks.
  virtual void accumulateGradients(const int32_t* tokens, const int32_t* targets, int microBatches, int microBatch,
                                   int T, float lossScale, float* losses) {
    const size_t rowTokens = static_cast<size_t>(microBatch) * static_cast<size_t>(T);
    for (int m = 0; m < microBatches; ++m) {
      losses[m] = forward(tokens + m * rowTokens, targets + m * rowTokens, microBatch, T);
      backward(lossScale);
    }
  }
  // Global L2 norm before clipping; scales gradients when above maxNorm.
  virtual double clipGradients(double maxNorm) = 0;
  virtual void adamwStep(const AdamWSettings& settings, double lr) = 0;
};

// Null when CUDA is not compiled in; throws TrainerError(no_cuda_device)
// when it is but device `index` cannot be used.
std::unique_ptr<DeviceModel> makeCudaDeviceModel(const LlamaModel& layout, int index);

}  // namespace trainer
