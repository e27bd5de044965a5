#include "sparseloco/outer_step.h"

#include <cmath>
#include <map>

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

// θ = base − lr · aggregate; the aggregate must hold every parameter.
double applyAggregate(const tandem::AggregateResult& agg, const std::vector<float>& base, ParameterStore& params,
                      double outerLr) {
  std::map<std::string, const std::vector<float>*> byName;
  std::map<std::string, std::vector<uint64_t>> shapes;
  for (const auto& t : agg.tensors) {
    byName[t.name] = &t.values;
    shapes[t.name] = t.shape;
  }
  const std::vector<float> update = flatten(byName, shapes, params, "aggregate");
  return applyUpdate(base, update, outerLr, params);
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

OuterStepResult applySparseOuterStep(const std::vector<std::string>& payloadPaths, const std::vector<float>& base,
                                     ParameterStore& params, double outerLr) {
  OuterStepResult result;
  std::vector<std::vector<uint8_t>> files;
  std::vector<size_t> fileToPeer;
  for (size_t i = 0; i < payloadPaths.size(); ++i) {
    try {
      files.push_back(readWholeFile(payloadPaths[i]));
      fileToPeer.push_back(i);
    } catch (const TrainerError& e) {
      result.droppedPeers.emplace_back(i, e.what());
    }
  }
  std::vector<tandem::PayloadView> views;
  for (const auto& f : files) views.push_back({f.data(), f.size()});
  tandem::AggregateResult agg;
  const tandem::Status status = tandem::aggregatePayloads(views, tandem::DecodeOptions{}, agg);
  for (const auto& d : agg.droppedPeers) result.droppedPeers.emplace_back(fileToPeer[d.peer], d.reason.message);
  if (!status.ok()) throw TrainerError(error_code::kCodec, "aggregate failed: " + status.message);
  for (size_t u : agg.usedPeers) result.usedPeers.push_back(fileToPeer[u]);
  result.updateNorm = applyAggregate(agg, base, params, outerLr);
  return result;
}

OuterStepResult applyStagedSparseOuterStep(const std::vector<const tandem::DecodedPayload*>& staged,
                                           const std::vector<float>& base, ParameterStore& params, double outerLr) {
  OuterStepResult result;
  tandem::AggregateResult agg;
  const tandem::Status status = tandem::aggregateDecoded(staged, agg);
  for (const auto& d : agg.droppedPeers) result.droppedPeers.emplace_back(d.peer, d.reason.message);
  if (!status.ok()) throw TrainerError(error_code::kCodec, "aggregate failed: " + status.message);
  result.usedPeers = agg.usedPeers;
  result.updateNorm = applyAggregate(agg, base, params, outerLr);
  return result;
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
