// Softmax cross-entropy over the vocabulary, one row per position. A target
// < 0 masks the position (no loss, zero gradient).
#pragma once

#include <cstdint>

namespace trainer {
namespace cpu {

// losses[r] = logsumexp(logits[r]) - logits[r, target[r]] (0 when masked).
// Returns the sum of losses over unmasked rows (double) and their count.
double crossEntropyForward(float* losses, const float* logits, const int32_t* targets, int rows, int vocab,
                           long* validCount);

// dlogits[r, :] = (softmax(logits[r]) - onehot(target)) * scale, where
// scale = dLoss / validCount for a mean loss. dlogits may alias logits
// (written, not accumulated: the logits buffer is dead after this).
void crossEntropyBackward(float* dlogits, const float* logits, const int32_t* targets, int rows, int vocab,
                          float scale);

}  // namespace cpu
}  // namespace trainer
