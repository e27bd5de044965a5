// The three collectives FSDP needs, over the G ranks one process drives
// (one thread of control, like ncclCommInitAll): all-gather of weight
// shards, reduce-scatter of gradients, all-reduce of a scalar (the squared
// gradient norm for clipping).
//
// Buffers are pointers into each rank's own memory: host memory for
// CpuCollective, device r for CudaCollective. Per rank r:
//   shard buffer: layout.count(r) meaningful elements, capacity layout.shardSize()
//   whole buffer: layout.total() meaningful elements, capacity layout.paddedTotal()
// Implementations that move whole shards (NCCL) read and write the pads, so
// pads must hold zeros; CpuCollective touches only meaningful elements (its
// callers may pass exactly-N buffers). Operations are out of place.
#pragma once

#include <string>
#include <vector>

#include "fsdp/shard_layout.h"

namespace trainer {

enum class ReduceOp {
  kSum,   // rank order 0..G-1 in the reference
  kMean,  // the sum times float(1/G)
};

class Collective {
 public:
  virtual ~Collective() = default;
  virtual int ranks() const = 0;
  virtual std::string name() const = 0;  // "cpu", "nccl" or "peer_copy"

  // whole[r][layout.begin(q) + i] = shards[q][i] for every r and q.
  virtual void allGather(const ShardLayout& layout, const std::vector<const float*>& shards,
                         const std::vector<float*>& whole) = 0;
  // shards[r][i] = op over q of whole[q][layout.begin(r) + i].
  virtual void reduceScatter(const ShardLayout& layout, const std::vector<const float*>& whole,
                             const std::vector<float*>& shards, ReduceOp op) = 0;
  // values[r] (host) becomes the sum over all ranks, on every rank.
  virtual void allReduceSum(std::vector<double>& values) = 0;
};

}  // namespace trainer
