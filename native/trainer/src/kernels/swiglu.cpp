#include "kernels/swiglu.h"

#include <cmath>

namespace trainer {
namespace cpu {

void swigluForward(float* out, const float* gate, const float* up, long n) {
  for (long i = 0; i < n; ++i) {
    const float g = gate[i];
    const float sig = 1.0f / (1.0f + std::exp(-g));
    out[i] = g * sig * up[i];
  }
}

void swigluBackward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, long n) {
  for (long i = 0; i < n; ++i) {
    const float g = gate[i];
    const float sig = 1.0f / (1.0f + std::exp(-g));
    const float silu = g * sig;
    dgate[i] += dout[i] * up[i] * sig * (1.0f + g * (1.0f - sig));
    dup[i] += dout[i] * silu;
  }
}

}  // namespace cpu
}  // namespace trainer
