// Causal multi-head attention with grouped key/value heads (GQA): query head
// h reads key/value head h / (heads / kvHeads). Layouts: q, out [B,T,H,hd];
// k, v [B,T,KV,hd]; probs [B,H,T,T] (softmax rows, zero above the diagonal),
// saved for the backward pass. Scores are scaled by 1/sqrt(hd).
#pragma once

namespace trainer {
namespace cpu {

void attentionForward(float* out, float* probs, const float* q, const float* k, const float* v,
                      int B, int T, int heads, int kvHeads, int headDim);

// Accumulates into dq, dk, dv. Parallel over (batch, kv head) so the heads
// sharing a kv head add their dk/dv contributions in a fixed order.
void attentionBackward(float* dq, float* dk, float* dv, const float* dout, const float* probs,
                       const float* q, const float* k, const float* v,
                       int B, int T, int heads, int kvHeads, int headDim);

}  // namespace cpu
}  // namespace trainer
