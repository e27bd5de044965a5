// Token embedding lookup: out[i, :] = table[tokens[i], :]. Tokens must be in
// [0, vocab); the data layer validates them before they reach a kernel.
#pragma once

#include <cstdint>

namespace trainer {
namespace cpu {

void embeddingForward(float* out, const int32_t* tokens, const float* table, int count, int dim);
// dtable[tokens[i], :] += dout[i, :], in token order (deterministic).
void embeddingBackward(float* dtable, const float* dout, const int32_t* tokens, int count, int dim);

}  // namespace cpu
}  // namespace trainer
