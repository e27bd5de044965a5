// Run-level training settings (the run manifest's numbers), JSON round-trip.
// Defaults follow the deployed SparseLoCo run (see shared/reference/protocol.md).
#pragma once

#include <string>

#include "optim/adamw.h"
#include "optim/lr_schedule.h"
#include "sparseloco/pseudo_gradient.h"
#include "util/json.h"

namespace trainer {

struct TrainSettings {
  AdamWSettings adam;            // lr 1.17e-4, betas 0.9/0.95, wd 0.1
  int64_t warmupSteps = 0;
  int64_t totalSteps = 0;        // cosine horizon in inner steps; 0 = constant
  double minLrRatio = 0.1;
  double gradClip = 1.0;
  int seqLen = 64;
  int batchSize = 8;             // sequences per inner step (fixed by the run)
  int microBatch = 0;            // 0 = choose from free memory
  int innerSteps = 30;           // H
  std::string outerMode = "sparseloco";  // or "diloco"
  double outerLr = 0.4;
  double dilocoMomentum = 0.9;
  SparseEncodeSettings sparse;   // k 64, block 64, beta 0.95

  LrSchedule schedule() const { return LrSchedule{adam.lr, warmupSteps, totalSteps, minLrRatio}; }
  // Fields absent from `j` keep the values of `base`.
  static TrainSettings fromJson(const Json& j, const TrainSettings& base);
  Json toJson() const;
};

}  // namespace trainer
