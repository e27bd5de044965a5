// SparseLoCo / DiLoCo window mechanics through TrainingSession.
#include <cmath>
#include <memory>
#include <vector>

#include "fixtures.h"
#include "test_harness.h"
#include "sparseloco/pseudo_gradient.h"
#include "train/training_session.h"
#include "util/atomic_file.h"
#include "util/errors.h"
#include "tandem_codec/aggregate.h"
#include "tandem_codec/decoder.h"

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
  // Each dropped file by its place in the list, with why: the corrupt one by the codec, the missing one by its name.
  const Json& corruptDrop = r.at("dropped").asArray()[0];
  const Json& missingDrop = r.at("dropped").asArray()[1];
  CHECK(corruptDrop.at("index").asInt() == 2);
  CHECK(missingDrop.at("index").asInt() == 3);
  CHECK_MSG(missingDrop.at("reason").asString().find("missing.tndc") != std::string::npos, missingDrop.at("reason").asString());
  CHECK_MSG(corruptDrop.at("reason").asString().find("missing.tndc") == std::string::npos, corruptDrop.at("reason").asString());
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

// ---- SparseLoCo step by step (native/trainer/SPARSELOCO.md) ----------------

namespace {

// The payload decoded densely, laid out flat like the ParameterStore.
std::vector<float> decodeFlat(const std::string& path, const ParameterStore& params) {
  const std::vector<uint8_t> bytes = readWholeFile(path);
  std::vector<tandem::DenseTensor> tensors;
  const tandem::Status st = tandem::decodePayloadDense(bytes.data(), bytes.size(), tandem::DecodeOptions{}, tensors);
  CHECK_OK(st);
  std::vector<float> flat(params.size(), 0.0f);
  for (const ParameterInfo& p : params.infos()) {
    for (const auto& t : tensors) {
      if (t.name == p.name) std::copy(t.values.begin(), t.values.end(), flat.begin() + static_cast<long>(p.offset));
    }
  }
  return flat;
}

}  // namespace

TEST(first_window_sends_topk_of_delta_per_chunk_and_keeps_the_rest_in_error_feedback) {
  // Window 1 starts with e = 0, so e ← β·0 + Δ = Δ; the payload is
  // Q(TopK(Δ)) and the error feedback keeps exactly Δ − Q(TopK(Δ)).
  auto s = makeSession();
  const std::vector<float> start = s->model().params().allValues();
  s->trainWindow(0, "peer", 2, scratch("ef1.tndc"), "sparseloco", nullptr, nullptr);
  const ParameterStore& params = s->model().params();
  const std::vector<float>& trained = params.allValues();
  std::vector<float> delta(start.size());
  for (size_t i = 0; i < delta.size(); ++i) delta[i] = start[i] - trained[i];
  const std::vector<float> sent = decodeFlat(scratch("ef1.tndc"), params);
  const std::vector<float>& ef = s->outerState().errorFeedback;
  size_t mismatches = 0;
  for (size_t i = 0; i < delta.size(); ++i) mismatches += ef[i] != delta[i] - sent[i];
  CHECK_MSG(mismatches == 0, mismatches << " EF values differ from Δ − Q(TopK(Δ))");

  // Per chunk: the k kept positions are the k largest |Δ| of that chunk; each
  // decoded value is its level's table entry; each table entry is the mean of
  // the kept values on that level (no shrinking scale).
  const std::vector<uint8_t> bytes = readWholeFile(scratch("ef1.tndc"));
  tandem::SparsePayload payload;
  CHECK_OK(tandem::decodePayloadSparse(bytes.data(), bytes.size(), tandem::DecodeOptions{}, payload));
  CHECK(payload.k == s->settings().sparse.k);
  size_t checkedChunks = 0;
  for (const tandem::SparseTensor& t : payload.tensors) {
    const ParameterInfo* info = nullptr;
    for (const ParameterInfo& p : params.infos()) if (p.name == t.name) info = &p;
    CHECK(info != nullptr);
    if (!info) continue;
    const float* d = delta.data() + info->offset;
    const float* q = sent.data() + info->offset;
    double levelSum[4] = {0, 0, 0, 0};
    double levelCount[4] = {0, 0, 0, 0};
    const tandem::ChunkLayout& L = t.layout;
    for (uint64_t c = 0; c < L.chunkCount; ++c) {
      std::vector<bool> kept(L.chunkSize, false);
      float minKept = INFINITY;
      for (uint32_t j = 0; j < t.k; ++j) {
        const uint32_t local = t.locals[c * t.k + j];
        const uint8_t level = t.levels[c * t.k + j];
        kept[local] = true;
        const uint64_t at = L.chunkOrigin(c) + uint64_t(local / L.chunkCols) * L.cols + local % L.chunkCols;
        minKept = std::min(minKept, std::fabs(d[at]));
        CHECK(q[at] == t.table[level]);
        levelSum[level] += d[at];
        levelCount[level] += 1;
      }
      float maxDropped = 0;
      for (uint32_t local = 0; local < L.chunkSize; ++local) {
        if (kept[local]) continue;
        const uint64_t at = L.chunkOrigin(c) + uint64_t(local / L.chunkCols) * L.cols + local % L.chunkCols;
        maxDropped = std::max(maxDropped, std::fabs(d[at]));
        CHECK(q[at] == 0.0f);
      }
      CHECK_MSG(minKept >= maxDropped, t.name << " chunk " << c << ": kept " << minKept << " < dropped " << maxDropped);
      ++checkedChunks;
    }
    for (int l = 0; l < 4; ++l) {
      if (levelCount[l] == 0) continue;
      const double mean = levelSum[l] / levelCount[l];
      CHECK_MSG(std::fabs(t.table[l] - mean) <= 1e-6 * std::fabs(mean), t.name << " level " << l);
    }
  }
  CHECK(checkedChunks > 0);
}

