// Inner-loop behaviour: a tiny model memorises a fixed batch; resuming from
// a checkpoint continues bit-exactly; micro-batching does not change the math.
#include <cstring>
#include <map>
#include <vector>

#include "fixtures.h"
#include "model/llama_model.h"
#include "optim/adamw.h"
#include "optim/grad_clip.h"
#include "test_harness.h"
#include "tensors/safetensors.h"
#include "train/training_session.h"
#include "util/errors.h"

#ifdef _OPENMP
#include <omp.h>
#endif

using namespace trainer;

TEST(overfit_fixed_batch) {
  ModelConfig c = testing::tinyModel();
  LlamaModel model(c);
  const int B = 2, T = 16;
  const std::vector<uint16_t> text = testing::syntheticTokens(B * (T + 1), 3);
  std::vector<int32_t> tokens(B * T), targets(B * T);
  for (int b = 0; b < B; ++b) {
    for (int t = 0; t < T; ++t) {
      tokens[b * T + t] = text[b * (T + 1) + t];
      targets[b * T + t] = text[b * (T + 1) + t + 1];
    }
  }
  AdamW opt(model.params().size());
  AdamWSettings s;
  s.weightDecay = 0.0;
  float first = 0, last = 0;
  for (int step = 0; step < 150; ++step) {
    model.params().zeroGrads();
    last = model.forward(tokens.data(), targets.data(), B, T);
    if (step == 0) first = last;
    model.backward(1.0f);
    clipGradientNorm(model.params().allGrads(), 1.0);
    opt.step(model.params(), s, 1e-2);
  }
  CHECK_MSG(first > 5.0f, "initial loss " << first << " should be near ln(258) = 5.55");
  CHECK_MSG(last < 0.3f, "loss after 150 steps " << last << " (from " << first << ")");
}

namespace {
BatchSampler tinySampler(int seqLen) {
  std::vector<TokenShard> shards;
  shards.push_back(readTokenShard(testing::writeShard("resume_train_000000.bin", 4000, 11), 258));
  shards.push_back(readTokenShard(testing::writeShard("resume_train_000001.bin", 1500, 12), 258));
  return BatchSampler(std::move(shards), seqLen);
}
}  // namespace

TEST(resume_from_checkpoint_is_bit_exact) {
  const ModelConfig c = testing::tinyModel();
  const TrainSettings s = testing::tinySettings();
  const std::string payloadA = testing::scratchDir() + "/resume_a.tndc";
  const std::string payloadB = testing::scratchDir() + "/resume_b.tndc";
  const std::string ckpt = testing::scratchDir() + "/resume.safetensors";

  // Uninterrupted: windows 0, 1 (each followed by its outer step), then 2.
  TrainingSession straight(c, s);
  straight.setTrainData(tinySampler(s.seqLen));
  for (uint64_t w = 0; w < 2; ++w) {
    straight.trainWindow(w, "peer-a", 3, payloadA, "sparseloco", nullptr, nullptr);
    straight.applyOuter({payloadA}, 0.4, "sparseloco");
  }
  straight.trainWindow(2, "peer-a", 3, payloadA, "sparseloco", nullptr, nullptr);
  straight.applyOuter({payloadA}, 0.4, "sparseloco");

  // Interrupted after window 1, restarted from the checkpoint.
  {
    TrainingSession first(c, s);
    first.setTrainData(tinySampler(s.seqLen));
    for (uint64_t w = 0; w < 2; ++w) {
      first.trainWindow(w, "peer-a", 3, payloadB, "sparseloco", nullptr, nullptr);
      first.applyOuter({payloadB}, 0.4, "sparseloco");
    }
    first.saveCheckpoint(ckpt);
  }
  auto resumed = TrainingSession::fromCheckpoint(ckpt, nullptr);
  resumed->setTrainData(tinySampler(s.seqLen));
  resumed->setMicroBatch(s.microBatch);
  CHECK(resumed->innerStepCount() == 6);
  CHECK(resumed->windowsTrained() == 2);
  resumed->trainWindow(2, "peer-a", 3, payloadB, "sparseloco", nullptr, nullptr);
  resumed->applyOuter({payloadB}, 0.4, "sparseloco");

  const std::vector<float>& a = straight.model().params().allValues();
  const std::vector<float>& b = resumed->model().params().allValues();
  CHECK(a.size() == b.size());
  CHECK_MSG(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0, "weights differ after resume");
  CHECK(straight.outerState().errorFeedback == resumed->outerState().errorFeedback);
}

