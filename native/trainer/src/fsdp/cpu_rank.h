// A simulated FSDP rank in host memory: its own LlamaModel (whole weights,
// local gradients, activations) plus its shard of master weights, reduced
// gradients and AdamW moments, with the CPU reference kernels.
#pragma once

#include <vector>

#include "fsdp/fsdp_rank.h"
#include "model/llama_model.h"

namespace trainer {

class CpuRank final : public FsdpRank {
 public:
  // `ranks`: how many simulated ranks share the host's memory.
  CpuRank(const ModelConfig& config, int index, int ranks, size_t shardSize);

  std::string describe() const override { return "cpu:" + std::to_string(index_); }
  uint64_t freeBytes() const override;

  float* wholeValues() override { return model_.params().allValues().data(); }
  float* wholeGrads() override { return model_.params().allGrads().data(); }
  float* shardValues() override { return values_.data(); }
  float* shardGrads() override { return grads_.data(); }
  float* shardFirstMoment() override { return m_.data(); }
  float* shardSecondMoment() override { return v_.data(); }
  size_t shardCapacity() const override { return values_.size(); }

  void wholeValuesChanged() override {}
  void zeroGrads() override;
  float forward(const int32_t* tokens, const int32_t* targets, int B, int T) override {
    return model_.forward(tokens, targets, B, T);
  }
  void backward(float lossScale) override { model_.backward(lossScale); }

  double sumOfSquares(const float* x, size_t n) override;
  void scale(float* x, size_t n, float s) override;
  void adamw(float* param, const float* grad, float* m, float* v, size_t n, const AdamWSettings& settings, float lr,
             bool weightDecay, int64_t step) override;
  void upload(float* dst, const float* host, size_t n) override;
  void download(float* host, const float* src, size_t n) override;
  void zero(float* dst, size_t n) override;

 private:
  LlamaModel model_;
  int index_, ranks_;
  std::vector<float> values_, grads_, m_, v_;
};

}  // namespace trainer