TEST(error_feedback_decays_by_beta_before_adding_the_next_delta) {
  // Window 2: e ← β·e₁ + Δ₂, payload = Q(TopK(e)), e ← e − payload.
  auto s = makeSession();
  s->trainWindow(0, "peer", 2, scratch("efa.tndc"), "sparseloco", nullptr, nullptr);
  s->applyOuter({scratch("efa.tndc")}, 1.0, "sparseloco");
  const std::vector<float> e1 = s->outerState().errorFeedback;
  const std::vector<float> start = s->model().params().allValues();
  s->trainWindow(1, "peer", 2, scratch("efb.tndc"), "sparseloco", nullptr, nullptr);
  const std::vector<float> sent = decodeFlat(scratch("efb.tndc"), s->model().params());
  const std::vector<float>& trained = s->model().params().allValues();
  const std::vector<float>& e2 = s->outerState().errorFeedback;
  const float beta = s->settings().sparse.beta;
  CHECK(beta == 0.95f);
  size_t mismatches = 0;
  for (size_t i = 0; i < e2.size(); ++i) {
    const float delta = start[i] - trained[i];
    const float accumulated = beta * e1[i] + delta;  // the codec builds without FMA contraction
    mismatches += e2[i] != accumulated - sent[i];
  }
  CHECK_MSG(mismatches == 0, mismatches << " EF values differ from β·e + Δ − sent");
}

