#include "kernels/cross_entropy.h"

#include <cmath>

#include "util/parallel.h"

namespace trainer {
namespace cpu {

namespace {
// log(sum(exp(x))) computed stably in double.
double logSumExp(const float* x, int n, float* maxOut) {
  float m = x[0];
  for (int i = 1; i < n; ++i) m = x[i] > m ? x[i] : m;
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += std::exp(static_cast<double>(x[i]) - m);
  *maxOut = m;
  return m + std::log(sum);
}
}  // namespace

double crossEntropyForward(float* losses, const float* logits, const int32_t* targets, int rows, int vocab,
                           long* validCount) {
  double total = 0;
  long count = 0;
  for (int r = 0; r < rows; ++r) {
    if (targets[r] < 0) {
      losses[r] = 0.0f;
      continue;
    }
    const float* x = logits + static_cast<long>(r) * vocab;
    float m;
    const double loss = logSumExp(x, vocab, &m) - x[targets[r]];
    losses[r] = static_cast<float>(loss);
    total += loss;
    ++count;
  }
  *validCount = count;
  return total;
}

void crossEntropyBackward(float* dlogits, const float* logits, const int32_t* targets, int rows, int vocab,
                          float scale) {
  TANDEM_PARALLEL_FOR
  for (int r = 0; r < rows; ++r) {
    const float* x = logits + static_cast<long>(r) * vocab;
    float* d = dlogits + static_cast<long>(r) * vocab;
    if (targets[r] < 0) {
      for (int i = 0; i < vocab; ++i) d[i] = 0.0f;
      continue;
    }
    float m;
    const double lse = logSumExp(x, vocab, &m);
    for (int i = 0; i < vocab; ++i) {
      const double p = std::exp(static_cast<double>(x[i]) - lse);
      d[i] = static_cast<float>((p - (i == targets[r] ? 1.0 : 0.0)) * scale);
    }
  }
}

}  // namespace cpu
}  // namespace trainer
