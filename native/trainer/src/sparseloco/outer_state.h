// State SparseLoCo/DiLoCo keep across inner steps and windows, beside the
// model and the inner optimizer. All buffers are flat, parallel to the
// ParameterStore (same offsets).
#pragma once

#include <cstdint>
#include <vector>

namespace trainer {

struct OuterState {
  // θ at the start of the window being trained; the outer step is applied
  // to it (every peer starts the next window from the same global θ).
  std::vector<float> windowStart;
  bool windowPending = false;
  uint64_t pendingWindow = 0;
  // Window of the last aggregate applied (the global model these weights are),
  // -1 before any: saved with the weights, so a restarted peer knows which
  // windows it must replay to rejoin the others, with no second file to keep in step.
  int64_t appliedWindow = -1;
  std::vector<float> errorFeedback;  // SparseLoCo: e (beta-decayed residual)
  std::vector<float> momentum;       // DiLoCo: Nesterov outer momentum
};

}  // namespace trainer