TEST(sparse_outer_step_applies_lr_times_the_per_coordinate_mean_of_the_senders) {
  auto a = makeSession();
  auto b = makeSession();
  const std::vector<float> start = a->model().params().allValues();
  a->trainWindow(5, "peer-a", 2, scratch("oa.tndc"), "sparseloco", nullptr, nullptr);
  b->trainWindow(5, "peer-b", 2, scratch("ob.tndc"), "sparseloco", nullptr, nullptr);
  const ParameterStore& params = a->model().params();
  const std::vector<float> qa = decodeFlat(scratch("oa.tndc"), params);
  const std::vector<float> qb = decodeFlat(scratch("ob.tndc"), params);
  const double lr = 0.7;
  a->applyOuter({scratch("oa.tndc"), scratch("ob.tndc")}, lr, "sparseloco");
  const std::vector<float>& now = params.allValues();
  // Reference aggregate: per tensor, clip each peer to the lower median norm
  // (of two: the smaller), then average each coordinate over the peers that
  // sent it. θ = θ_start − lr·aggregate, one float rounding per operation.
  size_t onlyOne = 0, both = 0;
  double worst = 0;
  for (const ParameterInfo& p : params.infos()) {
    double na = 0, nb = 0;
    for (uint64_t i = p.offset; i < p.offset + p.numel; ++i) {
      na += double(qa[i]) * qa[i];
      nb += double(qb[i]) * qb[i];
    }
    na = std::sqrt(na);
    nb = std::sqrt(nb);
    const double median = std::min(na, nb);
    const float ca = float(na > median ? median / na : 1.0);
    const float cb = float(nb > median ? median / nb : 1.0);
    for (uint64_t i = p.offset; i < p.offset + p.numel; ++i) {
      const int senders = (qa[i] != 0.0f) + (qb[i] != 0.0f);
      onlyOne += senders == 1;
      both += senders == 2;
      const float sum = qa[i] * ca + qb[i] * cb;
      const float agg = senders > 1 ? sum / float(senders) : sum;
      const float expected = start[i] - float(lr) * agg;
      worst = std::max(worst, double(std::fabs(now[i] - expected)) / (std::fabs(start[i]) + 1e-6));
    }
  }
  CHECK_MSG(worst <= 2e-7, "worst relative error " << worst);
  // Both cases occur: a coordinate only one peer sent gets that peer's full
  // (clipped) value, not half of it.
  CHECK(onlyOne > 0);
  CHECK(both > 0);
}

// The outer step swaps the window's start into the weights and steps only
// the coordinates some peer sent; a step it refuses (a payload for another
// model) must therefore be refused before the swap: the trained weights and
// the pending window stay, and a revert still goes back to the window start.
TEST(refused_sparse_outer_step_leaves_the_trained_window_as_it_was) {
  auto s = makeSession();
  const std::vector<float> start = s->model().params().allValues();
  s->trainWindow(6, "peer", 2, scratch("rf.tndc"), "sparseloco", nullptr, nullptr);
  const std::vector<float> trained = s->model().params().allValues();
  CHECK(trained != start);
  // A payload of a wider model: every tensor name matches, the shapes do not.
  trainer::ModelConfig wider = testing::tinyModel();
  wider.hiddenSize = 48;
  wider.intermediateSize = 96;
  TrainingSession other(wider, testing::tinySettings());
  const ParameterStore& otherParams = other.model().params();
  std::vector<float> delta(otherParams.size(), 1e-3f), ef(otherParams.size(), 0.0f);
  writeSparsePayload(scratch("rf-wider.tndc"), otherParams, delta, ef, SparseEncodeSettings{});
  CHECK_THROWS(s->applyOuter({scratch("rf-wider.tndc")}, 0.5, "sparseloco"));
  CHECK(s->model().params().allValues() == trained);
  // A deeper model's payload names tensors this one does not have; a shallower one's leaves some out.
  for (int layers : {testing::tinyModel().numLayers + 1, testing::tinyModel().numLayers - 1}) {
    trainer::ModelConfig depth = testing::tinyModel();
    depth.numLayers = layers;
    TrainingSession shaped(depth, testing::tinySettings());
    const ParameterStore& shapedParams = shaped.model().params();
    std::vector<float> d(shapedParams.size(), 1e-3f), e(shapedParams.size(), 0.0f);
    writeSparsePayload(scratch("rf-depth.tndc"), shapedParams, d, e, SparseEncodeSettings{});
    bool refused = false;
    try {
      s->applyOuter({scratch("rf-depth.tndc")}, 0.5, "sparseloco");
    } catch (const std::exception& error) {
      refused = true;
      const std::string why = error.what();
      CHECK_MSG(why.find(layers > testing::tinyModel().numLayers ? "does not have" : "missing") != std::string::npos, why);
    }
    CHECK(refused);
    CHECK(s->model().params().allValues() == trained);
  }
  CHECK(s->outerState().windowPending);
  CHECK(s->outerState().windowStart == start);
  CHECK(s->revertWindow() == 6);
  CHECK(s->model().params().allValues() == start);
}

// ---- The outer step prepared beside the inner steps -------------------------

