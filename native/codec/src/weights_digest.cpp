#include "tandem_codec/weights_digest.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <thread>
#include <vector>

namespace tandem {

namespace {

constexpr uint64_t kOffset = 0xCBF29CE484222325ull;
constexpr uint64_t kPrime = 0x100000001B3ull;
constexpr size_t kBlockBytes = size_t(1) << 20;

// One FNV-1a step on a 64-bit word, then an xorshift: a multiply carries a
// word's bits only upwards, so without the shift a flipped top bit would
// give the same hash wherever it was. Each part is a bijection of the hash,
// so one changed word always changes the result.
uint64_t step(uint64_t hash, uint64_t word) {
  hash = (hash ^ word) * kPrime;
  return hash ^ (hash >> 29);
}

// Over 8-byte words (little-endian, as every supported CPU), the tail of
// fewer than 8 bytes byte by byte.
uint64_t hashBlock(const unsigned char* bytes, size_t size) {
  uint64_t hash = kOffset;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes + i, 8);
    hash = step(hash, word);
  }
  for (; i < size; ++i) hash = step(hash, bytes[i]);
  return hash;
}

}  // namespace

uint64_t weightsDigest(const float* values, size_t count) {
  const unsigned char* bytes = reinterpret_cast<const unsigned char*>(values);
  const size_t size = count * sizeof(float);
  const size_t blocks = (size + kBlockBytes - 1) / kBlockBytes;
  std::vector<uint64_t> hashes(blocks, 0);
  auto hashBlocks = [&](size_t from, size_t to) {
    for (size_t b = from; b < to; ++b) hashes[b] = hashBlock(bytes + b * kBlockBytes, std::min(kBlockBytes, size - b * kBlockBytes));
  };
  // Every core takes a run of blocks; a thread the system refuses leaves its run to this one.
  const size_t threads = std::max<size_t>(1, std::min<size_t>(std::thread::hardware_concurrency(), blocks / 16));
  std::vector<std::thread> pool;
  size_t started = 1;
  for (size_t i = 1; i < threads; ++i) {
    try {
      pool.emplace_back(hashBlocks, blocks * i / threads, blocks * (i + 1) / threads);
      ++started;
    } catch (const std::exception&) {
      break;
    }
  }
  hashBlocks(0, blocks / threads);
  hashBlocks(blocks * started / threads, blocks);
  for (std::thread& t : pool) t.join();
  uint64_t digest = kOffset ^ uint64_t(size);
  for (uint64_t h : hashes) digest = step(digest, h);
  return digest;
}

namespace {

// splitmix64's finalizer: which blocks a key samples.
uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

constexpr size_t kSampledAbove = 64;  // blocks: above this, one in kSampleEvery is hashed
constexpr uint64_t kSampleEvery = 16;

}  // namespace

uint64_t keyedWeightsDigest(const float* values, size_t count, const std::string& key) {
  static const char kDomain[] = "tandem-model-proof:";
  uint64_t seed = kOffset;
  for (const char* c = kDomain; *c; ++c) seed = step(seed, static_cast<unsigned char>(*c));
  for (unsigned char c : key) seed = step(seed, c);
  const unsigned char* bytes = reinterpret_cast<const unsigned char*>(values);
  const size_t size = count * sizeof(float);
  const size_t blocks = (size + kBlockBytes - 1) / kBlockBytes;
  const bool sampled = blocks > kSampledAbove;
  uint64_t digest = step(seed, uint64_t(size));
  for (size_t b = 0; b < blocks; ++b) {
    if (sampled && mix(seed ^ b) % kSampleEvery != 0) continue;
    digest = step(step(digest, b), hashBlock(bytes + b * kBlockBytes, std::min(kBlockBytes, size - b * kBlockBytes)));
  }
  return digest;
}

}  // namespace tandem
