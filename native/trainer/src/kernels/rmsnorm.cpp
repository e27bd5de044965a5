#include "kernels/rmsnorm.h"

#include <cmath>

#include "util/parallel.h"

namespace trainer {
namespace cpu {

void rmsnormForward(float* out, float* rstd, const float* inp, const float* weight, int rows, int dim, float eps) {
  TANDEM_PARALLEL_FOR
  for (int r = 0; r < rows; ++r) {
    const float* x = inp + static_cast<long>(r) * dim;
    float* y = out + static_cast<long>(r) * dim;
    double sumSq = 0;  // double: the mean of many squares loses bits in fp32
    for (int c = 0; c < dim; ++c) sumSq += static_cast<double>(x[c]) * x[c];
    const float s = static_cast<float>(1.0 / std::sqrt(sumSq / dim + eps));
    for (int c = 0; c < dim; ++c) y[c] = x[c] * s * weight[c];
    rstd[r] = s;
  }
}

void rmsnormBackward(float* dinp, float* dweight, const float* dout, const float* inp,
                     const float* weight, const float* rstd, int rows, int dim) {
  TANDEM_PARALLEL_FOR
  for (int r = 0; r < rows; ++r) {
    const float* x = inp + static_cast<long>(r) * dim;
    const float* dy = dout + static_cast<long>(r) * dim;
    float* dx = dinp + static_cast<long>(r) * dim;
    const float s = rstd[r];
    double dot = 0;  // sum(weight * dout * x)
    for (int c = 0; c < dim; ++c) dot += static_cast<double>(weight[c]) * dy[c] * x[c];
    const float coef = static_cast<float>(dot / dim) * s * s * s;
    for (int c = 0; c < dim; ++c) dx[c] += s * weight[c] * dy[c] - coef * x[c];
  }
  // Weight gradient reduced over rows in row order (separate loop so the
  // row-parallel part above never writes shared memory).
  for (int r = 0; r < rows; ++r) {
    const float* x = inp + static_cast<long>(r) * dim;
    const float* dy = dout + static_cast<long>(r) * dim;
    const float s = rstd[r];
    for (int c = 0; c < dim; ++c) dweight[c] += dy[c] * x[c] * s;
  }
}

}  // namespace cpu
}  // namespace trainer
