// The first CUDA attention kernels, kept as the reference the flash kernels
// (attention_flash_*.cu) are tested against and selectable with
// TANDEM_CUDA_ATTENTION=reference (kernels/attention_path.h). Memory linear
// in T like the flash ones (a log-sum-exp per query row, probabilities
// recomputed in the backward pass), but one thread per row with its vectors
// in local memory, fp32 math on bf16 inputs, no tiling, no tensor cores:
// ~2 TFLOP/s forward and ~0.2 backward on an H200, because the key/value
// kernel has only B·KV·T threads, each looping over its group's queries.
#include <stdexcept>

#include "kernels/attention_implementations.h"
#include "kernels/cuda_common.cuh"

namespace trainer {
namespace cuda {

namespace {
constexpr int kMaxHeadDim = 256;

__device__ __forceinline__ long at(int b, int t, int h, int T, int heads, int hd) {
  return ((static_cast<long>(b) * T + t) * heads + h) * hd;
}

// Row index (b, h, t) -> its coordinates.
struct Row {
  int b, h, t;
};
__device__ __forceinline__ Row rowOf(long idx, int T, int heads) {
  return Row{static_cast<int>(idx / (static_cast<long>(T) * heads)), static_cast<int>((idx / T) % heads),
             static_cast<int>(idx % T)};
}

// One thread per query row (b, h, t): an online softmax over keys s <= t
// (running max and sum, the accumulator rescaled when the max grows), so no
// [B,H,T,T] matrix is ever stored; the row's log-sum-exp is kept instead.
__global__ void attentionForwardKernel(bf16* out, float* lse, const bf16* q, const bf16* k, const bf16* v, int B,
                                       int T, int heads, int kvHeads, int hd) {
  const long idx = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= static_cast<long>(B) * heads * T) return;
  const Row r = rowOf(idx, T, heads);
  const int g = r.h / (heads / kvHeads);
  const float scale = rsqrtf(static_cast<float>(hd));
  const long qi = at(r.b, r.t, r.h, T, heads, hd);
  float qv[kMaxHeadDim], acc[kMaxHeadDim];
  for (int i = 0; i < hd; ++i) {
    qv[i] = loadBf16(q, qi + i);
    acc[i] = 0.0f;
  }
  float maxScore = -INFINITY, sum = 0.0f;
  for (int s = 0; s <= r.t; ++s) {
    const long ki = at(r.b, s, g, T, kvHeads, hd);
    float dot = 0.0f;
    for (int i = 0; i < hd; ++i) dot += qv[i] * loadBf16(k, ki + i);
    dot *= scale;
    if (dot > maxScore) {
      const float shrink = __expf(maxScore - dot);  // 0 for the first key
      sum *= shrink;
      for (int i = 0; i < hd; ++i) acc[i] *= shrink;
      maxScore = dot;
    }
    const float p = __expf(dot - maxScore);
    sum += p;
    for (int i = 0; i < hd; ++i) acc[i] += p * loadBf16(v, ki + i);
  }
  const float inv = 1.0f / sum;
  for (int i = 0; i < hd; ++i) storeBf16(out, qi + i, acc[i] * inv);
  lse[idx] = maxScore + __logf(sum);
}

// dq for one query row; probabilities recomputed from the saved log-sum-exp.
__global__ void attentionBackwardQueryKernel(bf16* dq, const bf16* dout, const float* lse, const float* delta,
                                             const bf16* q, const bf16* k, const bf16* v, int B, int T, int heads,
                                             int kvHeads, int hd) {
  const long idx = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= static_cast<long>(B) * heads * T) return;
  const Row r = rowOf(idx, T, heads);
  const int g = r.h / (heads / kvHeads);
  const float scale = rsqrtf(static_cast<float>(hd));
  const long qi = at(r.b, r.t, r.h, T, heads, hd);
  float qv[kMaxHeadDim], go[kMaxHeadDim], acc[kMaxHeadDim];
  for (int i = 0; i < hd; ++i) {
    qv[i] = loadBf16(q, qi + i);
    go[i] = loadBf16(dout, qi + i);
    acc[i] = 0.0f;
  }
  const float rowLse = lse[idx], D = delta[idx];
  for (int s = 0; s <= r.t; ++s) {
    const long ki = at(r.b, s, g, T, kvHeads, hd);
    float dot = 0.0f, dp = 0.0f;
    for (int i = 0; i < hd; ++i) {
      dot += qv[i] * loadBf16(k, ki + i);
      dp += go[i] * loadBf16(v, ki + i);
    }
    const float ds = __expf(dot * scale - rowLse) * (dp - D) * scale;
    for (int i = 0; i < hd; ++i) acc[i] += ds * loadBf16(k, ki + i);
  }
  for (int i = 0; i < hd; ++i) storeBf16(dq, qi + i, loadBf16(dq, qi + i) + acc[i]);
}

// dk, dv for one key row (b, kv head g, s): over the group's heads and t >= s,
// in a fixed order (deterministic, no atomics).
__global__ void attentionBackwardKeyValueKernel(bf16* dk, bf16* dv, const bf16* dout, const float* lse,
                                                const float* delta, const bf16* q, const bf16* k, const bf16* v,
                                                int B, int T, int heads, int kvHeads, int hd) {
  const long idx = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= static_cast<long>(B) * kvHeads * T) return;
  const int s = static_cast<int>(idx % T);
  const int g = static_cast<int>((idx / T) % kvHeads);
  const int b = static_cast<int>(idx / (static_cast<long>(T) * kvHeads));
  const int group = heads / kvHeads;
  const float scale = rsqrtf(static_cast<float>(hd));
  const long si = at(b, s, g, T, kvHeads, hd);
  float kv[kMaxHeadDim], vv[kMaxHeadDim], accK[kMaxHeadDim], accV[kMaxHeadDim];
  for (int i = 0; i < hd; ++i) {
    kv[i] = loadBf16(k, si + i);
    vv[i] = loadBf16(v, si + i);
    accK[i] = accV[i] = 0.0f;
  }
  for (int h = g * group; h < (g + 1) * group; ++h) {
    for (int t = s; t < T; ++t) {
      const long row = (static_cast<long>(b) * heads + h) * T + t;
      const long ti = at(b, t, h, T, heads, hd);
      float dot = 0.0f, dp = 0.0f;
      for (int i = 0; i < hd; ++i) {
        const float go = loadBf16(dout, ti + i);
        dot += loadBf16(q, ti + i) * kv[i];
        dp += go * vv[i];
      }
      const float p = __expf(dot * scale - lse[row]);
      const float ds = p * (dp - delta[row]) * scale;
      for (int i = 0; i < hd; ++i) {
        accV[i] += p * loadBf16(dout, ti + i);
        accK[i] += ds * loadBf16(q, ti + i);
      }
    }
  }
  for (int i = 0; i < hd; ++i) {
    storeBf16(dk, si + i, loadBf16(dk, si + i) + accK[i]);
    storeBf16(dv, si + i, loadBf16(dv, si + i) + accV[i]);
  }
}
}  // namespace

