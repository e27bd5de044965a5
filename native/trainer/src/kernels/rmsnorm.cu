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

// The weight gradient sums over every row: in two passes so that all the
// GPU works on it (one thread per channel walking all rows kept a few blocks
// busy for a whole batch, 17 times a step) and the order stays fixed
// (deterministic, no atomics): pass 1, block (x, y) sums rows
// [x*kRowsPerChunk, (x+1)*kRowsPerChunk) for its channels (tile y) into
// partials[x][c]; pass 2 adds the chunks in order to dweight[c]. Chunks on
// x: a grid's y stops at 65535.
constexpr int kRowsPerChunk = 64;

int chunksFor(int rows) { return (rows + kRowsPerChunk - 1) / kRowsPerChunk; }

__global__ void rmsnormWeightPartialsKernel(float* partials, const bf16* dout, const bf16* inp, const float* rstd,
                                            int rows, int dim) {
  const int c = blockIdx.y * blockDim.x + threadIdx.x;
  if (c >= dim) return;
  const int first = blockIdx.x * kRowsPerChunk;
  const int last = first + kRowsPerChunk < rows ? first + kRowsPerChunk : rows;
  float acc = 0.0f;
  for (int r = first; r < last; ++r) {
    const long i = static_cast<long>(r) * dim + c;
    acc += loadBf16(dout, i) * loadBf16(inp, i) * rstd[r];
  }
  partials[static_cast<long>(blockIdx.x) * dim + c] = acc;
}

__global__ void rmsnormWeightSumKernel(float* dweight, const float* partials, int chunks, int dim) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= dim) return;
  float acc = 0.0f;
  for (int k = 0; k < chunks; ++k) acc += partials[static_cast<long>(k) * dim + c];
  dweight[c] += acc;
}
}  // namespace

long rmsnormBackwardScratch(int rows, int dim) { return static_cast<long>(chunksFor(rows)) * dim; }

void rmsnormForward(bf16* out, float* rstd, const bf16* inp, const float* weight, int rows, int dim, float eps) {
  TANDEM_LAUNCH(rmsnormForwardKernel, blocksFor(rows, 8), 256)(out, rstd, inp, weight, rows, dim, eps);
  checkLastError("rmsnormForward");
}

void rmsnormBackward(bf16* dinp, float* dweight, const bf16* dout, const bf16* inp, const float* weight,
                     const float* rstd, int rows, int dim, float* scratch) {
  TANDEM_LAUNCH(rmsnormBackwardInputKernel, blocksFor(rows, 8), 256)(dinp, dout, inp, weight, rstd, rows, dim);
  checkLastError("rmsnormBackward(input)");
  const int chunks = chunksFor(rows);
  const dim3 blocks(static_cast<unsigned>(chunks), blocksFor(dim, 256));
  TANDEM_LAUNCH(rmsnormWeightPartialsKernel, blocks, 256)(scratch, dout, inp, rstd, rows, dim);
  checkLastError("rmsnormBackward(weight partials)");
  TANDEM_LAUNCH(rmsnormWeightSumKernel, blocksFor(dim, 256), 256)(dweight, scratch, chunks, dim);
  checkLastError("rmsnormBackward(weight)");
}

}  // namespace cuda
}  // namespace trainer
