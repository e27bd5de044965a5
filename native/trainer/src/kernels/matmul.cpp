#include "kernels/matmul.h"

#include "kernels/cpu_gemm.h"
#include "util/parallel.h"

namespace trainer {
namespace cpu {

// Rows are processed four at a time so each weight row is loaded once per
// four dot products; the simd reductions give a fixed (compile-time) order.
void matmulForwardReference(float* out, const float* inp, const float* weight, int rows, int inDim, int outDim) {
  const int blocks = (rows + 3) / 4;
  TANDEM_PARALLEL_FOR
  for (int rb = 0; rb < blocks; ++rb) {
    const int r0 = rb * 4;
    const int n = rows - r0 < 4 ? rows - r0 : 4;
    const float* x0 = inp + static_cast<long>(r0) * inDim;
    const float* x1 = n > 1 ? x0 + inDim : x0;
    const float* x2 = n > 2 ? x0 + 2L * inDim : x0;
    const float* x3 = n > 3 ? x0 + 3L * inDim : x0;
    for (int o = 0; o < outDim; ++o) {
      const float* w = weight + static_cast<long>(o) * inDim;
      float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
#pragma omp simd reduction(+ : a0, a1, a2, a3)
      for (int c = 0; c < inDim; ++c) {
        a0 += x0[c] * w[c];
        a1 += x1[c] * w[c];
        a2 += x2[c] * w[c];
        a3 += x3[c] * w[c];
      }
      const float acc[4] = {a0, a1, a2, a3};
      for (int i = 0; i < n; ++i) out[static_cast<long>(r0 + i) * outDim + o] = acc[i];
    }
  }
}

void matmulBackwardReference(float* dinp, float* dweight, const float* dout, const float* inp,
                             const float* weight, int rows, int inDim, int outDim) {
  if (dinp) {
    // dinp[r, :] += sum_o dout[r, o] * weight[o, :]
    TANDEM_PARALLEL_FOR
    for (int r = 0; r < rows; ++r) {
      float* dx = dinp + static_cast<long>(r) * inDim;
      const float* g = dout + static_cast<long>(r) * outDim;
      for (int o = 0; o < outDim; ++o) {
        const float go = g[o];
        const float* w = weight + static_cast<long>(o) * inDim;
#pragma omp simd
        for (int c = 0; c < inDim; ++c) dx[c] += go * w[c];
      }
    }
  }
  // dweight[o, :] += sum_r dout[r, o] * inp[r, :]
  TANDEM_PARALLEL_FOR
  for (int o = 0; o < outDim; ++o) {
    float* dw = dweight + static_cast<long>(o) * inDim;
    for (int r = 0; r < rows; ++r) {
      const float go = dout[static_cast<long>(r) * outDim + o];
      const float* x = inp + static_cast<long>(r) * inDim;
#pragma omp simd
      for (int c = 0; c < inDim; ++c) dw[c] += go * x[c];
    }
  }
}

namespace {
bool onOpenblas(int rows, int inDim, int outDim) {
  return rows > 0 && inDim > 0 && outDim > 0 && cpuGemmPath() == CpuGemmPath::openblas;
}
}  // namespace

// The same three products as row-major sgemms:
//   out    (rows x outDim)   = inp · weightᵀ            (N, T)
//   dinp   (rows x inDim)   += dout · weight            (N, N)
//   dweight(outDim x inDim) += doutᵀ · inp              (T, N)
void matmulForward(float* out, const float* inp, const float* weight, int rows, int inDim, int outDim) {
  if (!onOpenblas(rows, inDim, outDim)) return matmulForwardReference(out, inp, weight, rows, inDim, outDim);
  blasSgemm(false, true, rows, outDim, inDim, 1.0f, inp, inDim, weight, inDim, 0.0f, out, outDim);
}

void matmulBackward(float* dinp, float* dweight, const float* dout, const float* inp,
                    const float* weight, int rows, int inDim, int outDim) {
  if (!onOpenblas(rows, inDim, outDim)) {
    return matmulBackwardReference(dinp, dweight, dout, inp, weight, rows, inDim, outDim);
  }
  if (dinp) blasSgemm(false, false, rows, inDim, outDim, 1.0f, dout, outDim, weight, inDim, 1.0f, dinp, inDim);
  blasSgemm(true, false, outDim, inDim, rows, 1.0f, dout, outDim, inp, inDim, 1.0f, dweight, inDim);
}

}  // namespace cpu
}  // namespace trainer
