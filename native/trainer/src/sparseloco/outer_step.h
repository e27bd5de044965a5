// The outer step of a window, from the payload files of the selected peers:
//   sparse (SparseLoCo): codec aggregate (drop invalid, clip each peer to the
//                        median norm, average each coordinate over the peers
//                        that sent it), then plain SGD
//                        θ = θ_start − lr · aggregate
//   dense (DiLoCo):      mean Δ, Nesterov momentum
//                        m = μ·m + Δ̄;  θ = θ_start − lr · (Δ̄ + μ·m)
// Unreadable or invalid payloads are dropped and reported, never fatal,
// unless none is left.
#pragma once

#include <string>
#include <vector>

#include "tandem_codec/aggregate.h"
#include "tensors/parameter_store.h"
#include "util/json.h"

namespace trainer {

struct OuterStepResult {
  std::vector<size_t> usedPeers;
  std::vector<std::pair<size_t, std::string>> droppedPeers;  // index, reason
  double updateNorm = 0;  // ||lr · update||
  Json toJson() const;
};

// `base` = θ_start; `params.allValues()` is overwritten with the result.
OuterStepResult applySparseOuterStep(const std::vector<std::string>& payloadPaths, const std::vector<float>& base,
                                     ParameterStore& params, double outerLr);

// The sparse outer step from payloads decoded before (stage_payload), in the
// order given: the same aggregate, bit for bit, as applySparseOuterStep on
// their files in that order. Indices in the result are positions in `staged`.
OuterStepResult applyStagedSparseOuterStep(const std::vector<const tandem::DecodedPayload*>& staged,
                                           const std::vector<float>& base, ParameterStore& params, double outerLr);

OuterStepResult applyDenseOuterStep(const std::vector<std::string>& payloadPaths, const std::vector<float>& base,
                                    ParameterStore& params, double outerLr, double momentumCoef,
                                    std::vector<float>& momentum);

// θ − lr · decode(payload) for ONE payload, no clipping (the validator's
// "loss after applying this peer's update"). Sparse or dense by content.
void applySinglePayload(const std::string& payloadPath, ParameterStore& params, double lr);

}  // namespace trainer
