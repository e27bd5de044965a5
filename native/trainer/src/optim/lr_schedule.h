// Linear warmup then cosine decay to minLrRatio * peak, indexed by the
// global inner step (0-based, counted across windows so a resumed or late
// peer lands on the same learning rate as everyone else).
#pragma once

#include <cstdint>

namespace trainer {

struct LrSchedule {
  double peakLr = 1.17e-4;
  int64_t warmupSteps = 0;
  int64_t totalSteps = 0;  // 0: constant after warmup
  double minLrRatio = 0.1;

  double at(int64_t step) const;
};

}  // namespace trainer
