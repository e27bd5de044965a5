// Rotary position embedding, "rotate half" convention (Hugging Face LLaMA):
// for i < hd/2 the pair (x[i], x[i + hd/2]) is rotated by angle
// pos * theta^(-2i/hd). Tensors are [B, T, heads, hd]; pos = t.
#pragma once

namespace trainer {
namespace cpu {

// Fills cos/sin tables of [maxSeq, hd/2], computed in double then rounded,
// so CPU and CUDA use the same angles.
void ropeTables(float* cosTable, float* sinTable, int maxSeq, int headDim, double theta);

// In place: x <- R(pos) x.
void ropeForward(float* x, const float* cosTable, const float* sinTable, int B, int T, int heads, int headDim);
// In place on the gradient: dx <- R(pos)^T dx (a rotation's inverse).
void ropeBackward(float* dx, const float* cosTable, const float* sinTable, int B, int T, int heads, int headDim);

}  // namespace cpu
}  // namespace trainer
