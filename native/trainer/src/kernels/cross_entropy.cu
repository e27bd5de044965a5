// Softmax cross-entropy (CPU reference: cross_entropy.cpp). One block of
// 256 threads per row; block reductions through shared memory.
#include "kernels/cuda_common.cuh"

namespace trainer {
namespace cuda {

namespace {
constexpr int kThreads = 256;

// Reduces `v` over the block with `op`; every thread gets the result.
template <bool kMax>
__device__ float blockReduce(float v, float* shared) {
  v = kMax ? warpMax(v) : warpSum(v);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  float r = lane < kThreads / 32 ? shared[lane] : (kMax ? -INFINITY : 0.0f);
  r = kMax ? warpMax(r) : warpSum(r);
  __syncthreads();
  return r;
}

__device__ float rowLogSumExp(const bf16* x, int vocab, float* shared) {
  float m = -INFINITY;
  for (int i = threadIdx.x; i < vocab; i += kThreads) m = fmaxf(m, loadBf16(x, i));
  m = blockReduce<true>(m, shared);
  float s = 0.0f;
  for (int i = threadIdx.x; i < vocab; i += kThreads) s += __expf(loadBf16(x, i) - m);
  s = blockReduce<false>(s, shared);
  return m + __logf(s);
}

__global__ void crossEntropyForwardKernel(float* losses, const bf16* logits, const int32_t* targets, int vocab) {
  __shared__ float shared[kThreads / 32];
  const int row = blockIdx.x;
  const int target = targets[row];
  if (target < 0) {
    if (threadIdx.x == 0) losses[row] = 0.0f;
    return;
  }
  const bf16* x = logits + static_cast<long>(row) * vocab;
  const float lse = rowLogSumExp(x, vocab, shared);
  if (threadIdx.x == 0) losses[row] = lse - loadBf16(x, target);
}

__global__ void crossEntropyBackwardKernel(bf16* dlogits, const bf16* logits, const int32_t* targets, int vocab,
                                           float scale) {
  __shared__ float shared[kThreads / 32];
  const int row = blockIdx.x;
  const int target = targets[row];
  const long base = static_cast<long>(row) * vocab;
  if (target < 0) {
    for (int i = threadIdx.x; i < vocab; i += kThreads) storeBf16(dlogits, base + i, 0.0f);
    return;
  }
  const float lse = rowLogSumExp(logits + base, vocab, shared);
  // dlogits may alias logits: each element is read before it is written
  // by the same thread, and the reductions above finished first.
  for (int i = threadIdx.x; i < vocab; i += kThreads) {
    const float p = __expf(loadBf16(logits, base + i) - lse);
    storeBf16(dlogits, base + i, (p - (i == target ? 1.0f : 0.0f)) * scale);
  }
}
}  // namespace

void crossEntropyForward(float* losses, const bf16* logits, const int32_t* targets, int rows, int vocab) {
  TANDEM_LAUNCH(crossEntropyForwardKernel, rows, kThreads)(losses, logits, targets, vocab);
  checkLastError("crossEntropyForward");
}

void crossEntropyBackward(bf16* dlogits, const bf16* logits, const int32_t* targets, int rows, int vocab,
                          float scale) {
  TANDEM_LAUNCH(crossEntropyBackwardKernel, rows, kThreads)(dlogits, logits, targets, vocab, scale);
  checkLastError("crossEntropyBackward");
}

}  // namespace cuda
}  // namespace trainer
