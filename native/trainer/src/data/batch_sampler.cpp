#include "data/batch_sampler.h"

#include <algorithm>

#include "util/errors.h"
#include "util/rng.h"

namespace trainer {

namespace {
std::vector<SharedShard> share(std::vector<TokenShard> shards) {
  std::vector<SharedShard> shared;
  shared.reserve(shards.size());
  for (TokenShard& s : shards) shared.push_back(std::make_shared<const TokenShard>(std::move(s)));
  return shared;
}
}  // namespace

BatchSampler::BatchSampler(std::vector<TokenShard> shards, int seqLen) : BatchSampler(share(std::move(shards)), seqLen) {}

BatchSampler::BatchSampler(std::vector<SharedShard> shards, int seqLen) : shards_(std::move(shards)), seqLen_(seqLen) {
  if (seqLen < 1) throw TrainerError(error_code::kInvalidArgument, "seq_len must be >= 1");
  cumulative_.push_back(0);
  for (const SharedShard& s : shards_) {
    if (!s) throw TrainerError(error_code::kInternal, "null shard given to the sampler");
    const uint64_t n = s->size();
    total_ += n > static_cast<uint64_t>(seqLen) ? n - static_cast<uint64_t>(seqLen) : 0;
    cumulative_.push_back(total_);
  }
  if (total_ == 0) {
    throw TrainerError(error_code::kData, "no shard holds seq_len + 1 = " + std::to_string(seqLen + 1) + " tokens");
  }
}

uint64_t BatchSampler::seedFor(const std::string& peerId, uint64_t window) {
  const std::string key = "tandem-sampler-v1:" + peerId + ":" + std::to_string(window);
  return fnv1a64(key.data(), key.size());
}

SamplePosition BatchSampler::position(uint64_t seed, uint64_t sampleIndex) const {
  const uint64_t c = splitmix64At(seed, sampleIndex) % total_;
  // First shard whose cumulative end exceeds c.
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), c);
  const size_t shard = static_cast<size_t>(it - cumulative_.begin()) - 1;
  return SamplePosition{shard, c - cumulative_[shard]};
}

void BatchSampler::fill(const std::string& peerId, uint64_t window, uint64_t step, int batchSize, int rowBegin,
                        int rowCount, int32_t* tokens, int32_t* targets) const {
  const uint64_t seed = seedFor(peerId, window);
  for (int r = 0; r < rowCount; ++r) {
    const uint64_t j = step * static_cast<uint64_t>(batchSize) + static_cast<uint64_t>(rowBegin + r);
    const SamplePosition pos = position(seed, j);
    const TokenShard& shard = *shards_[pos.shard];
    const long row = static_cast<long>(r) * seqLen_;
    shard.copyTokens(pos.start, static_cast<size_t>(seqLen_), tokens + row);
    shard.copyTokens(pos.start + 1, static_cast<size_t>(seqLen_), targets + row);
  }
}

}  // namespace trainer
