// Residual connection: y += x elementwise (the CUDA twin is in residual.cu).
#pragma once

namespace trainer {
namespace cpu {

void residualAdd(float* y, const float* x, long n);

}  // namespace cpu
}  // namespace trainer
