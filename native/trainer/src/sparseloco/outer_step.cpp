#include "sparseloco/outer_step.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <unordered_map>

#include "tensors/safetensors.h"
#include "tandem_codec/aggregate.h"
#include "tandem_codec/decoder.h"
#include "util/atomic_file.h"
#include "util/errors.h"

namespace trainer {

namespace {

// Maps decoded tensors onto the flat layout; every parameter must be present
// with its exact shape (a payload for another model is a layout mismatch).
std::vector<float> flatten(const std::map<std::string, const std::vector<float>*>& byName,
                           const std::map<std::string, std::vector<uint64_t>>& shapes, const ParameterStore& params,
                           const std::string& context) {
  std::vector<float> flat(params.size(), 0.0f);
  for (const ParameterInfo& p : params.infos()) {
    const auto it = byName.find(p.name);
    if (it == byName.end()) throw TrainerError(error_code::kCodec, context + ": tensor '" + p.name + "' missing");
    if (shapes.at(p.name) != p.shape || it->second->size() != p.numel) {
      throw TrainerError(error_code::kCodec, context + ": tensor '" + p.name + "' has the wrong shape");
    }
    std::copy(it->second->begin(), it->second->end(), flat.begin() + static_cast<long>(p.offset));
  }
  if (byName.size() != params.infos().size()) {
    throw TrainerError(error_code::kCodec, context + ": payload holds tensors the model does not have");
  }
  return flat;
}

bool isSafetensors(const std::vector<uint8_t>& bytes) {
  return bytes.size() >= 4 && !(bytes[0] == 'T' && bytes[1] == 'N' && bytes[2] == 'D' && bytes[3] == 'C');
}

std::vector<float> decodeDenseFile(const std::vector<uint8_t>& bytes, const ParameterStore& params,
                                   const std::string& context) {
  const SafetensorsFile file = decodeSafetensors(bytes, context);
  std::map<std::string, const std::vector<float>*> byName;
  std::map<std::string, std::vector<uint64_t>> shapes;
  for (const auto& kv : file.tensors) {
    byName[kv.first] = &kv.second.values;
    shapes[kv.first] = kv.second.shape;
  }
  return flatten(byName, shapes, params, context);
}

std::vector<float> decodeSparseFile(const std::vector<uint8_t>& bytes, const ParameterStore& params,
                                    const std::string& context) {
  std::vector<tandem::DenseTensor> tensors;
  const tandem::Status status = tandem::decodePayloadDense(bytes.data(), bytes.size(), tandem::DecodeOptions{}, tensors);
  if (!status.ok()) throw TrainerError(error_code::kCodec, context + ": " + status.message);
  std::map<std::string, const std::vector<float>*> byName;
  std::map<std::string, std::vector<uint64_t>> shapes;
  for (const auto& t : tensors) {
    byName[t.name] = &t.values;
    shapes[t.name] = t.shape;
  }
  return flatten(byName, shapes, params, context);
}

double applyUpdate(const std::vector<float>& base, const std::vector<float>& update, double lr,
                   ParameterStore& params) {
  std::vector<float>& theta = params.allValues();
  double sumSq = 0;
  const float scale = static_cast<float>(lr);
  for (size_t i = 0; i < theta.size(); ++i) {
    const float step = scale * update[i];
    theta[i] = base[i] - step;
    sumSq += static_cast<double>(step) * step;
  }
  return std::sqrt(sumSq);
}

// Where each tensor of the aggregate's layout lives in the model, checked
// before any weight is touched: every parameter present with its exact
// shape, and nothing the model does not have (a payload for another model is
// a layout mismatch).
std::vector<size_t> tensorTargets(const tandem::PayloadInfo& layout, const ParameterStore& params) {
  // By name, once: a 72B model has hundreds of tensors, and a search of the list per tensor would be quadratic.
  std::unordered_map<std::string, size_t> byName;
  byName.reserve(params.infos().size());
  for (size_t i = 0; i < params.infos().size(); ++i) byName.emplace(params.info(i).name, i);
  std::vector<size_t> targets;
  std::vector<bool> sent(params.infos().size(), false);
  for (const tandem::TensorInfo& t : layout.tensors) {
    const auto found = byName.find(t.name);
    if (found == byName.end()) throw TrainerError(error_code::kCodec, "aggregate: payload holds tensor '" + t.name + "' the model does not have");
    const ParameterInfo& p = params.info(found->second);
    if (t.shape != p.shape || t.layout.numel() != p.numel) {
      throw TrainerError(error_code::kCodec, "aggregate: tensor '" + p.name + "' has the wrong shape");
    }
    sent[found->second] = true;
    targets.push_back(found->second);
  }
  for (size_t i = 0; i < sent.size(); ++i) {
    if (!sent[i]) throw TrainerError(error_code::kCodec, "aggregate: tensor '" + params.info(i).name + "' missing");
  }
  return targets;
}

}  // namespace

Json OuterStepResult::toJson() const {
  Json j = Json::object();
  Json used = Json::array();
  for (size_t u : usedPeers) used.push(Json(static_cast<uint64_t>(u)));
  Json dropped = Json::array();
  for (const auto& d : droppedPeers) {
    Json e = Json::object();
    e["index"] = static_cast<uint64_t>(d.first);
    e["reason"] = d.second;
    dropped.push(e);
  }
  j["used"] = used;
  j["dropped"] = dropped;
  j["update_norm"] = updateNorm;
  return j;
}

OuterStepResult applySparseOuterStep(const std::vector<std::string>& payloadPaths, std::vector<float>* windowStart,
                                     ParameterStore& params, double outerLr) {
  OuterStepResult result;
  // Each file is read when its turn comes: one encoded payload in memory at a time.
  const tandem::PayloadReader fromFile = [&payloadPaths](size_t i, std::vector<uint8_t>& storage, tandem::PayloadView& view) {
    try {
      storage = readWholeFile(payloadPaths[i]);
    } catch (const TrainerError& e) {
      if (e.code() == error_code::kInternal) throw;
      return tandem::Status{tandem::ErrorCode::kInvalidArgument, "payload_paths", e.what()};
    }
    view = tandem::PayloadView{storage.data(), storage.size()};
    return tandem::Status::success();
  };
  tandem::DecodedPayloads decoded;
  const tandem::Status s = tandem::decodeEach(payloadPaths.size(), fromFile, tandem::DecodeOptions{}, decoded);
  if (s.code == tandem::ErrorCode::kOutOfMemory) throw TrainerError(error_code::kInternal, s.message);
  for (const auto& d : decoded.dropped) result.droppedPeers.emplace_back(d.peer, d.reason.message);
  if (decoded.valid.empty()) {
    throw TrainerError(error_code::kCodec, "aggregate failed: none of the " + std::to_string(payloadPaths.size()) + " payloads is valid");
  }
  const OuterStepResult staged = applyStagedSparseOuterStep(decoded.valid, windowStart, params, outerLr);
  for (size_t u : staged.usedPeers) result.usedPeers.push_back(decoded.validToPeer[u]);
  for (const auto& d : staged.droppedPeers) result.droppedPeers.emplace_back(decoded.validToPeer[d.first], d.second);
  std::sort(result.droppedPeers.begin(), result.droppedPeers.end());
  result.updateNorm = staged.updateNorm;
  return result;
}

SparseOuterPlan planSparseOuterStep(const std::vector<const tandem::DecodedPayload*>& staged, const ParameterStore& params) {
  SparseOuterPlan planned;
  const tandem::Status status = tandem::planAggregate(staged, planned.plan);
  for (const auto& d : planned.plan.droppedPeers) planned.result.droppedPeers.emplace_back(d.peer, d.reason.message);
  if (status.code == tandem::ErrorCode::kOutOfMemory) throw TrainerError(error_code::kInternal, status.message);
  if (!status.ok()) throw TrainerError(error_code::kCodec, "aggregate failed: " + status.message);
  planned.result.usedPeers = planned.plan.usedPeers;
  planned.targets = tensorTargets(planned.plan.layout(), params);
  return planned;
}

bool descendPlanned(SparseOuterPlan& planned, std::vector<float>& weights, const ParameterStore& layout, double outerLr,
                    const std::atomic<bool>* cancel) {
  double squares = 0;
  for (size_t t = 0; t < planned.targets.size(); ++t) {
    if (cancel && cancel->load()) return false;
    float* tensor = weights.data() + layout.info(planned.targets[t]).offset;
    squares += tandem::descendTensor(planned.plan, t, tensor, static_cast<float>(outerLr));
  }
  planned.result.updateNorm = std::sqrt(squares);
  return true;
}

OuterStepResult applyStagedSparseOuterStep(const std::vector<const tandem::DecodedPayload*>& staged,
                                           std::vector<float>* windowStart, ParameterStore& params, double outerLr) {
  // Everything is checked before the weights change, so a refused step
  // leaves them as they were.
  SparseOuterPlan planned = planSparseOuterStep(staged, params);
  if (windowStart && windowStart->size() != params.size()) {
    throw TrainerError(error_code::kInternal, "the window's start holds " + std::to_string(windowStart->size()) + " values, the model " + std::to_string(params.size()));
  }
  // θ = θ_start − lr · aggregate is θ_start wherever no peer sent a value, so
  // the window's start becomes the weights by a swap (no copy of the model),
  // and only the coordinates some peer sent are then stepped (the plan holds
  // its working memory: nothing below allocates or throws, so no step is
  // ever left half done).
  if (windowStart) params.allValues().swap(*windowStart);
  descendPlanned(planned, params.allValues(), params, outerLr, nullptr);
  return planned.result;
}

OuterStepResult applyDenseOuterStep(const std::vector<std::string>& payloadPaths, const std::vector<float>& base,
                                    ParameterStore& params, double outerLr, double momentumCoef,
                                    std::vector<float>& momentum) {
  OuterStepResult result;
  std::vector<double> sum(params.size(), 0.0);
  for (size_t i = 0; i < payloadPaths.size(); ++i) {
    try {
      const std::vector<float> delta = decodeDenseFile(readWholeFile(payloadPaths[i]), params, payloadPaths[i]);
      bool finite = true;
      for (float v : delta) finite = finite && std::isfinite(v);
      if (!finite) {
        result.droppedPeers.emplace_back(i, "non-finite values");
        continue;
      }
      for (size_t j = 0; j < sum.size(); ++j) sum[j] += delta[j];
      result.usedPeers.push_back(i);
    } catch (const TrainerError& e) {
      result.droppedPeers.emplace_back(i, e.what());
    }
  }
  if (result.usedPeers.empty()) throw TrainerError(error_code::kCodec, "no valid dense payloads");
  if (momentum.size() != params.size()) momentum.assign(params.size(), 0.0f);
  std::vector<float> update(params.size());
  const double inv = 1.0 / static_cast<double>(result.usedPeers.size());
  const float mu = static_cast<float>(momentumCoef);
  for (size_t j = 0; j < update.size(); ++j) {
    const float mean = static_cast<float>(sum[j] * inv);
    momentum[j] = mu * momentum[j] + mean;
    update[j] = mean + mu * momentum[j];  // Nesterov look-ahead
  }
  result.updateNorm = applyUpdate(base, update, outerLr, params);
  return result;
}

void applySinglePayload(const std::string& payloadPath, ParameterStore& params, double lr) {
  const std::vector<uint8_t> bytes = readWholeFile(payloadPath);
  const std::vector<float> update =
      isSafetensors(bytes) ? decodeDenseFile(bytes, params, payloadPath) : decodeSparseFile(bytes, params, payloadPath);
  const std::vector<float> base = params.allValues();
  applyUpdate(base, update, lr, params);
}

}  // namespace trainer
