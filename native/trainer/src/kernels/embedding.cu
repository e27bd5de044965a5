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

// Block (b, y): channels of tile y for the distinct token of bucket b (see
// token_buckets.h); each thread sums its channel over the bucket's
// positions in order and adds the total once: deterministic without atomics,
// parallel over tokens x channels (one thread per channel walking all the
// tokens, as before, left 8 blocks busy for a whole batch).
__global__ void embeddingBackwardKernel(float* dtable, const bf16* dout, const int32_t* bucketTokens,
                                        const int32_t* bucketStarts, const int32_t* positions, int dim) {
  const int c = blockIdx.y * blockDim.x + threadIdx.x;
  if (c >= dim) return;
  const int bucket = blockIdx.x;  // x: up to 2^31-1 buckets (y stops at 65535)
  float acc = 0.0f;
  for (int i = bucketStarts[bucket]; i < bucketStarts[bucket + 1]; ++i) {
    acc += loadBf16(dout, static_cast<long>(positions[i]) * dim + c);
  }
  dtable[static_cast<long>(bucketTokens[bucket]) * dim + c] += acc;
}
}  // namespace

void embeddingForward(bf16* out, const int32_t* tokens, const float* table, int count, int dim) {
  const long n = static_cast<long>(count) * dim;
  TANDEM_LAUNCH(embeddingForwardKernel, blocksFor(n, 256), 256)(out, tokens, table, count, dim);
  checkLastError("embeddingForward");
}

void embeddingBackward(float* dtable, const bf16* dout, const int32_t* bucketTokens, const int32_t* bucketStarts,
                       const int32_t* positions, int buckets, int dim) {
  if (buckets == 0) return;
  const dim3 blocks(static_cast<unsigned>(buckets), blocksFor(dim, 128));
  TANDEM_LAUNCH(embeddingBackwardKernel, blocks, 128)(dtable, dout, bucketTokens, bucketStarts, positions, dim);
  checkLastError("embeddingBackward");
}

}  // namespace cuda
}  // namespace trainer
