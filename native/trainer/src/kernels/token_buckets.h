// The positions of a batch's tokens grouped by token value, for the CUDA
// embedding backward (embedding.cu): one block per distinct token sums its
// positions' gradients in position order and adds the total once, so the
// sum is deterministic without atomics and runs in parallel over tokens and
// channels (llm.c prepares the same buckets on the host). Built on the host
// from the tokens the host uploads anyway: a counting sort, O(count + vocab).
#pragma once

#include <cstdint>
#include <vector>

namespace trainer {

struct TokenBuckets {
  std::vector<int32_t> tokens;     // distinct token values, ascending
  std::vector<int32_t> starts;     // bucket b holds positions[starts[b] .. starts[b+1]); tokens.size()+1 entries
  std::vector<int32_t> positions;  // every position once, ascending within a bucket
};

// Throws std::invalid_argument for a token outside [0, vocab).
TokenBuckets bucketTokens(const int32_t* tokens, int count, int vocab);

}  // namespace trainer
