// RMSNorm (LLaMA): y = x / sqrt(mean(x^2) + eps) * weight, per row of `dim`.
// Forward saves rstd = 1/sqrt(mean(x^2)+eps) per row for the backward pass.
#pragma once

namespace trainer {
namespace cpu {

void rmsnormForward(float* out, float* rstd, const float* inp, const float* weight, int rows, int dim, float eps);

// With g = weight * dout:  dx = rstd * g - x * rstd^3 * mean(g * x)
//                          dweight += dout * x * rstd
void rmsnormBackward(float* dinp, float* dweight, const float* dout, const float* inp,
                     const float* weight, const float* rstd, int rows, int dim);

}  // namespace cpu
}  // namespace trainer
