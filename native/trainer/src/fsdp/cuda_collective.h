// Collectives between the CUDA devices of one machine, driven from one
// process: NCCL (loaded at run time, fsdp/nccl_library.h) when it is present
// and the devices are distinct, else CUDA peer copies (cudaMemcpyPeer; the
// driver stages through host memory where P2P is unavailable) with the sum
// done by a kernel in rank order — bit-identical to CpuCollective.
// Buffers are device pointers of each rank's device; shard buffers must
// have capacity shardSize and whole buffers paddedTotal, pads zero (NCCL
// moves whole shards). CUDA builds only.
#pragma once

#include <memory>
#include <vector>

#include "fsdp/collective.h"

namespace trainer {

class CudaCollective final : public Collective {
 public:
  CudaCollective(std::vector<int> devices, size_t shardSize, bool allowNccl);
  ~CudaCollective() override;
  CudaCollective(const CudaCollective&) = delete;
  CudaCollective& operator=(const CudaCollective&) = delete;

  int ranks() const override { return static_cast<int>(devices_.size()); }
  std::string name() const override;
  void allGather(const ShardLayout& layout, const std::vector<const float*>& shards,
                 const std::vector<float*>& whole) override;
  void reduceScatter(const ShardLayout& layout, const std::vector<const float*>& whole,
                     const std::vector<float*>& shards, ReduceOp op) override;
  void allReduceSum(std::vector<double>& values) override;

 private:
  void synchronizeAll();
  struct Impl;
  std::vector<int> devices_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trainer
