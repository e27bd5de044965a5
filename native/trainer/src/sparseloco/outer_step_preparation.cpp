#include "sparseloco/outer_step_preparation.h"

#include <exception>

#include "tandem_codec/weights_digest.h"
#include "util/errors.h"

namespace trainer {

void OuterStepPreparation::start(OuterStepRequest request, const std::vector<float>& base, const ParameterStore& layout) {
  cancel();
  request_ = std::move(request);
  cancel_ = false;
  ok_ = false;
  prepared_ = Prepared{};
  worker_ = std::thread([this, &base, &layout] {
    try {
      std::vector<const tandem::DecodedPayload*> staged;
      for (const auto& p : request_->staged) staged.push_back(p.get());
      SparseOuterPlan planned = planSparseOuterStep(staged, layout);
      if (base.size() != layout.size()) throw TrainerError(error_code::kInternal, "the window's start does not match the model");
      std::vector<float> weights = base;
      if (!descendPlanned(planned, weights, layout, request_->lr, &cancel_)) return;
      prepared_.digest = tandem::weightsDigest(weights.data(), weights.size());
      prepared_.result = std::move(planned.result);
      prepared_.weights = std::move(weights);
      ok_ = true;
    } catch (const std::exception&) {
      // Refused or out of memory: apply_outer makes the step itself, and says why if it must refuse it.
    }
  });
}

void OuterStepPreparation::join() {
  if (worker_.joinable()) worker_.join();
}

std::optional<OuterStepPreparation::Prepared> OuterStepPreparation::take(int64_t window, uint64_t baseWindow,
                                                                         const std::vector<std::string>& keys, double lr) {
  const bool same = request_ && request_->window == window && request_->baseWindow == baseWindow && request_->keys == keys &&
                    request_->lr == lr;
  if (!same) {
    cancel();
    return std::nullopt;
  }
  join();
  std::optional<Prepared> out;
  if (ok_) out = std::move(prepared_);
  request_.reset();
  prepared_ = Prepared{};
  ok_ = false;
  return out;
}

void OuterStepPreparation::cancel() {
  cancel_ = true;
  join();
  request_.reset();
  prepared_ = Prepared{};
  ok_ = false;
}

}  // namespace trainer
