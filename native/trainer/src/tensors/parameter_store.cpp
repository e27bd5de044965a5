#include "tensors/parameter_store.h"

#include <algorithm>
#include <stdexcept>

namespace trainer {

size_t ParameterStore::add(const std::string& name, std::vector<uint64_t> shape, bool weightDecay) {
  if (finalized_) throw std::logic_error("ParameterStore::add after finalize");
  ParameterInfo p;
  p.name = name;
  p.numel = 1;
  for (uint64_t d : shape) p.numel *= d;
  p.shape = std::move(shape);
  p.offset = total_;
  p.weightDecay = weightDecay;
  total_ += p.numel;
  infos_.push_back(std::move(p));
  return infos_.size() - 1;
}

void ParameterStore::finalize() {
  values_.assign(total_, 0.0f);
  grads_.assign(total_, 0.0f);
  finalized_ = true;
}

long ParameterStore::find(const std::string& name) const {
  for (size_t i = 0; i < infos_.size(); ++i) {
    if (infos_[i].name == name) return static_cast<long>(i);
  }
  return -1;
}

void ParameterStore::zeroGrads() { std::fill(grads_.begin(), grads_.end(), 0.0f); }

}  // namespace trainer
