#include "optim/grad_clip.h"

#include <cmath>

namespace trainer {

namespace cpu {
double sumOfSquares(const float* x, size_t n) {
  double sumSq = 0;
  for (size_t i = 0; i < n; ++i) sumSq += static_cast<double>(x[i]) * x[i];
  return sumSq;
}
}  // namespace cpu

double clipGradientNorm(std::vector<float>& grads, double maxNorm) {
  const double norm = std::sqrt(cpu::sumOfSquares(grads.data(), grads.size()));
  if (!std::isfinite(norm) || maxNorm <= 0 || norm <= maxNorm) return norm;
  const float scale = static_cast<float>(maxNorm / (norm + 1e-6));
  for (float& g : grads) g *= scale;
  return norm;
}

}  // namespace trainer
