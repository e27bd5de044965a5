#include "fsdp/shard_layout.h"

#include <algorithm>
#include <stdexcept>

namespace trainer {

ShardLayout::ShardLayout(size_t total, int ranks) : total_(total), ranks_(ranks), shardSize_(0) {
  if (ranks < 1) throw std::invalid_argument("ShardLayout: ranks must be >= 1");
  const size_t g = static_cast<size_t>(ranks);
  shardSize_ = (total + g - 1) / g;
}

size_t ShardLayout::begin(int rank) const { return std::min(static_cast<size_t>(rank) * shardSize_, total_); }

size_t ShardLayout::end(int rank) const { return std::min(static_cast<size_t>(rank + 1) * shardSize_, total_); }

std::vector<ShardPiece> ShardLayout::pieces(const std::vector<ParameterInfo>& infos, int rank) const {
  const size_t b = begin(rank), e = end(rank);
  std::vector<ShardPiece> out;
  for (const ParameterInfo& p : infos) {
    const size_t lo = std::max(b, p.offset), hi = std::min(e, p.offset + p.numel);
    if (lo < hi) out.push_back(ShardPiece{lo, hi - lo, p.weightDecay});
  }
  return out;
}

}  // namespace trainer
