// Deterministic assignment of training sequences to (peer, window), so a
// validator can recompute exactly the batches a peer was given. The exact
// algorithm is specified in DATA.md and must stay in sync with it (a
// TypeScript reimplementation uses BigInt):
//
//   seed   = FNV-1a-64( utf8("tandem-sampler-v1:" + peerId + ":" + decimal(window)) )
//   j      = step * batchSize + row                  (row-major over the global batch)
//   draw   = SplitMix64 output number j from `seed`  (state = seed + (j+1)*γ, then mix)
//   c      = draw mod C,  C = Σ_shards max(0, n_s − T)   (starts with T+1 tokens inside a shard)
//   (shard, start) = c located in the shards' cumulative candidate counts
//   tokens = shard[start .. start+T),  targets = shard[start+1 .. start+T+1)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/token_shard.h"

namespace trainer {

struct SamplePosition {
  size_t shard = 0;
  uint64_t start = 0;
};

// Shards are shared, not copied: a data directory's sampler, a
// train_window's shard list and an evaluation's may index the same files,
// each held in memory once (data/shard_cache.h).
using SharedShard = std::shared_ptr<const TokenShard>;

class BatchSampler {
 public:
  BatchSampler() = default;
  // Indexes `shards` in the order given (DATA.md: the sorted file names).
  BatchSampler(std::vector<SharedShard> shards, int seqLen);
  BatchSampler(std::vector<TokenShard> shards, int seqLen);

  static uint64_t seedFor(const std::string& peerId, uint64_t window);
  SamplePosition position(uint64_t seed, uint64_t sampleIndex) const;

  // Fills rows [rowBegin, rowBegin + rowCount) of the global batch of
  // `batchSize` rows for inner step `step`; tokens/targets are rowCount*T.
  void fill(const std::string& peerId, uint64_t window, uint64_t step, int batchSize, int rowBegin, int rowCount,
            int32_t* tokens, int32_t* targets) const;

  int seqLen() const { return seqLen_; }
  uint64_t candidateCount() const { return total_; }
  bool empty() const { return total_ == 0; }
  size_t shardCount() const { return shards_.size(); }
  const TokenShard& shard(size_t i) const { return *shards_[i]; }

 private:
  std::vector<SharedShard> shards_;
  std::vector<uint64_t> cumulative_;  // candidates before shard i (size shards+1)
  uint64_t total_ = 0;
  int seqLen_ = 0;
};

}  // namespace trainer
