#include "kernels/rope.h"

#include <cmath>

namespace trainer {
namespace cpu {

void ropeTables(float* cosTable, float* sinTable, int maxSeq, int headDim, double theta) {
  const int half = headDim / 2;
  for (int t = 0; t < maxSeq; ++t) {
    for (int i = 0; i < half; ++i) {
      const double freq = std::pow(theta, -2.0 * i / headDim);
      const double angle = t * freq;
      cosTable[t * half + i] = static_cast<float>(std::cos(angle));
      sinTable[t * half + i] = static_cast<float>(std::sin(angle));
    }
  }
}

namespace {
// sign = +1 rotates forward, -1 applies the transpose (inverse).
void rotate(float* x, const float* cosTable, const float* sinTable, int B, int T, int heads, int headDim, float sign) {
  const int half = headDim / 2;
  for (int b = 0; b < B; ++b) {
    for (int t = 0; t < T; ++t) {
      const float* c = cosTable + t * half;
      const float* s = sinTable + t * half;
      for (int h = 0; h < heads; ++h) {
        float* v = x + ((static_cast<long>(b) * T + t) * heads + h) * headDim;
        for (int i = 0; i < half; ++i) {
          const float x1 = v[i], x2 = v[i + half];
          v[i] = x1 * c[i] - sign * x2 * s[i];
          v[i + half] = x2 * c[i] + sign * x1 * s[i];
        }
      }
    }
  }
}
}  // namespace

void ropeForward(float* x, const float* cosTable, const float* sinTable, int B, int T, int heads, int headDim) {
  rotate(x, cosTable, sinTable, B, T, heads, headDim, 1.0f);
}

void ropeBackward(float* dx, const float* cosTable, const float* sinTable, int B, int T, int heads, int headDim) {
  rotate(dx, cosTable, sinTable, B, T, heads, headDim, -1.0f);
}

}  // namespace cpu
}  // namespace trainer
