// A copy of the model living on an accelerator. TrainingSession keeps the
// host ParameterStore and AdamW as the authoritative state BETWEEN windows
// (snapshot, pseudo-gradient, codec, outer step, checkpoints all run on the
// host) and hands the inner loop to a DeviceModel when one is enabled:
//   window start: uploadParams + uploadOptimizer
//   inner steps:  zeroGrads, forward/backward per micro-batch, clipGradients,
//                 adamwStep — all on the device
//   window end:   downloadParams + downloadOptimizer
// Implemented by CudaLlamaModel; makeCudaDeviceModel returns null in builds
// without CUDA.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "model/llama_model.h"
#include "optim/adamw.h"

namespace trainer {

class DeviceModel {
 public:
  virtual ~DeviceModel() = default;
  virtual std::string describe() const = 0;
  virtual uint64_t freeBytes() const = 0;

  virtual void uploadParams(const ParameterStore& host) = 0;
  virtual void downloadParams(ParameterStore& host) const = 0;
  virtual void downloadGrads(ParameterStore& host) const = 0;
  virtual void uploadOptimizer(const AdamW& host) = 0;
  virtual void downloadOptimizer(AdamW& host) const = 0;

  virtual void zeroGrads() = 0;
  virtual float forward(const int32_t* tokens, const int32_t* targets, int B, int T) = 0;
  virtual void backward(float lossScale) = 0;
  // Global L2 norm before clipping; scales gradients when above maxNorm.
  virtual double clipGradients(double maxNorm) = 0;
  virtual void adamwStep(const AdamWSettings& settings, double lr) = 0;
};

// Null when CUDA is not compiled in; throws TrainerError(no_cuda_device)
// when it is but device `index` cannot be used.
std::unique_ptr<DeviceModel> makeCudaDeviceModel(const LlamaModel& layout, int index);

}  // namespace trainer
