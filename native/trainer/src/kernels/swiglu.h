// SwiGLU activation of the LLaMA MLP: out = silu(gate) * up, elementwise,
// silu(x) = x * sigmoid(x).
#pragma once

namespace trainer {
namespace cpu {

void swigluForward(float* out, const float* gate, const float* up, long n);
// dgate += dout * up * sigmoid(g) * (1 + g * (1 - sigmoid(g)));  dup += dout * silu(g)
void swigluBackward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, long n);

}  // namespace cpu
}  // namespace trainer
