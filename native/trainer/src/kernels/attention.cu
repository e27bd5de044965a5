// Causal GQA attention on CUDA (CPU reference: attention.cpp, which keeps
// the [B,H,T,T] probabilities). Memory is linear in T: the forward pass keeps
// one log-sum-exp per query row, the backward pass recomputes each
// probability from it. Two implementations (kernels/attention_path.h):
//  * flash (default): FlashAttention-2 style tiles on tensor cores,
//    attention_flash_forward.cu and attention_flash_backward.cu;
//  * reference: one thread per query row, attention_reference.cu, which the
//    tests compare the flash kernels with (TANDEM_CUDA_ATTENTION=reference).
// Both share the backward pass's delta = rowsum(dout ∘ out), below.
#include <stdexcept>

#include "kernels/attention_implementations.h"
#include "kernels/attention_path.h"
#include "kernels/cuda_common.cuh"

namespace trainer {
namespace cuda {

namespace {
constexpr int kMaxHeadDim = 256;

// One warp per row of dout/out in memory order (b, t, h), reading it in
// coalesced strides; delta is stored in the lse layout [B,H,T].
__global__ void attentionRowDotKernel(float* delta, const bf16* dout, const bf16* out, long rows, int T, int heads,
                                      int hd) {
  const long row = (static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const int lane = static_cast<int>(threadIdx.x % 32);
  if (row >= rows) return;  // whole warps: blockDim is a multiple of 32
  float d = 0.0f;
  for (int i = lane; i < hd; i += 32) d += loadBf16(dout, row * hd + i) * loadBf16(out, row * hd + i);
  d = warpSum(d);
  if (lane == 0) {
    const long b = row / (static_cast<long>(T) * heads);
    const int t = static_cast<int>((row / heads) % T), h = static_cast<int>(row % heads);
    delta[(b * heads + h) * T + t] = d;
  }
}

void requireHeadDim(int headDim) {
  if (headDim < 1 || headDim > kMaxHeadDim) throw std::invalid_argument("attention: head dim must be 1..256");
}
}  // namespace

void attentionRowDot(float* delta, const bf16* dout, const bf16* out, int B, int T, int heads, int headDim) {
  const long rows = static_cast<long>(B) * T * heads;
  TANDEM_LAUNCH(attentionRowDotKernel, blocksFor(rows * 32, 256), 256)(delta, dout, out, rows, T, heads, headDim);
  checkLastError("attentionBackward(delta)");
}

void attentionForward(bf16* out, float* lse, const bf16* q, const bf16* k, const bf16* v, int B, int T, int heads,
                      int kvHeads, int headDim) {
  requireHeadDim(headDim);
  if (attentionPath() == AttentionPath::reference) {
    referenceAttentionForward(out, lse, q, k, v, B, T, heads, kvHeads, headDim);
  } else {
    flashAttentionForward(out, lse, q, k, v, B, T, heads, kvHeads, headDim);
  }
}

void attentionBackward(bf16* dq, bf16* dk, bf16* dv, float* delta, const bf16* dout, const bf16* out,
                       const float* lse, const bf16* q, const bf16* k, const bf16* v, int B, int T, int heads,
                       int kvHeads, int headDim) {
  requireHeadDim(headDim);
  attentionRowDot(delta, dout, out, B, T, heads, headDim);
  if (attentionPath() == AttentionPath::reference) {
    referenceAttentionBackward(dq, dk, dv, delta, dout, lse, q, k, v, B, T, heads, kvHeads, headDim);
  } else {
    flashAttentionBackward(dq, dk, dv, delta, dout, lse, q, k, v, B, T, heads, kvHeads, headDim);
  }
}

}  // namespace cuda
}  // namespace trainer
