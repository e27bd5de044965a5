#include "optim/adamw.h"

#include <cmath>

namespace trainer {

namespace cpu {
void adamwUpdate(float* param, const float* grad, float* m, float* v, long n, float lr, float beta1, float beta2,
                 float eps, float weightDecay, int64_t t) {
  // Bias corrections in double: beta^t for large t underflows gracefully.
  const float c1 = static_cast<float>(1.0 - std::pow(static_cast<double>(beta1), static_cast<double>(t)));
  const float c2 = static_cast<float>(1.0 - std::pow(static_cast<double>(beta2), static_cast<double>(t)));
  for (long i = 0; i < n; ++i) {
    const float g = grad[i];
    m[i] = beta1 * m[i] + (1.0f - beta1) * g;
    v[i] = beta2 * v[i] + (1.0f - beta2) * g * g;
    const float mHat = m[i] / c1;
    const float vHat = v[i] / c2;
    param[i] -= lr * (mHat / (std::sqrt(vHat) + eps) + weightDecay * param[i]);
  }
}
}  // namespace cpu

void AdamW::step(ParameterStore& params, const AdamWSettings& s, double lr) {
  if (m_.size() != params.size()) {
    m_.assign(params.size(), 0.0f);
    v_.assign(params.size(), 0.0f);
  }
  ++t_;
  for (size_t i = 0; i < params.infos().size(); ++i) {
    const ParameterInfo& p = params.info(i);
    cpu::adamwUpdate(params.values(i), params.grads(i), m_.data() + p.offset, v_.data() + p.offset,
                     static_cast<long>(p.numel), static_cast<float>(lr), static_cast<float>(s.beta1),
                     static_cast<float>(s.beta2), static_cast<float>(s.eps),
                     p.weightDecay ? static_cast<float>(s.weightDecay) : 0.0f, t_);
  }
}

}  // namespace trainer
