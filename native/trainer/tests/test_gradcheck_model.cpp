// Gradient check of the whole model. Every parameter tensor is checked with
// a directional derivative: for a random direction u over the tensor,
// (L(θ + εu) − L(θ − εu)) / 2ε must match g·u. This covers every element at
// once with a signal far above fp32 noise. A few single elements are also
// checked per tensor, for a check that does not average errors away.
#include <cmath>
#include <vector>

#include "gradcheck.h"
#include "model/llama_model.h"
#include "test_harness.h"

using namespace trainer;

namespace {

ModelConfig tinyConfig(bool tied, int heads, int kvHeads) {
  ModelConfig c;
  c.vocabSize = 13;
  c.hiddenSize = 16;
  c.numLayers = 2;
  c.numHeads = heads;
  c.numKvHeads = kvHeads;
  c.intermediateSize = 24;
  c.maxSeqLen = 8;
  c.tieEmbeddings = tied;
  c.initStd = 0.3;  // large weights: gradients well above finite-difference noise
  c.initSeed = 77;
  return c;
}

void checkModel(bool tied, int heads, int kvHeads) {
  LlamaModel model(tinyConfig(tied, heads, kvHeads));
  const int B = 2, T = 6;
  std::vector<int32_t> tokens(B * T), targets(B * T);
  for (int i = 0; i < B * T; ++i) {
    tokens[i] = (i * 5 + 3) % 13;
    targets[i] = (i * 7 + 1) % 13;
  }
  targets[4] = -1;  // a masked position
  ParameterStore& ps = model.params();
  // Break the symmetry of the all-ones norm gains.
  SplitMix64 rng(5);
  for (size_t i = 0; i < ps.infos().size(); ++i) {
    if (ps.info(i).shape.size() == 1) {
      for (size_t j = 0; j < ps.info(i).numel; ++j) ps.values(i)[j] += static_cast<float>(0.2 * rng.normal());
    }
  }
  ps.zeroGrads();
  model.forward(tokens.data(), targets.data(), B, T);
  model.backward(1.0f);
  const std::vector<float> grads = ps.allGrads();
  auto loss = [&] { return static_cast<double>(model.forward(tokens.data(), targets.data(), B, T)); };

  for (size_t i = 0; i < ps.infos().size(); ++i) {
    const ParameterInfo& p = ps.info(i);
    float* w = ps.values(i);
    const std::vector<float> u = testing::randomVector(p.numel, 100 + i);
    const std::vector<float> saved(w, w + p.numel);
    const float eps = 1e-3f;
    double analytic = 0;
    for (size_t j = 0; j < p.numel; ++j) analytic += static_cast<double>(grads[p.offset + j]) * u[j];
    for (size_t j = 0; j < p.numel; ++j) w[j] = saved[j] + eps * u[j];
    const double plus = loss();
    for (size_t j = 0; j < p.numel; ++j) w[j] = saved[j] - eps * u[j];
    const double minus = loss();
    for (size_t j = 0; j < p.numel; ++j) w[j] = saved[j];
    const double numeric = (plus - minus) / (2.0 * eps);
    const double rel = std::fabs(numeric - analytic) / std::max(std::fabs(numeric) + std::fabs(analytic), 1e-6);
    CHECK_MSG(rel < 1e-2, p.name << ": directional derivative " << numeric << " vs analytic " << analytic
                                 << " (rel " << rel << ", tied " << tied << ", heads " << heads << "/" << kvHeads
                                 << ")");
    // Element checks on the three largest-gradient entries.
    for (int pick = 0; pick < 3; ++pick) {
      size_t best = 0;
      float bestAbs = -1;
      for (size_t j = 0; j < p.numel; ++j) {
        const float a = std::fabs(grads[p.offset + j]) * (j % 3 == static_cast<size_t>(pick) ? 1.0f : 0.0f);
        if (a > bestAbs) bestAbs = a, best = j;
      }
      const float e = 1e-2f;
      w[best] = saved[best] + e;
      const double lp = loss();
      w[best] = saved[best] - e;
      const double lm = loss();
      w[best] = saved[best];
      const double num = (lp - lm) / (2.0 * e);
      const double an = grads[p.offset + best];
      CHECK_MSG(std::fabs(num - an) <= 2e-2 * std::fabs(an) + 2e-4,
                p.name << "[" << best << "]: numeric " << num << " vs analytic " << an);
    }
  }
}

}  // namespace

TEST(gradcheck_model_untied_mha) { checkModel(false, 4, 4); }
TEST(gradcheck_model_tied_gqa) { checkModel(true, 4, 2); }

TEST(model_gradient_accumulation_scales) {
  // backward(s) adds s * grad: two half-scaled passes equal one full pass.
  LlamaModel model(tinyConfig(false, 2, 1));
  std::vector<int32_t> tokens = {1, 2, 3, 4}, targets = {2, 3, 4, 5};
  ParameterStore& ps = model.params();
  ps.zeroGrads();
  model.forward(tokens.data(), targets.data(), 1, 4);
  model.backward(1.0f);
  const std::vector<float> full = ps.allGrads();
  ps.zeroGrads();
  for (int i = 0; i < 2; ++i) {
    model.forward(tokens.data(), targets.data(), 1, 4);
    model.backward(0.5f);
  }
  double maxDiff = 0;
  for (size_t i = 0; i < full.size(); ++i) maxDiff = std::max(maxDiff, std::fabs(double(full[i]) - ps.allGrads()[i]));
  CHECK_MSG(maxDiff < 1e-6, "max diff " << maxDiff);
}
