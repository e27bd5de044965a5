// The LlamaModel computation on one CUDA device (CUDA builds only): same
// parameter layout and math as the CPU reference, bf16 activations, fp32
// master weights, gradients and AdamW moments resident on the device; the
// host ParameterStore is a mirror synchronised explicitly (at window
// boundaries: snapshot, pseudo-gradient, codec, checkpoints).
//
// STATUS: compiled, not yet run — no GPU was available when it was written.
// tests/test_cuda_kernels.cpp compares it with the CPU model (loss,
// gradients, AdamW steps) on the first machine with a device. Not yet used
// by TrainingSession through DeviceModel (load with backend "cuda").
#pragma once

#include <cstdint>
#include <memory>

#include "device/phase_timer.h"
#include "model/device_model.h"
#include "model/llama_model.h"
#include "optim/adamw.h"

namespace trainer {

struct CudaModelOptions {
  // Elements allocated for the fp32 weight and gradient buffers (at least the
  // parameter count; FSDP pads them to G·S for NCCL, the pad stays zero).
  size_t capacity = 0;
  // AdamW moments on the device; an FSDP rank keeps only its shard of them.
  bool optimizerState = true;
};

class CudaLlamaModel final : public DeviceModel {
 public:
  // Takes the parameter layout (names, shapes, offsets) from `layout`.
  explicit CudaLlamaModel(const LlamaModel& layout, CudaModelOptions options = {});
  ~CudaLlamaModel();
  CudaLlamaModel(const CudaLlamaModel&) = delete;
  CudaLlamaModel& operator=(const CudaLlamaModel&) = delete;

  std::string describe() const override;
  std::string backendName() const override { return "cuda"; }
  uint64_t freeBytes() const override;

  void uploadParams(const ParameterStore& host) override;  // master fp32 + bf16 working copy
  void downloadParams(ParameterStore& host) const override;
  void downloadGrads(ParameterStore& host) const override;
  void uploadOptimizer(const AdamW& host) override;
  void downloadOptimizer(AdamW& host) const override;
  void zeroGrads() override;

  // Host token/target arrays of B*T; returns the mean loss over unmasked targets.
  float forward(const int32_t* tokens, const int32_t* targets, int B, int T) override;
  void backward(float lossScale) override;
  double clipGradients(double maxNorm) override;
  // AdamW on the device (moments start at zero unless uploaded).
  void adamwStep(const AdamWSettings& settings, double lr) override;

  // For an FSDP rank (fsdp/cuda_rank.cpp): the device's fp32 weights and
  // gradients, and the bf16 copy the matmuls read, refreshed from the fp32
  // weights after they were written directly (an all-gather).
  float* weightData();
  float* gradData();
  void refreshWorkingCopy();

  // Where a step's device time goes (forward/backward by kind of kernel,
  // clipping, AdamW); off unless enabled (bench_trainer --cuda).
  PhaseTimer& phaseTimer();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trainer
