// Global L2-norm gradient clipping (torch.nn.utils.clip_grad_norm_).
#pragma once

#include <vector>

namespace trainer {

// Returns the norm before clipping (accumulated in double). When it exceeds
// maxNorm (> 0), every gradient is scaled by maxNorm / (norm + 1e-6). A
// non-finite norm is returned unchanged and nothing is scaled: the caller
// skips that step.
double clipGradientNorm(std::vector<float>& grads, double maxNorm);

}  // namespace trainer
