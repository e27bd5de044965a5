// LLaMA-style decoder on the CPU in fp32, forward and backward by hand:
//   x = embed(tokens)
//   per layer:  x = x + Wo · attn(rope(Wq·n), rope(Wk·n), Wv·n),  n = rmsnorm(x)
//               x = x + Wdown · (silu(Wgate·m) * (Wup·m)),           m = rmsnorm(x)
//   logits = lm_head · rmsnorm(x)   (lm_head = embed when tied)
//   loss = mean cross-entropy over unmasked targets
// Activations of the last forward are kept for backward(). The CPU model is
// also the reference the CUDA backend is tested against.
#pragma once

#include <cstdint>
#include <vector>

#include "model/model_config.h"
#include "tensors/parameter_store.h"

namespace trainer {

class LlamaModel {
 public:
  explicit LlamaModel(const ModelConfig& config);

  const ModelConfig& config() const { return config_; }
  ParameterStore& params() { return params_; }
  const ParameterStore& params() const { return params_; }

  // Deterministic initialisation from config.initSeed: N(0, initStd) for
  // matrices (output projections scaled by 1/sqrt(2 * layers), GPT-2 style,
  // so the residual stream does not grow with depth), ones for norm gains.
  void initialize();

  // tokens/targets: B*T each; tokens in [0, vocab), targets in [0, vocab) or
  // < 0 to mask. Returns the mean loss over unmasked targets (0 if none).
  float forward(const int32_t* tokens, const int32_t* targets, int B, int T);
  // Adds lossScale * d(mean loss)/d(params) to params().grads of the last
  // forward (gradient accumulation passes 1/microSteps).
  void backward(float lossScale = 1.0f);

  long lastValidTargets() const { return validTargets_; }
  // Forward+backward FLOPs per token (for tokens/s -> GFLOP/s reporting).
  double flopsPerToken(int T) const;

 private:
  struct LayerIndex {
    size_t attnNorm, wq, wk, wv, wo, mlpNorm, wGate, wUp, wDown;
  };
  struct LayerActivations {
    std::vector<float> attnNormOut, attnRstd, q, k, v, probs, attnOut, residMid, mlpNormOut, mlpRstd, gate,
        up, act;
  };
  void allocateActivations(int B, int T);

  ModelConfig config_;
  ParameterStore params_;
  size_t embed_ = 0, finalNorm_ = 0, lmHead_ = 0;
  std::vector<LayerIndex> layers_;
  std::vector<float> ropeCos_, ropeSin_;

  // Activations of the last forward.
  int B_ = 0, T_ = 0;
  std::vector<int32_t> tokens_, targets_;
  std::vector<std::vector<float>> residual_;  // numLayers+1 streams of B*T*d
  std::vector<LayerActivations> acts_;
  std::vector<float> finalNormOut_, finalRstd_, logits_, losses_;
  long validTargets_ = 0;
  bool haveForward_ = false;

  // Backward scratch.
  std::vector<float> dResid_, dNorm_, dQ_, dK_, dV_, dAttnOut_, dGate_, dUp_, dAct_;
};

}  // namespace trainer
