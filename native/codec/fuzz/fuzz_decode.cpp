// Fuzz driver for the decoder: random and mutated payloads (with and without
// repaired length/checksum, so mutations reach every structural check).
// Every input must either be rejected with a code and a field-naming
// message, or decode validly, re-validate, and re-serialise to the same
// bytes. Built under ASan+UBSan by native/scripts/test-native.mjs.
//
// usage: tandem_codec_fuzz [iterations=100000] [seed=1]
#include <cstdio>
#include <cstdlib>

#include "test_util.h"

using namespace tandem;

namespace {

std::vector<std::vector<uint8_t>> makeSeeds(testing::Rng& rng) {
  std::vector<std::vector<uint8_t>> seeds;
  for (int i = 0; i < 40; ++i) {
    auto tensors = testutil::randomTensors(rng, 1 + int(rng.below(3)), 3000);
    EncodeParams p;
    p.k = 1 + uint32_t(rng.below(i % 4 == 0 ? 2000 : 40));
    static const uint32_t blocks[] = {1, 4, 8, 16, 64};
    p.blockSize = blocks[rng.below(5)];
    std::vector<uint8_t> bytes;
    if (encodeTensors(testutil::inputsOf(tensors, i % 2 == 0), p, bytes).ok()) {
      seeds.push_back(std::move(bytes));
    }
  }
  return seeds;
}

void mutate(testing::Rng& rng, std::vector<uint8_t>& b, const std::vector<std::vector<uint8_t>>& seeds) {
  const int rounds = 1 + int(rng.below(6));
  static const uint8_t interesting[] = {0, 1, 2, 0x7F, 0x80, 0xFF, 0x40, 64, 4, 9};
  for (int r = 0; r < rounds; ++r) {
    const size_t n = b.size();
    switch (rng.below(8)) {
      case 0: if (n) b[rng.below(n)] ^= uint8_t(1u << rng.below(8)); break;
      case 1: if (n) b[rng.below(n)] = uint8_t(rng.next()); break;
      case 2: if (n) b[rng.below(n)] = interesting[rng.below(sizeof(interesting))]; break;
      case 3: b.insert(b.begin() + rng.below(n + 1), uint8_t(rng.next())); break;
      case 4: if (n) b.erase(b.begin() + rng.below(n)); break;
      case 5: if (n) b.resize(rng.below(n)); break;
      case 6: {  // overwrite a range with bytes from another seed
        const auto& s = seeds[rng.below(seeds.size())];
        if (!n || s.empty()) break;
        const size_t at = rng.below(n), from = rng.below(s.size());
        const size_t len = std::min<size_t>({1 + rng.below(16), n - at, s.size() - from});
        std::memcpy(b.data() + at, s.data() + from, len);
        break;
      }
      default:  // header-targeted: the first 64 bytes hold most descriptors
        if (n) b[rng.below(std::min<size_t>(n, 64))] = uint8_t(rng.next());
        break;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const long iterations = argc > 1 ? std::atol(argv[1]) : 100000;
  const uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  testing::Rng rng(seed);
  const auto seeds = makeSeeds(rng);
  DecodeOptions opt;
  opt.maxValues = uint64_t(1) << 22;  // keep hostile shapes cheap under ASan

  long accepted = 0, rejected = 0, failures = 0;
  auto fail = [&](long iter, const char* what, const std::string& detail) {
    if (++failures <= 10) std::printf("  FAIL iteration %ld: %s %s\n", iter, what, detail.c_str());
  };
  for (long iter = 0; iter < iterations; ++iter) {
    std::vector<uint8_t> input;
    const uint64_t mode = rng.below(10);
    if (mode == 0) {
      input.resize(rng.below(160));
      for (auto& x : input) x = uint8_t(rng.next());
      if (input.size() >= 8 && rng.below(2)) {  // plausible header prefix
        std::memcpy(input.data(), kPayloadMagic, 4);
        input[4] = 1;
        input[5] = 0;
        testutil::setTotalLength(input);
        testutil::fixChecksum(input);
      }
    } else {
      input = seeds[rng.below(seeds.size())];
      mutate(rng, input, seeds);
      if (mode >= 3) {  // 70%: repair length and checksum
        testutil::setTotalLength(input);
        testutil::fixChecksum(input);
      }
    }

    SparsePayload sparse;
    const Status s = decodePayloadSparse(input.data(), input.size(), opt, sparse);
    if (!s.ok()) {
      ++rejected;
      if (s.field.empty() || s.message.find(s.field) == std::string::npos) {
        fail(iter, "rejection does not name its field:", s.message);
      }
      continue;
    }
    ++accepted;
    // Decoded validly: it must re-validate, decode densely with finite values,
    // and re-serialise to the very same bytes.
    if (!validatePayload(input.data(), input.size(), opt).ok()) fail(iter, "re-validation failed", "");
    std::vector<DenseTensor> dense;
    if (!decodePayloadDense(input.data(), input.size(), opt, dense).ok()) {
      fail(iter, "dense decode failed after sparse decode succeeded", "");
    }
    for (const auto& t : dense)
      for (float v : t.values)
        if (!std::isfinite(v)) { fail(iter, "non-finite decoded value", t.name); break; }
    std::vector<uint8_t> again;
    serializePayload(sparse, again);
    if (again != input) fail(iter, "decode -> serialise is not the identity", "");
    if (iter % 64 == 0) {
      AggregateResult agg;
      const auto& ref = seeds[iter % seeds.size()];
      if (!aggregatePayloads({PayloadView{input.data(), input.size()}, PayloadView{ref.data(), ref.size()}},
                             opt, agg).ok()) {
        fail(iter, "aggregate of a valid payload failed", "");
      }
    }
  }
  std::printf("fuzz: %ld inputs, %ld accepted, %ld rejected, %ld failures\n", iterations, accepted,
              rejected, failures);
  return failures == 0 ? 0 : 1;
}