namespace {
std::shared_ptr<const tandem::DecodedPayload> decodedFile(const std::string& path) {
  const std::vector<uint8_t> bytes = readWholeFile(path);
  auto d = std::make_shared<tandem::DecodedPayload>();
  CHECK_OK(tandem::decodeForAggregate(bytes.data(), bytes.size(), tandem::DecodeOptions{}, *d));
  return d;
}

struct TwoPeers {
  std::vector<std::string> keys{"4/1", "4/2"};
  std::vector<std::shared_ptr<const tandem::DecodedPayload>> held;
  std::vector<const tandem::DecodedPayload*> order;
  OuterStepRequest request(double lr, uint64_t baseWindow) const {
    OuterStepRequest r;
    r.window = 4;
    r.baseWindow = baseWindow;
    r.lr = lr;
    r.keys = keys;
    r.staged = held;
    return r;
  }
};

// Window 4's updates of two peers, decoded as stage_payload keeps them.
TwoPeers windowFourUpdates() {
  auto a = makeSession();
  auto b = makeSession();
  a->trainWindow(4, "peer-a", 2, scratch("prep-a.tndc"), "sparseloco", nullptr, nullptr);
  b->trainWindow(4, "peer-b", 2, scratch("prep-b.tndc"), "sparseloco", nullptr, nullptr);
  TwoPeers peers;
  peers.held = {decodedFile(scratch("prep-a.tndc")), decodedFile(scratch("prep-b.tndc"))};
  for (const auto& p : peers.held) peers.order.push_back(p.get());
  return peers;
}

// This machine's window 5: the window a preparation of window 4's step starts from.
void trainWindowFive(TrainingSession& session) {
  session.trainWindow(5, "me", 2, scratch("prep-me.tndc"), "sparseloco", nullptr, nullptr);
}

// The digest of window 4's step made after window 5's compute with no preparation: what every other way must give.
std::string unpreparedStepDigest(const TwoPeers& peers, double lr) {
  auto made = makeSession();
  trainWindowFive(*made);
  return made->applyOuterStaged(peers.order, peers.keys, lr, 4).at("model_digest").asString();
}
}  // namespace

// Prepared while window 5 trains (or waiting for it to start), window 4's
// step is a swap afterwards: the same weights, bit for bit, and the same
// digest as the step made after the inner steps.
TEST(outer_step_prepared_beside_the_inner_steps_is_the_same_step) {
  const TwoPeers peers = windowFourUpdates();
  const double lr = 0.6;
  auto made = makeSession();
  trainWindowFive(*made);
  const Json plain = made->applyOuterStaged(peers.order, peers.keys, lr, 4);
  CHECK(!plain.at("prepared").asBool());

  // Asked for while window 5 is pending (as the gather ends mid-window).
  auto started = makeSession();
  trainWindowFive(*started);
  CHECK(started->prepareOuter(peers.request(lr, 5)) == "started");
  const Json fast = started->applyOuterStaged(peers.order, peers.keys, lr, 4);
  CHECK(fast.at("prepared").asBool());
  CHECK(fast.at("model_digest").asString() == plain.at("model_digest").asString());
  CHECK(fast.at("used").asArray().size() == 2);
  CHECK(std::fabs(fast.at("update_norm").asNumber() - plain.at("update_norm").asNumber()) <= 1e-12 * plain.at("update_norm").asNumber());
  CHECK(started->model().params().allValues() == made->model().params().allValues());
  CHECK(!started->outerState().windowPending);
  CHECK(started->outerState().appliedWindow == 4);

  // Asked for before window 5 trains: it waits, and starts with the window.
  auto waiting = makeSession();
  CHECK(waiting->prepareOuter(peers.request(lr, 5)) == "waiting");
  trainWindowFive(*waiting);
  const Json late = waiting->applyOuterStaged(peers.order, peers.keys, lr, 4);
  CHECK(late.at("prepared").asBool());
  CHECK(late.at("model_digest").asString() == plain.at("model_digest").asString());
}

