#include "kernels/embedding.h"

#include <cstring>

namespace trainer {
namespace cpu {

void embeddingForward(float* out, const int32_t* tokens, const float* table, int count, int dim) {
  for (int i = 0; i < count; ++i) {
    std::memcpy(out + static_cast<long>(i) * dim, table + static_cast<long>(tokens[i]) * dim,
                sizeof(float) * static_cast<size_t>(dim));
  }
}

// Serial on purpose: two positions with the same token write the same row,
// and a fixed order keeps the sum bit-reproducible.
void embeddingBackward(float* dtable, const float* dout, const int32_t* tokens, int count, int dim) {
  for (int i = 0; i < count; ++i) {
    float* row = dtable + static_cast<long>(tokens[i]) * dim;
    const float* g = dout + static_cast<long>(i) * dim;
    for (int c = 0; c < dim; ++c) row[c] += g[c];
  }
}

}  // namespace cpu
}  // namespace trainer
