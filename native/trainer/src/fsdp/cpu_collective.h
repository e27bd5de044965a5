// The reference collective: G ranks whose buffers are all host memory, one
// thread. Reductions add ranks in order 0..G-1, so results are deterministic
// and, for G = 1, exact copies.
#pragma once

#include "fsdp/collective.h"

namespace trainer {

class CpuCollective final : public Collective {
 public:
  explicit CpuCollective(int ranks);
  int ranks() const override { return ranks_; }
  std::string name() const override { return "cpu"; }
  void allGather(const ShardLayout& layout, const std::vector<const float*>& shards,
                 const std::vector<float*>& whole) override;
  void reduceScatter(const ShardLayout& layout, const std::vector<const float*>& whole,
                     const std::vector<float*>& shards, ReduceOp op) override;
  void allReduceSum(std::vector<double>& values) override;

 private:
  int ranks_;
};

// Throws std::invalid_argument unless layout, buffers and collective agree on G.
void checkCollectiveArguments(const Collective& c, const ShardLayout& layout, size_t first, size_t second);

}  // namespace trainer
