// Top-k selection, quantiser and chunk layout against straightforward references.
#include <numeric>

#include "quantizer.h"
#include "topk.h"
#include "test_util.h"

using namespace tandem;

namespace {
std::vector<uint16_t> referenceTopK(const std::vector<float>& v, uint32_t k) {
  std::vector<uint32_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return std::fabs(v[a]) > std::fabs(v[b]); });
  std::vector<uint16_t> out(order.begin(), order.begin() + k);
  std::sort(out.begin(), out.end());
  return out;
}
std::vector<uint32_t> keysOf(const std::vector<float>& v) {
  std::vector<uint32_t> keys(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    std::memcpy(&keys[i], &v[i], 4);
    keys[i] &= 0x7FFFFFFFu;
  }
  return keys;
}
}  // namespace

TEST(topk_matches_reference_with_ties_and_scale_changes) {
  testing::Rng rng(11);
  detail::TopKSelector sel;  // hint carries across chunks, as in the encoder
  for (int iter = 0; iter < 400; ++iter) {
    const uint32_t n = 1 + uint32_t(rng.below(4096));
    const uint32_t k = 1 + uint32_t(rng.below(std::min<uint32_t>(n, 200)));
    std::vector<float> v(n);
    const double scale = std::pow(10.0, double(rng.below(12)) - 8.0);  // jumps in magnitude
    const int mode = iter % 4;
    for (auto& x : v) {
      if (mode == 0) x = float(rng.gaussian() * scale);
      else if (mode == 1) x = float(int(rng.below(5)) - 2) * float(scale);  // many ties
      else if (mode == 2) x = rng.uniform() < 0.9 ? 0.0f : float(rng.gaussian());  // sparse
      else x = float(rng.gaussian() * scale * (rng.uniform() < 0.02 ? 100 : 1));
    }
    std::vector<uint16_t> got(k);
    sel.select(keysOf(v).data(), n, k, got.data());
    CHECK(got == referenceTopK(v, k));
  }
}

TEST(quantizer_follows_deployed_rule) {
  testing::Rng rng(12);
  std::vector<float> v(5000);
  for (auto& x : v) x = float(rng.gaussian() * 0.01 + 0.002);
  std::vector<uint8_t> levels(v.size());
  std::array<float, 4> table{};
  std::array<uint64_t, 4> counts{};
  detail::quantizeLevels(v.data(), v.size(), levels.data(), table, counts);
  double mean = 0, sq = 0;
  for (float x : v) mean += x;
  mean /= v.size();
  for (float x : v) sq += (x - mean) * (x - mean);
  const double scale = 6.0 * std::sqrt(sq / (v.size() - 1)) / 4.0;
  std::array<double, 4> sums{};
  size_t mismatches = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const double t = std::round((v[i] - mean) / scale + 2.0);
    const int expected = int(std::min(3.0, std::max(0.0, t)));
    mismatches += expected != levels[i];
    sums[levels[i]] += v[i];
  }
  CHECK_MSG(mismatches == 0, mismatches);
  for (int l = 0; l < 4; ++l) {
    if (counts[l]) CHECK(std::fabs(table[l] - sums[l] / counts[l]) <= 1e-6 * std::fabs(table[l]) + 1e-12);
  }
  CHECK(table[0] < table[1] && table[1] < table[2] && table[2] < table[3]);
}

TEST(chunk_layout_uses_largest_divisor_at_most_block) {
  ChunkLayout L;
  CHECK_OK(layoutForShape({2048, 5632}, 64, 1ull << 34, L, ""));
  CHECK(L.chunkRows == 64 && L.chunkCols == 64 && L.chunkSize == 4096);
  CHECK(L.chunkCount == 32 * 88);
  CHECK_OK(layoutForShape({2048}, 64, 1ull << 34, L, ""));
  CHECK(L.rows == 1 && L.chunkRows == 1 && L.chunkCols == 64 && L.chunkCount == 32);
  CHECK_OK(layoutForShape({100, 96}, 64, 1ull << 34, L, ""));
  CHECK(L.chunkRows == 50 && L.chunkCols == 48);
  CHECK_OK(layoutForShape({4, 3, 130}, 64, 1ull << 34, L, ""));  // N-D: (12, 130)
  CHECK(L.rows == 12 && L.cols == 130 && L.chunkRows == 12 && L.chunkCols == 26);
  CHECK_OK(layoutForShape({}, 64, 1ull << 34, L, ""));  // scalar
  CHECK(L.numel() == 1 && L.chunkSize == 1);
  CHECK_OK(layoutForShape({4096, 4096}, 32, 1ull << 34, L, ""));
  CHECK(L.chunkSize == 1024);
  CHECK(!layoutForShape({0, 3}, 64, 1ull << 34, L, "").ok());
  CHECK(L.chunkOrigin(1) == 32);
}
