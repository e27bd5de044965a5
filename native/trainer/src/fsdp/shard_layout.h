// FSDP's unit of sharding is ParameterStore's flat buffer (N floats), cut
// into G equal shards of S = ceil(N/G) elements: rank r owns
// [r·S, min((r+1)·S, N)) of the values, reduced gradients and AdamW moments.
// Equal shards are what NCCL's all-gather / reduce-scatter move (one count
// for every rank), so when G does not divide N the last shard is short (trailing
// shards may even be empty, e.g. N = 5, G = 4: 2,2,1,0) and buffers NCCL reads or writes whole carry a
// zero pad: shard buffers hold S elements, whole-model buffers G·S.
// A shard cuts through tensors; AdamW is elementwise but its weight decay is
// per tensor, so a shard is also described as the pieces of tensors it holds.
#pragma once

#include <cstddef>
#include <vector>

#include "tensors/parameter_store.h"

namespace trainer {

struct ShardPiece {
  size_t offset = 0;  // into the flat buffer (not into the shard)
  size_t count = 0;
  bool weightDecay = true;
};

class ShardLayout {
 public:
  ShardLayout(size_t total, int ranks);  // throws std::invalid_argument when ranks < 1

  size_t total() const { return total_; }
  int ranks() const { return ranks_; }
  size_t shardSize() const { return shardSize_; }  // S: capacity of every shard buffer
  size_t paddedTotal() const { return shardSize_ * static_cast<size_t>(ranks_); }
  size_t begin(int rank) const;
  size_t end(int rank) const;
  size_t count(int rank) const { return end(rank) - begin(rank); }

  // Tensors (or parts of them) inside rank's range, in buffer order.
  std::vector<ShardPiece> pieces(const std::vector<ParameterInfo>& infos, int rank) const;

 private:
  size_t total_;
  int ranks_;
  size_t shardSize_;
};

}  // namespace trainer
