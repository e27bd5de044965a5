// Global L2-norm gradient clipping (torch.nn.utils.clip_grad_norm_).
#pragma once

#include <cstddef>
#include <vector>

namespace trainer {

// Returns the norm before clipping (accumulated in double). When it exceeds
// maxNorm (> 0), every gradient is scaled by maxNorm / (norm + 1e-6). A
// non-finite norm is returned unchanged and nothing is scaled: the caller
// skips that step.
double clipGradientNorm(std::vector<float>& grads, double maxNorm);

namespace cpu {
// Sum of squares accumulated in double, in index order (the reference for
// cuda::sumOfSquares; FSDP ranks sum their shard with it).
double sumOfSquares(const float* x, size_t n);
}  // namespace cpu

}  // namespace trainer
