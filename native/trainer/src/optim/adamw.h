// AdamW with decoupled weight decay (Loshchilov & Hutter), bias-corrected,
// as torch.optim.AdamW:  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
//   p -= lr * (m / (1-b1^t) / (sqrt(v / (1-b2^t)) + eps) + wd * p)
// Decay applies to matrices (incl. embeddings), not to 1-D norm gains.
#pragma once

#include <cstdint>
#include <vector>

#include "tensors/parameter_store.h"

namespace trainer {

struct AdamWSettings {
  double lr = 1.17e-4;  // peak; the schedule scales it per step
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  double weightDecay = 0.1;
};

namespace cpu {
// One tensor's update; t >= 1 is the step count after this update.
void adamwUpdate(float* param, const float* grad, float* m, float* v, long n, float lr, float beta1, float beta2,
                 float eps, float weightDecay, int64_t t);
}  // namespace cpu

class AdamW {
 public:
  AdamW() = default;
  explicit AdamW(size_t parameterCount) : m_(parameterCount, 0.0f), v_(parameterCount, 0.0f) {}
  // Applies one update with learning rate `lr` to every tensor of `params`.
  void step(ParameterStore& params, const AdamWSettings& settings, double lr);

  int64_t stepCount() const { return t_; }
  void setStepCount(int64_t t) { t_ = t; }
  std::vector<float>& firstMoment() { return m_; }
  std::vector<float>& secondMoment() { return v_; }
  const std::vector<float>& firstMoment() const { return m_; }
  const std::vector<float>& secondMoment() const { return v_; }

 private:
  std::vector<float> m_, v_;
  int64_t t_ = 0;
};

}  // namespace trainer
