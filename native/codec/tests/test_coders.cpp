// Unit tests of the entropy coders and the checksum.
#include <array>

#include "index_coder.h"
#include "level_coder.h"
#include "test_util.h"

using namespace tandem;

TEST(crc32c_matches_known_vector) {
  const char* s = "123456789";
  CHECK(crc32c(reinterpret_cast<const uint8_t*>(s), 9) == 0xE3069283u);
  CHECK(crc32c(nullptr, 0) == 0);
}

TEST(golomb_parameter_is_sane) {
  // Gaps of top-64-of-4096 have mean ~63: optimal Golomb m is ~44.
  const uint32_t m = detail::chooseGolombParameter(63.0, 4096);
  CHECK_MSG(m >= 40 && m <= 48, m);
  CHECK(detail::chooseGolombParameter(0.0, 4096) == 1);
  CHECK(detail::chooseGolombParameter(1e9, 100) == 100);
}

TEST(index_gaps_round_trip_exactly) {
  testing::Rng rng(1);
  for (int iter = 0; iter < 300; ++iter) {
    const uint32_t chunkSize = 1 + uint32_t(rng.below(5000));
    const uint32_t k = 1 + uint32_t(rng.below(chunkSize));
    const uint64_t chunks = 1 + rng.below(6);
    std::vector<uint16_t> locals(chunks * k);
    std::vector<uint16_t> perm(chunkSize);
    for (uint64_t c = 0; c < chunks; ++c) {
      for (uint32_t i = 0; i < chunkSize; ++i) perm[i] = uint16_t(i);
      for (uint32_t i = 0; i < k; ++i) std::swap(perm[i], perm[i + rng.below(chunkSize - i)]);
      std::sort(perm.begin(), perm.begin() + k);
      std::copy(perm.begin(), perm.begin() + k, locals.begin() + c * k);
    }
    const uint32_t m = iter % 3 == 0 ? 1 + uint32_t(rng.below(chunkSize))
                                     : detail::chooseGolombParameter(
                                           detail::meanGap(locals.data(), chunks, k), chunkSize);
    std::vector<uint8_t> bytes;
    detail::encodeIndexGaps(locals.data(), chunks, k, m, bytes);
    std::vector<uint16_t> back(chunks * k);
    Status s = detail::decodeIndexGaps(bytes.data(), bytes.size(), chunks, k, chunkSize, m,
                                       back.data(), "t");
    CHECK_OK(s);
    CHECK(back == locals);
  }
}

TEST(levels_round_trip_exactly) {
  testing::Rng rng(2);
  for (int iter = 0; iter < 300; ++iter) {
    const uint64_t n = rng.below(3000);
    std::array<double, 4> p{};
    for (auto& x : p) x = rng.uniform() < 0.25 ? 0.0 : rng.uniform();
    if (p[0] + p[1] + p[2] + p[3] == 0) p[1] = 1;
    std::vector<uint8_t> levels(n);
    std::array<uint64_t, 4> counts{};
    const double total = p[0] + p[1] + p[2] + p[3];
    for (auto& l : levels) {
      const double u = rng.uniform() * total;
      int s = 0;
      double cum = p[0];
      while (s < 3 && u >= cum) cum += p[++s];
      l = uint8_t(s);
      counts[s]++;
    }
    const auto freq = detail::normaliseLevelFrequencies(counts);
    CHECK(uint32_t(freq[0]) + freq[1] + freq[2] + freq[3] == detail::kLevelProbTotal);
    for (int s = 0; s < 4; ++s) CHECK((counts[s] == 0) == (freq[s] == 0) || n == 0);
    std::vector<uint8_t> bytes;
    detail::encodeLevels(levels.data(), n, freq, bytes);
    std::vector<uint8_t> back(n);
    CHECK_OK(detail::decodeLevels(bytes.data(), bytes.size(), n, freq, back.data(), "t"));
    CHECK(back == levels);
  }
}

TEST(level_coder_beats_two_bits_on_skewed_levels) {
  testing::Rng rng(3);
  std::vector<uint8_t> levels(100000);
  std::array<uint64_t, 4> counts{};
  for (auto& l : levels) {
    const double u = rng.uniform();
    l = u < 0.45 ? 1 : u < 0.9 ? 3 : u < 0.95 ? 0 : 2;
    counts[l]++;
  }
  std::vector<uint8_t> bytes;
  detail::encodeLevels(levels.data(), levels.size(), detail::normaliseLevelFrequencies(counts),
                       bytes);
  const double bitsPerLevel = bytes.size() * 8.0 / levels.size();
  CHECK_MSG(bitsPerLevel < 1.62, bitsPerLevel);  // entropy ~1.57 bits
}