// A preparation that is not the step asked for (another rate, other
// payloads, another start) or that a revert overtook is thrown away, and
// the step is made as before, with the same result.
TEST(outer_step_preparation_that_does_not_match_is_thrown_away) {
  const TwoPeers peers = windowFourUpdates();
  const double lr = 0.6;
  const std::string expected = unpreparedStepDigest(peers, lr);

  auto otherRate = makeSession();
  trainWindowFive(*otherRate);
  CHECK(otherRate->prepareOuter(peers.request(0.3, 5)) == "started");
  const Json r1 = otherRate->applyOuterStaged(peers.order, peers.keys, lr, 4);
  CHECK(!r1.at("prepared").asBool() && r1.at("model_digest").asString() == expected);

  auto otherKeys = makeSession();
  trainWindowFive(*otherKeys);
  CHECK(otherKeys->prepareOuter(peers.request(lr, 5)) == "started");
  const Json r2 = otherKeys->applyOuterStaged(peers.order, {"4/1", "4/9"}, lr, 4);
  CHECK(!r2.at("prepared").asBool() && r2.at("model_digest").asString() == expected);

  // Waiting for window 6, which never trains before the step.
  auto otherStart = makeSession();
  CHECK(otherStart->prepareOuter(peers.request(lr, 6)) == "waiting");
  trainWindowFive(*otherStart);
  const Json r3 = otherStart->applyOuterStaged(peers.order, peers.keys, lr, 4);
  CHECK(!r3.at("prepared").asBool() && r3.at("model_digest").asString() == expected);

  // A revert goes back to the window's start; the preparation goes with it.
  auto reverted = makeSession();
  const std::vector<float> start = reverted->model().params().allValues();
  trainWindowFive(*reverted);
  CHECK(reverted->prepareOuter(peers.request(lr, 5)) == "started");
  CHECK(reverted->revertWindow() == 5);
  CHECK(reverted->model().params().allValues() == start);
  const Json r4 = reverted->applyOuterStaged(peers.order, peers.keys, lr, 4);
  CHECK(!r4.at("prepared").asBool());

  CHECK_THROWS(reverted->prepareOuter(OuterStepRequest{}));
}

// The preparation's copy of the weights is not made when host memory is
// short for it (it would leave less than a quarter of what is available
// free): the step is made after the compute, with the same result, and says
// why. Memory that cannot be read (0) is no bar.
TEST(outer_step_preparation_is_skipped_when_host_memory_is_short) {
  const TwoPeers peers = windowFourUpdates();
  const double lr = 0.6;
  const std::string expected = unpreparedStepDigest(peers, lr);
  const uint64_t copyBytes = makeSession()->model().params().allValues().size() * sizeof(float);

  // A copy of (just under) three quarters of what is available fits; one as large as what is available does not.
  auto justFits = makeSession();
  justFits->setHostMemoryProbe([&] { return copyBytes + copyBytes / 3 + 4; });
  trainWindowFive(*justFits);
  CHECK(justFits->prepareOuter(peers.request(lr, 5)) == "started");
  const Json fits = justFits->applyOuterStaged(peers.order, peers.keys, lr, 4);
  CHECK(fits.at("prepared").asBool() && !fits.has("preparation_skipped"));

  auto short_ = makeSession();
  short_->setHostMemoryProbe([&] { return copyBytes; });
  trainWindowFive(*short_);
  CHECK(short_->prepareOuter(peers.request(lr, 5)) == "skipped");
  const Json late = short_->applyOuterStaged(peers.order, peers.keys, lr, 4);
  CHECK(!late.at("prepared").asBool());
  CHECK(late.at("model_digest").asString() == expected);
  CHECK(late.at("preparation_skipped").asString().find("host memory") != std::string::npos);

  // Waiting for its window, it is judged when that window starts; the next step's result no longer says it.
  auto waiting = makeSession();
  waiting->setHostMemoryProbe([&] { return copyBytes; });
  CHECK(waiting->prepareOuter(peers.request(lr, 5)) == "waiting");
  trainWindowFive(*waiting);
  const Json r = waiting->applyOuterStaged(peers.order, peers.keys, lr, 4);
  CHECK(!r.at("prepared").asBool() && r.has("preparation_skipped") && r.at("model_digest").asString() == expected);

  auto unknown = makeSession();
  unknown->setHostMemoryProbe([] { return uint64_t{0}; });
  trainWindowFive(*unknown);
  CHECK(unknown->prepareOuter(peers.request(lr, 5)) == "started");
  CHECK(unknown->applyOuterStaged(peers.order, peers.keys, lr, 4).at("prepared").asBool());
}
