#include "optim/grad_clip.h"

#include <cmath>

namespace trainer {

double clipGradientNorm(std::vector<float>& grads, double maxNorm) {
  double sumSq = 0;
  for (float g : grads) sumSq += static_cast<double>(g) * g;
  const double norm = std::sqrt(sumSq);
  if (!std::isfinite(norm) || maxNorm <= 0 || norm <= maxNorm) return norm;
  const float scale = static_cast<float>(maxNorm / (norm + 1e-6));
  for (float& g : grads) g *= scale;
  return norm;
}

}  // namespace trainer
