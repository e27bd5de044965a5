// Exact top-k by magnitude inside one chunk, without sorting the chunk.
//
// Magnitudes are compared as integers: for finite floats, the IEEE bits with
// the sign cleared order exactly like |x|. A threshold carried over from the
// previous chunk (neighbouring chunks of a gradient have similar scale)
// filters the chunk in one branch-free pass down to a few times k
// candidates; nth_element on that short list finds the exact k-th key, and a
// final pass over the candidates (already in index order) emits the kept
// indices sorted. Ties at the threshold go to the lowest indices, so the
// result is a deterministic function of the input alone — the hint only
// changes speed, never the answer.
#pragma once

#include <cstdint>
#include <vector>

namespace tandem {
namespace detail {

class TopKSelector {
 public:
  // keys: |x| as sign-cleared float bits, n values; writes k ascending
  // indices to out (k <= n).
  void select(const uint32_t* keys, uint32_t n, uint32_t k, uint16_t* out);
  void resetHint() { hint_ = 0; }

 private:
  uint32_t hint_ = 0;
  std::vector<uint16_t> candidates_;
  std::vector<uint32_t> candidateKeys_;
  std::vector<uint32_t> work_;
};

}  // namespace detail
}  // namespace tandem
