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

#include <atomic>
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

// The sparse outer step θ = θ_start − lr · aggregate, in place. θ_start is
// `*windowStart` when the weights hold a trained window (it is swapped into
// the weights, and holds the trained weights after the call), or the
// weights themselves when `windowStart` is null (a validator, a peer
// catching up). Only the coordinates some peer sent are visited, so the cost
// grows with the kept values, not with the model. A step that is refused
// (no valid payload, a payload for another model) throws before any weight
// changes.
OuterStepResult applySparseOuterStep(const std::vector<std::string>& payloadPaths, std::vector<float>* windowStart,
                                     ParameterStore& params, double outerLr);

// The same from payloads decoded before (stage_payload), in the order given:
// the same weights, bit for bit, as applySparseOuterStep on their files in
// that order. Indices in the result are positions in `staged`.
OuterStepResult applyStagedSparseOuterStep(const std::vector<const tandem::DecodedPayload*>& staged,
                                           std::vector<float>* windowStart, ParameterStore& params, double outerLr);

// The sparse outer step's plan, checked against the model: which payloads
// count, each tensor's place in the model; throws (a TrainerError) on a step
// that must be refused (no valid payload, a payload for another model).
struct SparseOuterPlan {
  tandem::AggregatePlan plan;
  std::vector<size_t> targets;  // per tensor of the plan's layout: its index in the ParameterStore
  OuterStepResult result;       // used and dropped peers; updateNorm once descended
};
SparseOuterPlan planSparseOuterStep(const std::vector<const tandem::DecodedPayload*>& staged, const ParameterStore& params);

// weights −= lr · aggregate in place on a flat buffer laid out like `layout`
// (the weights, or a copy of the window's start); sets the result's norm.
// Stops between tensors when `cancel` is set, and then returns false (the
// buffer is half stepped: the caller throws it away).
bool descendPlanned(SparseOuterPlan& planned, std::vector<float>& weights, const ParameterStore& layout, double outerLr,
                    const std::atomic<bool>* cancel);

OuterStepResult applyDenseOuterStep(const std::vector<std::string>& payloadPaths, const std::vector<float>& base,
                                    ParameterStore& params, double outerLr, double momentumCoef,
                                    std::vector<float>& momentum);

// θ − lr · decode(payload) for ONE payload, no clipping (the validator's
// "loss after applying this peer's update"). Sparse or dense by content.
void applySinglePayload(const std::string& payloadPath, ParameterStore& params, double lr);

}  // namespace trainer
