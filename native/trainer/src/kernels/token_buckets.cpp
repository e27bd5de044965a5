#include "kernels/token_buckets.h"

#include <stdexcept>
#include <string>

namespace trainer {

TokenBuckets bucketTokens(const int32_t* tokens, int count, int vocab) {
  std::vector<int32_t> counts(static_cast<size_t>(vocab) + 1, 0);
  for (int i = 0; i < count; ++i) {
    if (tokens[i] < 0 || tokens[i] >= vocab) {
      throw std::invalid_argument("token " + std::to_string(tokens[i]) + " outside the vocabulary of " +
                                  std::to_string(vocab));
    }
    ++counts[static_cast<size_t>(tokens[i]) + 1];
  }
  TokenBuckets b;
  for (int v = 0; v < vocab; ++v) {
    if (counts[static_cast<size_t>(v) + 1] == 0) continue;
    b.tokens.push_back(v);
  }
  // counts -> where each token's positions start (prefix sums).
  for (int v = 0; v < vocab; ++v) counts[static_cast<size_t>(v) + 1] += counts[static_cast<size_t>(v)];
  b.starts.reserve(b.tokens.size() + 1);
  for (int32_t v : b.tokens) b.starts.push_back(counts[static_cast<size_t>(v)]);
  b.starts.push_back(count);
  b.positions.resize(static_cast<size_t>(count));
  std::vector<int32_t> next(counts.begin(), counts.end() - 1);
  for (int i = 0; i < count; ++i) b.positions[static_cast<size_t>(next[static_cast<size_t>(tokens[i])]++)] = i;
  return b;
}

}  // namespace trainer
