#include "fsdp/fsdp_model.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <thread>

namespace trainer {

FsdpModel::FsdpModel(std::vector<ParameterInfo> infos, size_t total, std::vector<std::unique_ptr<FsdpRank>> ranks,
                     std::unique_ptr<Collective> collective, std::string backend, bool concurrentRanks)
    : infos_(std::move(infos)),
      layout_(total, static_cast<int>(ranks.size())),
      ranks_(std::move(ranks)),
      collective_(std::move(collective)),
      backend_(std::move(backend)),
      concurrent_(concurrentRanks) {
  if (ranks_.empty() || !collective_ || collective_->ranks() != layout_.ranks()) {
    throw std::invalid_argument("FsdpModel: needs one rank per collective rank");
  }
  for (int r = 0; r < layout_.ranks(); ++r) {
    if (rank(r).shardCapacity() != layout_.shardSize()) throw std::invalid_argument("FsdpModel: shard capacity mismatch");
    pieces_.push_back(layout_.pieces(infos_, r));
  }
}

std::string FsdpModel::describe() const {
  std::string s = "fsdp " + std::to_string(layout_.ranks()) + "x [";
  for (size_t r = 0; r < ranks_.size(); ++r) s += (r ? ", " : "") + ranks_[r]->describe();
  return s + "] via " + collective_->name();
}

uint64_t FsdpModel::freeBytes() const {
  uint64_t least = UINT64_MAX;
  for (const auto& r : ranks_) least = std::min(least, r->freeBytes());
  return least;
}

int FsdpModel::firstMicroBatch(int rank, int ranks, int microBatches) {
  return static_cast<int>(static_cast<int64_t>(rank) * microBatches / ranks);
}

void FsdpModel::gatherWeights() {
  std::vector<const float*> shards;
  std::vector<float*> whole;
  for (auto& r : ranks_) {
    shards.push_back(r->shardValues());
    whole.push_back(r->wholeValues());
  }
  collective_->allGather(layout_, shards, whole);
  for (auto& r : ranks_) {
    r->activate();
    r->wholeValuesChanged();
  }
}

void FsdpModel::reduceGradients() const {
  if (!gradsPending_) return;
  std::vector<const float*> whole;
  std::vector<float*> shards;
  for (const auto& r : ranks_) {
    whole.push_back(r->wholeGrads());
    shards.push_back(r->shardGrads());
  }
  collective_->reduceScatter(layout_, whole, shards, ReduceOp::kSum);
  gradsPending_ = false;
}

void FsdpModel::uploadParams(const ParameterStore& host) {
  if (host.size() != layout_.total()) throw std::invalid_argument("FsdpModel: parameter count mismatch");
  for (int r = 0; r < layout_.ranks(); ++r) {
    rank(r).activate();
    rank(r).upload(rank(r).shardValues(), host.allValues().data() + layout_.begin(r), layout_.count(r));
  }
  gatherWeights();
}

void FsdpModel::downloadParams(ParameterStore& host) const {
  for (int r = 0; r < layout_.ranks(); ++r) {
    FsdpRank& k = *ranks_[static_cast<size_t>(r)];
    k.activate();
    k.download(host.allValues().data() + layout_.begin(r), k.shardValues(), layout_.count(r));
  }
}

void FsdpModel::downloadGrads(ParameterStore& host) const {
  reduceGradients();
  for (int r = 0; r < layout_.ranks(); ++r) {
    FsdpRank& k = *ranks_[static_cast<size_t>(r)];
    k.activate();
    k.download(host.allGrads().data() + layout_.begin(r), k.shardGrads(), layout_.count(r));
  }
}

void FsdpModel::uploadOptimizer(const AdamW& host) {
  const bool have = host.firstMoment().size() == layout_.total();
  for (int r = 0; r < layout_.ranks(); ++r) {
    FsdpRank& k = rank(r);
    k.activate();
    if (have) {
      k.upload(k.shardFirstMoment(), host.firstMoment().data() + layout_.begin(r), layout_.count(r));
      k.upload(k.shardSecondMoment(), host.secondMoment().data() + layout_.begin(r), layout_.count(r));
    } else {
      k.zero(k.shardFirstMoment(), layout_.shardSize());
      k.zero(k.shardSecondMoment(), layout_.shardSize());
    }
  }
  adamStep_ = host.stepCount();
}

void FsdpModel::downloadOptimizer(AdamW& host) const {
  host.firstMoment().resize(layout_.total());
  host.secondMoment().resize(layout_.total());
  for (int r = 0; r < layout_.ranks(); ++r) {
    FsdpRank& k = *ranks_[static_cast<size_t>(r)];
    k.activate();
    k.download(host.firstMoment().data() + layout_.begin(r), k.shardFirstMoment(), layout_.count(r));
    k.download(host.secondMoment().data() + layout_.begin(r), k.shardSecondMoment(), layout_.count(r));
  }
  host.setStepCount(adamStep_);
}

void FsdpModel::zeroGrads() {
  for (auto& r : ranks_) {
    r->activate();
    r->zeroGrads();
  }
  gradsPending_ = false;
}

float FsdpModel::forward(const int32_t* tokens, const int32_t* targets, int B, int T) {
  rank(0).activate();
  return rank(0).forward(tokens, targets, B, T);
}

void FsdpModel::backward(float lossScale) {
  rank(0).activate();
  rank(0).backward(lossScale);
  gradsPending_ = true;
}

void FsdpModel::accumulateGradients(const int32_t* tokens, const int32_t* targets, int microBatches, int microBatch,
                                    int T, float lossScale, float* losses) {
  const int G = layout_.ranks();
  const size_t rowTokens = static_cast<size_t>(microBatch) * static_cast<size_t>(T);
  auto work = [&](int r) {
    FsdpRank& k = rank(r);
    k.activate();
    for (int m = firstMicroBatch(r, G, microBatches); m < firstMicroBatch(r + 1, G, microBatches); ++m) {
      losses[m] = k.forward(tokens + m * rowTokens, targets + m * rowTokens, microBatch, T);
      k.backward(lossScale);
    }
    k.synchronize();
  };
  gradsPending_ = true;
  if (!concurrent_ || G == 1) {
    for (int r = 0; r < G; ++r) work(r);
    return;
  }
  std::vector<std::exception_ptr> errors(static_cast<size_t>(G));
  std::vector<std::thread> threads;
  for (int r = 0; r < G; ++r) {
    threads.emplace_back([&, r] {
      try {
        work(r);
      } catch (...) {
        errors[static_cast<size_t>(r)] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

double FsdpModel::clipGradients(double maxNorm) {
  reduceGradients();
  std::vector<double> squares;
  for (int r = 0; r < layout_.ranks(); ++r) {
    rank(r).activate();
    squares.push_back(rank(r).sumOfSquares(rank(r).shardGrads(), layout_.count(r)));
  }
  collective_->allReduceSum(squares);
  // Same rule as clipGradientNorm (optim/grad_clip.h), on the global norm.
  const double norm = std::sqrt(squares[0]);
  if (std::isfinite(norm) && maxNorm > 0 && norm > maxNorm) {
    const float s = static_cast<float>(maxNorm / (norm + 1e-6));
    for (int r = 0; r < layout_.ranks(); ++r) {
      rank(r).activate();
      rank(r).scale(rank(r).shardGrads(), layout_.count(r), s);
    }
  }
  return norm;
}

void FsdpModel::adamwStep(const AdamWSettings& settings, double lr) {
  reduceGradients();
  ++adamStep_;
  for (int r = 0; r < layout_.ranks(); ++r) {
    FsdpRank& k = rank(r);
    k.activate();
    const size_t base = layout_.begin(r);
    for (const ShardPiece& p : pieces_[static_cast<size_t>(r)]) {
      const size_t at = p.offset - base;
      k.adamw(k.shardValues() + at, k.shardGrads() + at, k.shardFirstMoment() + at, k.shardSecondMoment() + at,
              p.count, settings, static_cast<float>(lr), p.weightDecay, adamStep_);
    }
  }
  gatherWeights();
}

}  // namespace trainer
