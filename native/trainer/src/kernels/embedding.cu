// Embedding lookup (CPU reference: embedding.cpp).
#include "kernels/cuda_common.cuh"

namespace trainer {
namespace cuda {

namespace {
__global__ void embeddingForwardKernel(bf16* out, const int32_t* tokens, const float* table, int count, int dim) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<long>(count) * dim) return;
  const long row = i / dim, c = i % dim;
  storeBf16(out, i, table[static_cast<long>(tokens[row]) * dim + c]);
}

// One thread per channel walks the tokens in order: deterministic sums for
// repeated tokens without atomics (the sort-based llm.c kernel can replace
// this once profiled; it is a small share of a step).
__global__ void embeddingBackwardKernel(float* dtable, const bf16* dout, const int32_t* tokens, int count, int dim) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= dim) return;
  for (int i = 0; i < count; ++i) dtable[static_cast<long>(tokens[i]) * dim + c] += loadBf16(dout, static_cast<long>(i) * dim + c);
}
}  // namespace

void embeddingForward(bf16* out, const int32_t* tokens, const float* table, int count, int dim) {
  const long n = static_cast<long>(count) * dim;
  TANDEM_LAUNCH(embeddingForwardKernel, blocksFor(n, 256), 256)(out, tokens, table, count, dim);
  checkLastError("embeddingForward");
}

void embeddingBackward(float* dtable, const bf16* dout, const int32_t* tokens, int count, int dim) {
  TANDEM_LAUNCH(embeddingBackwardKernel, blocksFor(dim, 128), 128)(dtable, dout, tokens, count, dim);
  checkLastError("embeddingBackward");
}

}  // namespace cuda
}  // namespace trainer