void referenceAttentionForward(bf16* out, float* lse, const bf16* q, const bf16* k, const bf16* v, int B, int T,
                               int heads, int kvHeads, int headDim) {
  if (headDim > kMaxHeadDim) throw std::invalid_argument("attention: head dim > 256");
  const long n = static_cast<long>(B) * heads * T;
  TANDEM_LAUNCH(attentionForwardKernel, blocksFor(n, 64), 64)(out, lse, q, k, v, B, T, heads, kvHeads, headDim);
  checkLastError("attentionForward (reference)");
}

void referenceAttentionBackward(bf16* dq, bf16* dk, bf16* dv, const float* delta, const bf16* dout,
                                const float* lse, const bf16* q, const bf16* k, const bf16* v, int B, int T,
                                int heads, int kvHeads, int headDim) {
  if (headDim > kMaxHeadDim) throw std::invalid_argument("attention: head dim > 256");
  const long nq = static_cast<long>(B) * heads * T;
  TANDEM_LAUNCH(attentionBackwardQueryKernel, blocksFor(nq, 64), 64)(dq, dout, lse, delta, q, k, v, B, T, heads,
                                                                      kvHeads, headDim);
  checkLastError("attentionBackward(q, reference)");
  const long nkv = static_cast<long>(B) * kvHeads * T;
  TANDEM_LAUNCH(attentionBackwardKeyValueKernel, blocksFor(nkv, 64), 64)(dk, dv, dout, lse, delta, q, k, v, B, T,
                                                                          heads, kvHeads, headDim);
  checkLastError("attentionBackward(kv, reference)");
}

}  // namespace cuda
}  // namespace trainer
