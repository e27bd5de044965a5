// SparseLoCo / DiLoCo window mechanics through TrainingSession.
#include <cmath>
#include <vector>

#include "fixtures.h"
#include "test_harness.h"
#include "train/training_session.h"
#include "util/atomic_file.h"
#include "util/errors.h"

using namespace trainer;

namespace {
std::unique_ptr<TrainingSession> makeSession() {
  auto s = std::make_unique<TrainingSession>(testing::tinyModel(), testing::tinySettings());
  std::vector<TokenShard> shards;
  shards.push_back(readTokenShard(testing::writeShard("sl_train_000000.bin", 3000, 21), 258));
  s->setTrainData(BatchSampler(shards, testing::tinySettings().seqLen));
  s->setValData(BatchSampler(shards, testing::tinySettings().seqLen));
  return s;
}
std::string scratch(const char* name) { return testing::scratchDir() + "/" + name; }
}  // namespace

TEST(sparse_payload_is_small_and_feeds_error_feedback) {
  auto s = makeSession();
  const Json r = s->trainWindow(0, "peer", 2, scratch("w0.tndc"), "sparseloco", nullptr, nullptr);
  const uint64_t bytes = static_cast<uint64_t>(r.at("payload_bytes").asInt());
  const uint64_t dense = static_cast<uint64_t>(r.at("dense_bytes").asInt());
  CHECK(bytes == readWholeFile(scratch("w0.tndc")).size());
  // Small tensors are chunked into small blocks, so the ratio is far below
  // the 64x64 figure; still, most of Δ must be left out.
  CHECK_MSG(bytes * 3 < dense, "payload " << bytes << " vs dense " << dense);
  // Error feedback now holds what was not sent: non-zero.
  double ef = 0;
  for (float e : s->outerState().errorFeedback) ef += std::fabs(e);
  CHECK(ef > 0);
  CHECK(s->outerState().windowPending);
}

TEST(outer_step_starts_from_window_start) {
  auto s = makeSession();
  const std::vector<float> start = s->model().params().allValues();
  s->trainWindow(0, "peer", 2, scratch("os.tndc"), "sparseloco", nullptr, nullptr);
  // With lr tiny the result must be close to θ_start, not to the trained θ.
  s->applyOuter({scratch("os.tndc")}, 1e-9, "sparseloco");
  double maxDiff = 0;
  const auto& now = s->model().params().allValues();
  for (size_t i = 0; i < now.size(); ++i) maxDiff = std::max(maxDiff, std::fabs(double(now[i]) - start[i]));
  CHECK_MSG(maxDiff < 1e-6, "max diff from θ_start " << maxDiff);
  CHECK(!s->outerState().windowPending);
}

TEST(outer_step_aggregates_peers_and_drops_bad_ones) {
  auto a = makeSession();
  auto b = makeSession();
  a->trainWindow(3, "peer-a", 2, scratch("pa.tndc"), "sparseloco", nullptr, nullptr);
  b->trainWindow(3, "peer-b", 2, scratch("pb.tndc"), "sparseloco", nullptr, nullptr);
  std::vector<uint8_t> corrupt = readWholeFile(scratch("pb.tndc"));
  corrupt[corrupt.size() / 2] ^= 0x40;
  writeFileAtomically(scratch("pc.tndc"), corrupt);
  const Json r = a->applyOuter({scratch("pa.tndc"), scratch("pb.tndc"), scratch("pc.tndc"), scratch("missing.tndc")},
                               0.4, "sparseloco");
  CHECK(r.at("used").asArray().size() == 2);
  CHECK(r.at("dropped").asArray().size() == 2);
  CHECK(r.at("update_norm").asNumber() > 0);
  // Every file bad: an error, and the weights are untouched.
  auto c = makeSession();
  const std::vector<float> before = c->model().params().allValues();
  CHECK_THROWS(c->applyOuter({scratch("pc.tndc")}, 0.4, "sparseloco"));
  CHECK(c->model().params().allValues() == before);
}

TEST(dense_diloco_mode_uses_momentum) {
  auto s = makeSession();
  s->trainWindow(0, "peer", 2, scratch("d0.st"), "diloco", nullptr, nullptr);
  const std::vector<float> start = s->outerState().windowStart;
  const std::vector<float> trained = s->model().params().allValues();
  s->applyOuter({scratch("d0.st")}, 1.0, "diloco");
  // First outer step: m = Δ, update = Δ + μΔ → θ = start − (1+μ)Δ.
  const auto& now = s->model().params().allValues();
  double maxErr = 0;
  for (size_t i = 0; i < now.size(); ++i) {
    const double delta = double(start[i]) - trained[i];
    maxErr = std::max(maxErr, std::fabs(now[i] - (start[i] - 1.9 * delta)));
  }
  CHECK_MSG(maxErr < 1e-5, "max err " << maxErr);
  CHECK(!s->outerState().momentum.empty());
}

TEST(evaluate_before_and_after_payload) {
  auto s = makeSession();
  auto peer = makeSession();
  for (int i = 0; i < 2; ++i) {
    peer->trainWindow(i, "p", 8, scratch("ev.tndc"), "sparseloco", nullptr, nullptr);
    peer->applyOuter({scratch("ev.tndc")}, 1.0, "sparseloco");
  }
  peer->trainWindow(2, "p", 8, scratch("ev.tndc"), "sparseloco", nullptr, nullptr);
  const std::vector<float> before = s->model().params().allValues();
  const Json r = s->evaluate("val", "p", 2, 2, 4, scratch("ev.tndc"), 1.0);
  CHECK(r.at("loss_after").asNumber() < r.at("loss_before").asNumber());
  CHECK(s->model().params().allValues() == before);  // evaluate restores θ
  // Same batches → same loss (deterministic).
  CHECK(s->evaluateLoss("val", "p", 2, 2, 4) == r.at("loss_before").asNumber());
  CHECK_THROWS(s->evaluate("val", "p", 2, 2, 4, scratch("nope.tndc"), 1.0));
  CHECK(s->model().params().allValues() == before);
}
