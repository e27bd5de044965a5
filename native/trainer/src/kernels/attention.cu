// Causal GQA attention (CPU reference: attention.cpp). Straightforward
// one-thread-per-row kernels that materialise probs [B,H,T,T] like the CPU
// path; a flash-attention kernel is the planned replacement (same API minus
// probs) once it can be profiled on a GPU.
#include <stdexcept>

#include "kernels/cuda_common.cuh"

namespace trainer {
namespace cuda {

namespace {
constexpr int kMaxHeadDim = 256;

__device__ __forceinline__ long at(int b, int t, int h, int T, int heads, int hd) {
  return ((static_cast<long>(b) * T + t) * heads + h) * hd;
}

__global__ void attentionForwardKernel(bf16* out, float* probs, const bf16* q, const bf16* k, const bf16* v, int B,
                                       int T, int heads, int kvHeads, int hd) {
  const long idx = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;  // (b, h, t)
  if (idx >= static_cast<long>(B) * heads * T) return;
  const int t = static_cast<int>(idx % T);
  const int h = static_cast<int>((idx / T) % heads);
  const int b = static_cast<int>(idx / (static_cast<long>(T) * heads));
  const int g = h / (heads / kvHeads);
  const float scale = rsqrtf(static_cast<float>(hd));
  float* p = probs + idx * T;
  const long qi = at(b, t, h, T, heads, hd);
  float maxScore = -INFINITY;
  for (int s = 0; s <= t; ++s) {
    const long ki = at(b, s, g, T, kvHeads, hd);
    float dot = 0.0f;
    for (int i = 0; i < hd; ++i) dot += loadBf16(q, qi + i) * loadBf16(k, ki + i);
    p[s] = dot * scale;
    maxScore = fmaxf(maxScore, p[s]);
  }
  float sum = 0.0f;
  for (int s = 0; s <= t; ++s) {
    p[s] = __expf(p[s] - maxScore);
    sum += p[s];
  }
  const float inv = 1.0f / sum;
  for (int s = 0; s <= t; ++s) p[s] *= inv;
  for (int s = t + 1; s < T; ++s) p[s] = 0.0f;
  float acc[kMaxHeadDim];
  for (int i = 0; i < hd; ++i) acc[i] = 0.0f;
  for (int s = 0; s <= t; ++s) {
    const long vi = at(b, s, g, T, kvHeads, hd);
    for (int i = 0; i < hd; ++i) acc[i] += p[s] * loadBf16(v, vi + i);
  }
  for (int i = 0; i < hd; ++i) storeBf16(out, qi + i, acc[i]);
}

// dq for one (b, h, t). Uses D = dout_t · out_t = Σ_s p_s (dout_t · v_s).
__global__ void attentionBackwardQueryKernel(bf16* dq, const bf16* dout, const bf16* out, const float* probs,
                                             const bf16* k, const bf16* v, int B, int T, int heads, int kvHeads,
                                             int hd) {
  const long idx = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= static_cast<long>(B) * heads * T) return;
  const int t = static_cast<int>(idx % T);
  const int h = static_cast<int>((idx / T) % heads);
  const int b = static_cast<int>(idx / (static_cast<long>(T) * heads));
  const int g = h / (heads / kvHeads);
  const float scale = rsqrtf(static_cast<float>(hd));
  const float* p = probs + idx * T;
  const long qi = at(b, t, h, T, heads, hd);
  float D = 0.0f;
  for (int i = 0; i < hd; ++i) D += loadBf16(dout, qi + i) * loadBf16(out, qi + i);
  float acc[kMaxHeadDim];
  for (int i = 0; i < hd; ++i) acc[i] = 0.0f;
  for (int s = 0; s <= t; ++s) {
    const long vi = at(b, s, g, T, kvHeads, hd);
    float dp = 0.0f;
    for (int i = 0; i < hd; ++i) dp += loadBf16(dout, qi + i) * loadBf16(v, vi + i);
    const float ds = p[s] * (dp - D) * scale;
    for (int i = 0; i < hd; ++i) acc[i] += ds * loadBf16(k, vi + i);
  }
  for (int i = 0; i < hd; ++i) storeBf16(dq, qi + i, loadBf16(dq, qi + i) + acc[i]);
}

// dk, dv for one (b, kv head g, s), summing over the group's heads and t >= s.
__global__ void attentionBackwardKeyValueKernel(bf16* dk, bf16* dv, const bf16* dout, const bf16* out,
                                                const float* probs, const bf16* q, const bf16* v, int B, int T,
                                                int heads, int kvHeads, int hd) {
  const long idx = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= static_cast<long>(B) * kvHeads * T) return;
  const int s = static_cast<int>(idx % T);
  const int g = static_cast<int>((idx / T) % kvHeads);
  const int b = static_cast<int>(idx / (static_cast<long>(T) * kvHeads));
  const int group = heads / kvHeads;
  const float scale = rsqrtf(static_cast<float>(hd));
  const long si = at(b, s, g, T, kvHeads, hd);
  float accK[kMaxHeadDim], accV[kMaxHeadDim];
  for (int i = 0; i < hd; ++i) accK[i] = accV[i] = 0.0f;
  for (int h = g * group; h < (g + 1) * group; ++h) {
    for (int t = s; t < T; ++t) {
      const float p = probs[((static_cast<long>(b) * heads + h) * T + t) * T + s];
      const long ti = at(b, t, h, T, heads, hd);
      float dp = 0.0f, D = 0.0f;
      for (int i = 0; i < hd; ++i) {
        const float go = loadBf16(dout, ti + i);
        dp += go * loadBf16(v, si + i);
        D += go * loadBf16(out, ti + i);
        accV[i] += p * go;
      }
      const float ds = p * (dp - D) * scale;
      for (int i = 0; i < hd; ++i) accK[i] += ds * loadBf16(q, ti + i);
    }
  }
  for (int i = 0; i < hd; ++i) {
    storeBf16(dk, si + i, loadBf16(dk, si + i) + accK[i]);
    storeBf16(dv, si + i, loadBf16(dv, si + i) + accV[i]);
  }
}
}  // namespace

void attentionForward(bf16* out, float* probs, const bf16* q, const bf16* k, const bf16* v, int B, int T, int heads,
                      int kvHeads, int headDim) {
  if (headDim > kMaxHeadDim) throw std::invalid_argument("attention: head dim > 256");
  const long n = static_cast<long>(B) * heads * T;
  TANDEM_LAUNCH(attentionForwardKernel, blocksFor(n, 64), 64)(out, probs, q, k, v, B, T, heads, kvHeads, headDim);
  checkLastError("attentionForward");
}

void attentionBackward(bf16* dq, bf16* dk, bf16* dv, const bf16* dout, const bf16* out, const float* probs,
                       const bf16* q, const bf16* k, const bf16* v, int B, int T, int heads, int kvHeads,
                       int headDim) {
  if (headDim > kMaxHeadDim) throw std::invalid_argument("attention: head dim > 256");
  const long nq = static_cast<long>(B) * heads * T;
  TANDEM_LAUNCH(attentionBackwardQueryKernel, blocksFor(nq, 64), 64)(dq, dout, out, probs, k, v, B, T, heads, kvHeads, headDim);
  checkLastError("attentionBackward(q)");
  const long nkv = static_cast<long>(B) * kvHeads * T;
  TANDEM_LAUNCH(attentionBackwardKeyValueKernel, blocksFor(nkv, 64), 64)(dk, dv, dout, out, probs, q, v, B, T, heads, kvHeads,
                                                              headDim);
  checkLastError("attentionBackward(kv)");
}

}  // namespace cuda
}  // namespace trainer