TEST(resume_mid_window_keeps_pending_outer_step) {
  // A checkpoint taken between train_window and apply_outer restores θ_start,
  // so the outer step after a restart equals the one without a restart.
  const ModelConfig c = testing::tinyModel();
  const TrainSettings s = testing::tinySettings();
  const std::string payload = testing::scratchDir() + "/pending.tndc";
  const std::string ckpt = testing::scratchDir() + "/pending.safetensors";
  TrainingSession a(c, s);
  a.setTrainData(tinySampler(s.seqLen));
  a.trainWindow(5, "peer-b", 2, payload, "sparseloco", nullptr, nullptr);
  a.saveCheckpoint(ckpt);
  a.applyOuter({payload}, 0.4, "sparseloco");
  auto b = TrainingSession::fromCheckpoint(ckpt, nullptr);
  CHECK(b->outerState().windowPending);
  b->applyOuter({payload}, 0.4, "sparseloco");
  CHECK(a.model().params().allValues() == b->model().params().allValues());
}

TEST(micro_batching_matches_full_batch) {
  const ModelConfig c = testing::tinyModel();
  TrainSettings s = testing::tinySettings();
  TrainingSession whole(c, s), split(c, s);
  whole.setTrainData(tinySampler(s.seqLen));
  split.setTrainData(tinySampler(s.seqLen));
  whole.setMicroBatch(4);
  split.setMicroBatch(1);
  const StepReport r1 = whole.innerStep("p", 0, 0);
  const StepReport r2 = split.innerStep("p", 0, 0);
  CHECK_NEAR(r1.loss, r2.loss, 1e-5);
  CHECK_NEAR(r1.gradNorm, r2.gradNorm, 1e-4 * r1.gradNorm);
  double maxDiff = 0;
  const auto& a = whole.model().params().allValues();
  const auto& b = split.model().params().allValues();
  for (size_t i = 0; i < a.size(); ++i) maxDiff = std::max(maxDiff, std::fabs(double(a[i]) - b[i]));
  CHECK_MSG(maxDiff < 1e-5, "max weight diff " << maxDiff);
}

TEST(training_window_reduces_loss) {
  const ModelConfig c = testing::tinyModel();
  TrainSettings s = testing::tinySettings();
  TrainingSession session(c, s);
  session.setTrainData(tinySampler(s.seqLen));
  const double before = session.evaluateLoss("train", "held-out", 99, 2, 4);
  for (uint64_t w = 0; w < 4; ++w) {
    const std::string payload = testing::scratchDir() + "/reduce.tndc";
    session.trainWindow(w, "peer", 10, payload, "sparseloco", nullptr, nullptr);
    session.applyOuter({payload}, 1.0, "sparseloco");
  }
  const double after = session.evaluateLoss("train", "held-out", 99, 2, 4);
  CHECK_MSG(after < before - 0.5, "loss " << before << " -> " << after);
}

#ifdef _OPENMP
TEST(results_do_not_depend_on_thread_count) {
  // The determinism claim behind bit-exact resume and validator
  // recomputation: one thread and several threads give identical bits.
  const ModelConfig c = testing::tinyModel();
  const TrainSettings s = testing::tinySettings();
  std::vector<std::vector<float>> results;
  const int saved = omp_get_max_threads();
  for (int threads : {1, 3}) {
    omp_set_num_threads(threads);
    TrainingSession session(c, s);
    session.setTrainData(tinySampler(s.seqLen));
    for (int step = 0; step < 2; ++step) session.innerStep("p", 0, step);
    results.push_back(session.model().params().allValues());
  }
  omp_set_num_threads(saved);
  CHECK(results[0] == results[1]);
}
#endif

TEST(corrupt_checkpoint_metadata_is_a_checkpoint_error) {
  const std::string path = testing::scratchDir() + "/meta.safetensors";
  TrainingSession session(testing::tinyModel(), testing::tinySettings());
  session.saveCheckpoint(path);
  SafetensorsFile file = readSafetensors(path);
  auto rewrite = [&](const std::string& key, const std::string& value) {
    std::map<std::string, std::string> meta = file.metadata;
    meta[key] = value;
    std::vector<SafetensorsEntry> entries;
    for (const auto& kv : file.tensors) entries.push_back({kv.first, kv.second.shape, kv.second.values.data()});
    writeSafetensors(path, entries, meta);
  };
  auto code = [&]() -> std::string {
    try {
      TrainingSession::fromCheckpoint(path, nullptr);
    } catch (const TrainerError& e) {
      return e.code();
    }
    return "none";
  };
  CHECK(code() == "none");
  rewrite("inner_step", "12abc");
  CHECK(code() == "checkpoint_error");
  rewrite("inner_step", "3");
  rewrite("format", "something-else");
  CHECK(code() == "checkpoint_error");
  // A missing tensor is named in the error.
  rewrite("format", "tandem-trainer-checkpoint");
  file.tensors.erase("model.norm.weight");
  rewrite("inner_step", "3");
  CHECK(code() == "checkpoint_error");
}
