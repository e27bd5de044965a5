// RMSNorm (CPU reference: rmsnorm.cpp). One warp per row.
#include "kernels/cuda_common.cuh"

namespace trainer {
namespace cuda {

namespace {
__global__ void rmsnormForwardKernel(bf16* out, float* rstd, const bf16* inp, const float* weight, int rows, int dim,
                                     float eps) {
  const int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= rows) return;
  const long base = static_cast<long>(row) * dim;
  float sumSq = 0.0f;
  for (int c = lane; c < dim; c += 32) {
    const float x = loadBf16(inp, base + c);
    sumSq += x * x;
  }
  const float s = rsqrtf(warpSum(sumSq) / dim + eps);
  for (int c = lane; c < dim; c += 32) storeBf16(out, base + c, loadBf16(inp, base + c) * s * weight[c]);
  if (lane == 0) rstd[row] = s;
}

__global__ void rmsnormBackwardInputKernel(bf16* dinp, const bf16* dout, const bf16* inp, const float* weight,
                                           const float* rstd, int rows, int dim) {
  const int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= rows) return;
  const long base = static_cast<long>(row) * dim;
  float dot = 0.0f;
  for (int c = lane; c < dim; c += 32) dot += weight[c] * loadBf16(dout, base + c) * loadBf16(inp, base + c);
  const float s = rstd[row];
  const float coef = warpSum(dot) / dim * s * s * s;
  for (int c = lane; c < dim; c += 32) {
    const float dx = s * weight[c] * loadBf16(dout, base + c) - coef * loadBf16(inp, base + c);
    storeBf16(dinp, base + c, loadBf16(dinp, base + c) + dx);
  }
}

// One thread per channel sums over rows in order (deterministic).
__global__ void rmsnormBackwardWeightKernel(float* dweight, const bf16* dout, const bf16* inp, const float* rstd,
                                            int rows, int dim) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= dim) return;
  float acc = 0.0f;
  for (int r = 0; r < rows; ++r) {
    const long i = static_cast<long>(r) * dim + c;
    acc += loadBf16(dout, i) * loadBf16(inp, i) * rstd[r];
  }
  dweight[c] += acc;
}
}  // namespace

void rmsnormForward(bf16* out, float* rstd, const bf16* inp, const float* weight, int rows, int dim, float eps) {
  TANDEM_LAUNCH(rmsnormForwardKernel, blocksFor(rows, 8), 256)(out, rstd, inp, weight, rows, dim, eps);
  checkLastError("rmsnormForward");
}

void rmsnormBackward(bf16* dinp, float* dweight, const bf16* dout, const bf16* inp, const float* weight,
                     const float* rstd, int rows, int dim) {
  TANDEM_LAUNCH(rmsnormBackwardInputKernel, blocksFor(rows, 8), 256)(dinp, dout, inp, weight, rstd, rows, dim);
  checkLastError("rmsnormBackward(input)");
  TANDEM_LAUNCH(rmsnormBackwardWeightKernel, blocksFor(dim, 128), 128)(dweight, dout, inp, rstd, rows, dim);
  checkLastError("rmsnormBackward(weight)");
}

}  // namespace cuda
}  // namespace trainer
