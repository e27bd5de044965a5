#include <cmath>
#include <vector>

#include "model/model_config.h"
#include "optim/adamw.h"
#include "optim/grad_clip.h"
#include "optim/lr_schedule.h"
#include "test_harness.h"
#include "train/micro_batch.h"

using namespace trainer;

TEST(adamw_matches_reference_formula) {
  // Two steps on one scalar, computed independently in double.
  float p = 0.5f, m = 0, v = 0;
  const float g1 = 0.2f, g2 = -0.1f;
  const double lr = 1e-2, b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.1;
  double P = 0.5, M = 0, V = 0;
  const float grads[2] = {g1, g2};
  for (int t = 1; t <= 2; ++t) {
    cpu::adamwUpdate(&p, &grads[t - 1], &m, &v, 1, float(lr), float(b1), float(b2), float(eps), float(wd), t);
    M = b1 * M + (1 - b1) * grads[t - 1];
    V = b2 * V + (1 - b2) * double(grads[t - 1]) * grads[t - 1];
    const double mh = M / (1 - std::pow(b1, t)), vh = V / (1 - std::pow(b2, t));
    P -= lr * (mh / (std::sqrt(vh) + eps) + wd * P);
  }
  CHECK_NEAR(p, P, 1e-6);
  // First step of Adam moves by ~lr regardless of the gradient's scale.
  float q = 0, mq = 0, vq = 0, tiny = 1e-3f;
  cpu::adamwUpdate(&q, &tiny, &mq, &vq, 1, 0.01f, 0.9f, 0.95f, 1e-8f, 0.0f, 1);
  CHECK_NEAR(q, -0.01, 1e-6);
}

TEST(adamw_skips_decay_on_norm_gains) {
  ParameterStore ps;
  ps.add("w", {2, 2}, true);
  ps.add("norm", {2}, false);
  ps.finalize();
  for (float& x : ps.allValues()) x = 1.0f;
  ps.zeroGrads();
  AdamW opt(ps.size());
  AdamWSettings s;
  s.weightDecay = 0.5;
  opt.step(ps, s, 0.1);
  CHECK_NEAR(ps.values(0)[0], 1.0 - 0.1 * 0.5, 1e-6);  // zero grad: decay only
  CHECK_NEAR(ps.values(1)[0], 1.0, 0.0);
  CHECK(opt.stepCount() == 1);
}

TEST(lr_schedule_warmup_then_cosine) {
  LrSchedule s{1.0, 10, 110, 0.1};
  CHECK_NEAR(s.at(0), 0.1, 1e-12);
  CHECK_NEAR(s.at(9), 1.0, 1e-12);
  CHECK_NEAR(s.at(10), 1.0, 1e-12);
  CHECK_NEAR(s.at(60), 0.55, 1e-12);  // halfway: mean of peak and floor
  CHECK_NEAR(s.at(110), 0.1, 1e-12);
  CHECK_NEAR(s.at(1000), 0.1, 1e-12);
  for (int64_t t = 10; t < 110; ++t) CHECK(s.at(t + 1) <= s.at(t));
  LrSchedule constant{0.5, 0, 0, 0.1};
  CHECK_NEAR(constant.at(12345), 0.5, 0.0);
}

TEST(grad_clip_global_norm) {
  std::vector<float> g = {3, 4};
  CHECK_NEAR(clipGradientNorm(g, 1.0), 5.0, 1e-12);
  CHECK_NEAR(std::hypot(g[0], g[1]), 1.0, 1e-5);
  std::vector<float> small = {0.3f, 0.4f};
  clipGradientNorm(small, 1.0);
  CHECK(small[0] == 0.3f && small[1] == 0.4f);
  std::vector<float> bad = {NAN, 1};
  CHECK(!std::isfinite(clipGradientNorm(bad, 1.0)));
  CHECK(bad[1] == 1.0f);
}

TEST(micro_batch_from_free_memory) {
  CHECK(chooseMicroBatch(8, 100, 10000, 0) == 8);
  CHECK(chooseMicroBatch(8, 100, 500, 0) == 4);   // 450 usable: 4 fits, 8 does not
  CHECK(chooseMicroBatch(12, 100, 700, 0) == 6);  // divisors only
  CHECK(chooseMicroBatch(8, 100, 50, 0) == 1);    // never below 1
  CHECK(chooseMicroBatch(8, 100, 1000, 900) == 1);
  ModelConfig c;
  CHECK(activationBytesPerSequence(c, 64) > activationBytesPerSequence(c, 32));
  // Stored probabilities grow with T²; the CUDA path's row statistics with T.
  const auto rows = AttentionMemory::kRowStatistics;
  const double probsGrowth = double(activationBytesPerSequence(c, 4096)) / activationBytesPerSequence(c, 1024);
  const double rowsGrowth = double(activationBytesPerSequence(c, 4096, rows)) / activationBytesPerSequence(c, 1024, rows);
  CHECK_MSG(rowsGrowth < 4.01 && probsGrowth > rowsGrowth, "growth " << rowsGrowth << " vs " << probsGrowth);
  CHECK(activationBytesPerSequence(c, 2048, rows) < activationBytesPerSequence(c, 2048));
}
