#include "fsdp/cpu_rank.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "fsdp/cpu_collective.h"
#include "fsdp/fsdp_factory.h"
#include "optim/grad_clip.h"
#include "util/host_memory.h"

namespace trainer {

CpuRank::CpuRank(const ModelConfig& config, int index, int ranks, size_t shardSize)
    : model_(config), index_(index), ranks_(ranks), values_(shardSize, 0.0f), grads_(shardSize, 0.0f), m_(shardSize, 0.0f),
      v_(shardSize, 0.0f) {}

uint64_t CpuRank::freeBytes() const {
  // Simulated ranks share the host: an equal part of MemAvailable each.
  return availableHostBytes() / static_cast<uint64_t>(ranks_);
}

void CpuRank::zeroGrads() {
  model_.params().zeroGrads();
  std::fill(grads_.begin(), grads_.end(), 0.0f);
}

double CpuRank::sumOfSquares(const float* x, size_t n) { return cpu::sumOfSquares(x, n); }

void CpuRank::scale(float* x, size_t n, float s) {
  for (size_t i = 0; i < n; ++i) x[i] *= s;
}

void CpuRank::adamw(float* param, const float* grad, float* m, float* v, size_t n, const AdamWSettings& s, float lr,
                    bool weightDecay, int64_t step) {
  cpu::adamwUpdate(param, grad, m, v, static_cast<long>(n), lr, static_cast<float>(s.beta1),
                   static_cast<float>(s.beta2), static_cast<float>(s.eps),
                   weightDecay ? static_cast<float>(s.weightDecay) : 0.0f, step);
}

void CpuRank::upload(float* dst, const float* host, size_t n) {
  if (n) std::memcpy(dst, host, n * sizeof(float));
}
void CpuRank::download(float* host, const float* src, size_t n) {
  if (n) std::memcpy(host, src, n * sizeof(float));
}
void CpuRank::zero(float* dst, size_t n) {
  if (n) std::memset(dst, 0, n * sizeof(float));
}

std::unique_ptr<FsdpModel> makeCpuFsdpModel(const LlamaModel& layout, int ranks, bool concurrentRanks) {
  const ParameterStore& ps = layout.params();
  const ShardLayout shards(ps.size(), ranks);
  std::vector<std::unique_ptr<FsdpRank>> list;
  for (int r = 0; r < ranks; ++r) list.push_back(std::make_unique<CpuRank>(layout.config(), r, ranks, shards.shardSize()));
  auto model = std::make_unique<FsdpModel>(ps.infos(), ps.size(), std::move(list),
                                           std::make_unique<CpuCollective>(ranks), "cpu", concurrentRanks);
  model->uploadParams(ps);
  return model;
}

}  // namespace trainer
