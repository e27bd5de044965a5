// All trainable tensors live in ONE flat fp32 buffer (and a twin gradient
// buffer). Flat storage keeps the optimizer, gradient clipping, snapshots,
// checkpoints and pseudo-gradients simple loops over a range, and is what
// FSDP will cut into per-device shards later (a shard = a contiguous range).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trainer {

struct ParameterInfo {
  std::string name;             // Hugging Face LLaMA naming
  std::vector<uint64_t> shape;  // row-major; weights are [out, in]
  size_t offset = 0;            // into the flat buffer
  size_t numel = 0;
  bool weightDecay = true;      // false for norm gains (1-D)
};

class ParameterStore {
 public:
  // Registers a tensor; returns its index. Only before finalize().
  size_t add(const std::string& name, std::vector<uint64_t> shape, bool weightDecay);
  void finalize();  // allocates values and gradients (zeroed)

  size_t size() const { return values_.size(); }
  const std::vector<ParameterInfo>& infos() const { return infos_; }
  const ParameterInfo& info(size_t i) const { return infos_[i]; }
  // Index of a named tensor, or -1.
  long find(const std::string& name) const;

  float* values(size_t i) { return values_.data() + infos_[i].offset; }
  const float* values(size_t i) const { return values_.data() + infos_[i].offset; }
  float* grads(size_t i) { return grads_.data() + infos_[i].offset; }
  const float* grads(size_t i) const { return grads_.data() + infos_[i].offset; }

  std::vector<float>& allValues() { return values_; }
  const std::vector<float>& allValues() const { return values_; }
  std::vector<float>& allGrads() { return grads_; }
  const std::vector<float>& allGrads() const { return grads_; }
  void zeroGrads();

 private:
  std::vector<ParameterInfo> infos_;
  std::vector<float> values_;
  std::vector<float> grads_;
  size_t total_ = 0;
  bool finalized_ = false;
};

}  // namespace trainer
