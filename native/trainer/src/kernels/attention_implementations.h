// The CUDA attention implementations behind cuda::attentionForward and
// cuda::attentionBackward (kernels/attention.cu picks one per call from
// kernels/attention_path.h). Same arguments, layouts and semantics as those
// (kernels/cuda_kernels.h): q, out, dq [B,T,H,hd]; k, v, dk, dv [B,T,KV,hd];
// lse, delta fp32 [B,H,T] (natural log); backward accumulates into dq, dk, dv.
// Not part of the C++-visible API: only the .cu files include it.
#pragma once

#include "kernels/cuda_kernels.h"

namespace trainer {
namespace cuda {

// Tiled FlashAttention-2 style kernels (attention_flash_*.cu); headDim <= 256.
void flashAttentionForward(bf16* out, float* lse, const bf16* q, const bf16* k, const bf16* v, int B, int T,
                           int heads, int kvHeads, int headDim);
// delta must already hold rowsum(dout ∘ out) (attentionRowDot).
void flashAttentionBackward(bf16* dq, bf16* dk, bf16* dv, const float* delta, const bf16* dout, const float* lse,
                            const bf16* q, const bf16* k, const bf16* v, int B, int T, int heads, int kvHeads,
                            int headDim);

// One thread per query row (attention_reference.cu); headDim <= 256.
void referenceAttentionForward(bf16* out, float* lse, const bf16* q, const bf16* k, const bf16* v, int B, int T,
                               int heads, int kvHeads, int headDim);
void referenceAttentionBackward(bf16* dq, bf16* dk, bf16* dv, const float* delta, const bf16* dout,
                                const float* lse, const bf16* q, const bf16* k, const bf16* v, int B, int T,
                                int heads, int kvHeads, int headDim);

// delta(b, h, t) = dout_t · out_t, which both backward passes need
// (Σ_s p_s dp_s of the softmax gradient).
void attentionRowDot(float* delta, const bf16* dout, const bf16* out, int B, int T, int heads, int headDim);

}  // namespace cuda
}  // namespace trainer
