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

TEST(keyed_digest_is_bound_to_its_key_and_to_the_weights) {
  // A small model (one block: hashed whole) and one over 64 MiB (sampled: one block in 16 by key).
  for (size_t count : {size_t(100000), (size_t(80) << 20) / 4}) {
    std::vector<float> w(count);
    for (size_t i = 0; i < w.size(); ++i) w[i] = float(i % 1013) * 1e-3f - 0.5f;
    const uint64_t mine = tandem::keyedWeightsDigest(w.data(), w.size(), "7:12");
    CHECK(tandem::keyedWeightsDigest(w.data(), w.size(), "7:12") == mine);
    // Another peer's key, another window, the plain digest: all different.
    CHECK(tandem::keyedWeightsDigest(w.data(), w.size(), "8:12") != mine);
    CHECK(tandem::keyedWeightsDigest(w.data(), w.size(), "7:13") != mine);
    CHECK(weightsDigest(w.data(), w.size()) != mine);
    // A stale model (every weight a little off) gives another proof, for every key tried.
    std::vector<float> stale = w;
    for (float& v : stale) v += 1e-4f;
    for (const char* key : {"7:12", "1:1", "30:999"}) {
      CHECK(tandem::keyedWeightsDigest(stale.data(), stale.size(), key) != tandem::keyedWeightsDigest(w.data(), w.size(), key));
    }
  }
}
