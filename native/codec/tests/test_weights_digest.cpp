// The weights digest peers compare: equal weights give equal digests, and any
// one changed bit, in any block, in the tail, or in the length, changes it.
#include <cstring>
#include <set>
#include <vector>

#include "test_harness.h"
#include "tandem_codec/weights_digest.h"

using tandem::weightsDigest;

TEST(weights_digest_changes_with_any_bit_and_not_otherwise) {
  // 2.5 blocks of 1 MiB plus an odd float: three blocks, a tail of 4 bytes.
  std::vector<float> w((size_t(5) << 20) / 8 + 1);
  for (size_t i = 0; i < w.size(); ++i) w[i] = float(i % 977) * 1e-3f - 0.4f;
  const uint64_t base = weightsDigest(w.data(), w.size());
  const std::vector<float> copy = w;
  CHECK(weightsDigest(copy.data(), copy.size()) == base);
  std::set<uint64_t> seen{base};
  // One bit flipped in the first word, mid-block, at a block boundary, in the last block, in the odd last float.
  for (size_t at : {size_t(0), size_t(1000), (size_t(1) << 18) - 1, size_t(1) << 18, w.size() - 2, w.size() - 1}) {
    for (int bit : {0, 17, 31}) {
      std::vector<float> changed = w;
      uint32_t u;
      std::memcpy(&u, &changed[at], 4);
      u ^= uint32_t(1) << bit;
      std::memcpy(&changed[at], &u, 4);
      seen.insert(weightsDigest(changed.data(), changed.size()));
    }
  }
  CHECK_MSG(seen.size() == 1 + 6 * 3, seen.size());
  // A prefix is another model.
  CHECK(weightsDigest(w.data(), w.size() - 1) != base);
}
