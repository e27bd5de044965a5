#include "topk.h"

#include <algorithm>
#include <cstring>
#include <functional>

namespace tandem {
namespace detail {
namespace {

uint32_t keyToHint(uint32_t kthKey) {
  // Next chunk's filter: 3/4 of this chunk's k-th magnitude, leaving room
  // for chunk-to-chunk variation while keeping the candidate list short.
  float f;
  std::memcpy(&f, &kthKey, 4);
  f *= 0.75f;
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return bits;
}

}  // namespace

void TopKSelector::select(const uint32_t* keys, uint32_t n, uint32_t k, uint16_t* out) {
  if (k >= n) {
    for (uint32_t i = 0; i < n; ++i) out[i] = uint16_t(i);
    return;
  }
  if (candidates_.size() < n) {
    candidates_.resize(n);
    candidateKeys_.resize(n);
  }
  uint16_t* cand = candidates_.data();
  uint32_t* candKeys = candidateKeys_.data();

  uint32_t threshold = hint_;
  uint32_t step = 2u << 23;  // two binary orders of magnitude, doubling per retry
  uint32_t count;
  for (;;) {
    count = 0;
    for (uint32_t i = 0; i < n; ++i) {
      cand[count] = uint16_t(i);
      candKeys[count] = keys[i];
      count += keys[i] >= threshold;
    }
    if (count >= k) break;
    // Too few candidates (the scale dropped since the last chunk): lower the
    // threshold by 4x, then 16x, 256x, ... so even a drop of 10^30 costs only
    // a handful of passes; it reaches 0 (everything passes) eventually.
    threshold = threshold > step ? threshold - step : 0;
    step = step < (1u << 30) ? step * 2 : step;
  }

  // Exact k-th largest key among the candidates.
  std::vector<uint32_t>& work = work_;
  work.assign(candKeys, candKeys + count);
  std::nth_element(work.begin(), work.begin() + (k - 1), work.end(), std::greater<uint32_t>());
  const uint32_t kth = work[k - 1];

  uint32_t above = 0;
  for (uint32_t i = 0; i < count; ++i) above += candKeys[i] > kth;
  const uint32_t tiesToTake = k - above;

  uint32_t written = 0, tiesTaken = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t key = candKeys[i];
    const uint32_t isTie = key == kth;
    const uint32_t take = uint32_t(key > kth) | (isTie & uint32_t(tiesTaken < tiesToTake));
    // Compact in place (written <= i), branch-free.
    cand[written] = cand[i];
    written += take;
    tiesTaken += isTie & take;
  }
  std::memcpy(out, cand, k * sizeof(uint16_t));
  hint_ = keyToHint(kth);
}

}  // namespace detail
}  // namespace tandem
