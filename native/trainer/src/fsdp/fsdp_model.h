// Fully sharded data parallelism over the G ranks of one machine, behind the
// DeviceModel interface TrainingSession already drives:
//   inner step: every rank runs forward/backward on its own micro-batches
//               with the whole (all-gathered) weights; gradients are
//               reduce-scattered (sum, rank order); the squared norm of the
//               owned gradient shards is all-reduced for clipping; AdamW
//               updates each shard (per tensor piece: decay is per tensor);
//               the updated shards are all-gathered into every rank.
//   window start/end: host ↔ shards (ranges of the flat buffer).
// Micro-batch m of M goes to rank r when r·M/G <= m < (r+1)·M/G (integer
// division), so every rank sees contiguous rows and the sum over ranks adds
// the micro-batches in order. The loss scale is the global 1/M, the
// reduction a plain sum: with G = 1 the step is bit-identical to the
// unsharded one (tests/test_fsdp.cpp).
// Weights are gathered whole before the step, not layer by layer: what is
// sharded is the fp32 master copy, reduced gradients and AdamW moments.
#pragma once

#include <memory>
#include <vector>

#include "fsdp/collective.h"
#include "fsdp/fsdp_rank.h"
#include "fsdp/shard_layout.h"
#include "model/device_model.h"

namespace trainer {

class FsdpModel final : public DeviceModel {
 public:
  // `infos`: the parameter layout; ranks.size() == collective->ranks().
  // concurrentRanks: run each rank's micro-batches on its own thread (GPUs);
  // the CPU ranks run one after another (their kernels are already threaded).
  FsdpModel(std::vector<ParameterInfo> infos, size_t total, std::vector<std::unique_ptr<FsdpRank>> ranks,
            std::unique_ptr<Collective> collective, std::string backend, bool concurrentRanks);

  std::string describe() const override;
  std::string backendName() const override { return backend_; }
  int shardCount() const override { return layout_.ranks(); }
  std::string collectiveName() const override { return collective_->name(); }
  uint64_t freeBytes() const override;

  void uploadParams(const ParameterStore& host) override;
  void downloadParams(ParameterStore& host) const override;
  void downloadGrads(ParameterStore& host) const override;
  void uploadOptimizer(const AdamW& host) override;
  void downloadOptimizer(AdamW& host) const override;

  void zeroGrads() override;
  // Single micro-batch calls run on rank 0 (evaluation, DeviceModel's default loop).
  float forward(const int32_t* tokens, const int32_t* targets, int B, int T) override;
  void backward(float lossScale) override;
  void accumulateGradients(const int32_t* tokens, const int32_t* targets, int microBatches, int microBatch, int T,
                           float lossScale, float* losses) override;
  double clipGradients(double maxNorm) override;
  void adamwStep(const AdamWSettings& settings, double lr) override;

  const ShardLayout& layout() const { return layout_; }
  FsdpRank& rank(int r) { return *ranks_[static_cast<size_t>(r)]; }
  // First micro-batch of rank r (of `microBatches`); rank r runs [first(r), first(r+1)).
  static int firstMicroBatch(int rank, int ranks, int microBatches);

 private:
  void reduceGradients() const;  // reduce-scatter when backward ran since the last one
  void gatherWeights();

  std::vector<ParameterInfo> infos_;
  ShardLayout layout_;
  std::vector<std::unique_ptr<FsdpRank>> ranks_;
  std::unique_ptr<Collective> collective_;
  std::string backend_;
  bool concurrent_;
  std::vector<std::vector<ShardPiece>> pieces_;
  int64_t adamStep_ = 0;
  mutable bool gradsPending_ = false;
};

}  // namespace trainer
