// One rank of an FSDP model: the memory and compute of one device (a CUDA
// GPU, or a simulated rank on the CPU). FsdpModel holds the sharding logic
// once and drives ranks through this interface, so the same code that runs
// on G GPUs runs, and is tested, on G CPU ranks.
//
// Whole-model buffers (capacity ShardLayout::paddedTotal(), or exactly N for
// CPU ranks paired with CpuCollective) are what forward/backward use: the
// gathered weights and this rank's local gradients. Shard buffers (capacity
// ShardLayout::shardSize()) are the state the rank owns: master weights,
// reduced gradients, AdamW moments — 1/G of the unsharded optimizer state.
#pragma once

#include <cstdint>
#include <string>

#include "optim/adamw.h"

namespace trainer {

class FsdpRank {
 public:
  virtual ~FsdpRank() = default;
  virtual std::string describe() const = 0;
  virtual uint64_t freeBytes() const = 0;
  // Makes this rank's device current on the calling thread (CUDA); ranks
  // call it before each operation, FsdpModel before each rank's work.
  virtual void activate() {}

  virtual float* wholeValues() = 0;
  virtual float* wholeGrads() = 0;
  virtual float* shardValues() = 0;
  virtual float* shardGrads() = 0;
  virtual float* shardFirstMoment() = 0;
  virtual float* shardSecondMoment() = 0;
  virtual size_t shardCapacity() const = 0;  // elements in each shard buffer

  // After an all-gather into wholeValues() (CUDA refreshes its bf16 copy).
  virtual void wholeValuesChanged() = 0;
  virtual void zeroGrads() = 0;  // whole and shard gradients
  virtual float forward(const int32_t* tokens, const int32_t* targets, int B, int T) = 0;
  virtual void backward(float lossScale) = 0;  // accumulates into wholeGrads()

  // Elementwise work on this rank's memory: CPU reference kernels or their
  // CUDA twins (optim/grad_clip, optim/adamw).
  virtual double sumOfSquares(const float* x, size_t n) = 0;
  virtual void scale(float* x, size_t n, float s) = 0;
  virtual void adamw(float* param, const float* grad, float* m, float* v, size_t n, const AdamWSettings& settings,
                     float lr, bool weightDecay, int64_t step) = 0;
  virtual void upload(float* dst, const float* host, size_t n) = 0;
  virtual void download(float* host, const float* src, size_t n) = 0;
  virtual void zero(float* dst, size_t n) = 0;
  virtual void synchronize() {}
};

}  // namespace trainer
