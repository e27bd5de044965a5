#include "optim/lr_schedule.h"

#include <cmath>

namespace trainer {

double LrSchedule::at(int64_t step) const {
  if (step < warmupSteps) return peakLr * static_cast<double>(step + 1) / static_cast<double>(warmupSteps);
  if (totalSteps <= warmupSteps) return peakLr;
  const double minLr = peakLr * minLrRatio;
  if (step >= totalSteps) return minLr;
  const double progress = static_cast<double>(step - warmupSteps) / static_cast<double>(totalSteps - warmupSteps);
  return minLr + 0.5 * (peakLr - minLr) * (1.0 + std::cos(3.14159265358979323846 * progress));
}

}  // namespace trainer
