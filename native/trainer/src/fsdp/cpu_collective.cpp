#include "fsdp/cpu_collective.h"

#include <cstring>
#include <stdexcept>

#include "fsdp/collective_kernels.h"

namespace trainer {

void checkCollectiveArguments(const Collective& c, const ShardLayout& layout, size_t first, size_t second) {
  const size_t g = static_cast<size_t>(c.ranks());
  if (static_cast<size_t>(layout.ranks()) != g || first != g || second != g) {
    throw std::invalid_argument("collective: layout, buffers and communicator must have the same number of ranks");
  }
}

CpuCollective::CpuCollective(int ranks) : ranks_(ranks) {
  if (ranks < 1) throw std::invalid_argument("CpuCollective: ranks must be >= 1");
}

void CpuCollective::allGather(const ShardLayout& layout, const std::vector<const float*>& shards,
                              const std::vector<float*>& whole) {
  checkCollectiveArguments(*this, layout, shards.size(), whole.size());
  for (int r = 0; r < ranks_; ++r) {
    for (int q = 0; q < ranks_; ++q) {
      const size_t n = layout.count(q);
      if (n) std::memcpy(whole[static_cast<size_t>(r)] + layout.begin(q), shards[static_cast<size_t>(q)], n * sizeof(float));
    }
  }
}

void CpuCollective::reduceScatter(const ShardLayout& layout, const std::vector<const float*>& whole,
                                  const std::vector<float*>& shards, ReduceOp op) {
  checkCollectiveArguments(*this, layout, whole.size(), shards.size());
  for (int r = 0; r < ranks_; ++r) {
    const size_t b = layout.begin(r), n = layout.count(r);
    float* out = shards[static_cast<size_t>(r)];
    if (n == 0) continue;
    std::memcpy(out, whole[0] + b, n * sizeof(float));
    for (int q = 1; q < ranks_; ++q) cpu::addInPlace(out, whole[static_cast<size_t>(q)] + b, static_cast<long>(n));
    if (op == ReduceOp::kMean && ranks_ > 1) {
      const float inv = 1.0f / static_cast<float>(ranks_);
      for (size_t i = 0; i < n; ++i) out[i] *= inv;
    }
  }
}

void CpuCollective::allReduceSum(std::vector<double>& values) {
  if (values.size() != static_cast<size_t>(ranks_)) throw std::invalid_argument("allReduceSum: one value per rank");
  double sum = 0;
  for (double v : values) sum += v;
  for (double& v : values) v = sum;
}

}  // namespace trainer
