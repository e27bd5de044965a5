// FSDP on the CPU: the shard layout, the reference collective, the NCCL
// loader's failure modes, and the sharded training step against the
// unsharded one (G simulated ranks; the same FsdpModel code drives GPUs).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <regex>
#include <sstream>
#include <vector>

#include <sys/stat.h>

#include "fixtures.h"
#include "fsdp/cpu_collective.h"
#include "fsdp/fsdp_factory.h"
#include "fsdp/fsdp_request.h"
#include "fsdp/nccl_library.h"
#include "gradcheck.h"
#include "server_fixture.h"
#include "model/llama_model.h"
#include "optim/adamw.h"
#include "optim/grad_clip.h"
#include "protocol/ndjson_server.h"
#include "test_harness.h"
#include "device/device_info.h"
#include "train/training_session.h"

using namespace trainer;

TEST(fsdp_shard_layout_covers_the_buffer) {
  for (size_t n : {size_t(0), size_t(1), size_t(5), size_t(10), size_t(35104), size_t(35105)}) {
    for (int g = 1; g <= 5; ++g) {
      const ShardLayout l(n, g);
      CHECK(l.shardSize() == (n + g - 1) / g);
      CHECK(l.paddedTotal() >= n && l.paddedTotal() - n < static_cast<size_t>(g));
      size_t next = 0;
      for (int r = 0; r < g; ++r) {
        CHECK(l.begin(r) == next);
        CHECK(l.count(r) <= l.shardSize());
        next = l.end(r);
      }
      CHECK_MSG(next == n, "n " << n << " g " << g);
    }
  }
  const ShardLayout l(5, 4);  // trailing shards short or empty
  CHECK(l.count(0) == 2 && l.count(1) == 2 && l.count(2) == 1 && l.count(3) == 0);
  CHECK_THROWS(ShardLayout(5, 0));

  // Pieces: a shard's tensor parts, with each tensor's weight-decay flag.
  const LlamaModel model(testing::tinyModel());
  const auto& infos = model.params().infos();
  const ShardLayout three(model.params().size(), 3);
  for (int r = 0; r < 3; ++r) {
    size_t covered = 0, at = three.begin(r);
    for (const ShardPiece& p : three.pieces(infos, r)) {
      CHECK(p.offset == at);
      const auto owner = std::find_if(infos.begin(), infos.end(), [&](const ParameterInfo& i) {
        return p.offset >= i.offset && p.offset + p.count <= i.offset + i.numel;
      });
      CHECK(owner != infos.end() && owner->weightDecay == p.weightDecay);
      covered += p.count;
      at += p.count;
    }
    CHECK(covered == three.count(r));
  }
}

TEST(fsdp_cpu_collective_gathers_reduces_in_rank_order) {
  const int G = 3;
  const size_t N = 10;  // shards 4, 4, 2
  const ShardLayout l(N, G);
  CpuCollective c(G);
  // Shards hold their capacity S; whole buffers exactly N plus a guard that must stay untouched.
  std::vector<std::vector<float>> shards(G, std::vector<float>(l.shardSize(), -7.0f));
  std::vector<std::vector<float>> whole(G, std::vector<float>(N + 1, -1.0f));
  for (int q = 0; q < G; ++q) {
    for (size_t i = 0; i < l.count(q); ++i) shards[q][i] = static_cast<float>(100 * q + i);
  }
  std::vector<const float*> in;
  std::vector<float*> out;
  for (int r = 0; r < G; ++r) {
    in.push_back(shards[r].data());
    out.push_back(whole[r].data());
  }
  c.allGather(l, in, out);
  for (int r = 0; r < G; ++r) {
    for (int q = 0; q < G; ++q) {
      for (size_t i = 0; i < l.count(q); ++i) CHECK(whole[r][l.begin(q) + i] == shards[q][i]);
    }
    CHECK(whole[r][N] == -1.0f);
  }

  // Reduce-scatter: values whose float sum depends on the order of addition.
  const float a = 1e8f, b = 1.0f, d = -1e8f;
  for (int q = 0; q < G; ++q) {
    for (size_t i = 0; i < N; ++i) whole[q][i] = q == 0 ? a : q == 1 ? b : d;
  }
  std::vector<const float*> gin;
  std::vector<float*> gout;
  for (int r = 0; r < G; ++r) {
    gin.push_back(whole[r].data());
    gout.push_back(shards[r].data());
  }
  c.reduceScatter(l, gin, gout, ReduceOp::kSum);
  const float inOrder = (a + b) + d;  // 0: 1 is lost against 1e8; (a + d) + b would be 1
  for (int r = 0; r < G; ++r) {
    for (size_t i = 0; i < l.count(r); ++i) CHECK(shards[r][i] == inOrder);
  }
  for (int q = 0; q < G; ++q) {
    for (size_t i = 0; i < N; ++i) whole[q][i] = static_cast<float>(q + 1) * 0.5f + static_cast<float>(i);
  }
  c.reduceScatter(l, gin, gout, ReduceOp::kMean);
  for (int r = 0; r < G; ++r) {
    for (size_t i = 0; i < l.count(r); ++i) {
      const size_t j = l.begin(r) + i;
      const float sum = ((0.5f + j) + (1.0f + j)) + (1.5f + j);
      CHECK(shards[r][i] == sum * (1.0f / 3.0f));
    }
  }
  std::vector<double> values{1.5, 2.25, -0.75};
  c.allReduceSum(values);
  CHECK(values[0] == 3.0 && values[1] == 3.0 && values[2] == 3.0);
  std::vector<double> wrong{1.0};
  CHECK_THROWS(c.allReduceSum(wrong));
  const ShardLayout two(N, 2);
  CHECK_THROWS(c.allGather(two, in, out));
}

TEST(fsdp_nccl_loader_reports_why_not) {
  nccl::Api api;
  std::string error;
  CHECK(!nccl::openLibrary("libtandem-no-such-library.so.9", api, error));
  CHECK_MSG(error.find("libtandem-no-such-library.so.9") != std::string::npos, error);
  // A real library without NCCL's symbols is refused by name.
  CHECK(!nccl::openLibrary("libm.so.6", api, error));
  CHECK_MSG(error.find("missing symbol ncclGetVersion") != std::string::npos, error);
  CHECK(api.allGather == nullptr);
  CHECK(nccl::versionString(22105) == "2.21.5");
  CHECK(nccl::versionString(2708) == "2.7.8");
  const nccl::Status s = nccl::status();
  if (s.available) {
    CHECK(std::regex_match(s.version, std::regex("[0-9]+\\.[0-9]+\\.[0-9]+")));
    CHECK(nccl::api() != nullptr && nccl::api()->reduceScatter != nullptr);
  } else {
    CHECK_MSG(s.reason.find("libnccl.so.2") != std::string::npos, s.reason);
    CHECK(nccl::api() == nullptr);
  }
}

TEST(fsdp_optimizer_state_is_one_gth_per_rank) {
  const LlamaModel model(testing::tinyModel());
  const size_t N = model.params().size();
  CHECK_MSG(N % 2 == 0 && N % 3 != 0, "N = " << N << ": the G = 3 cases should cover a ragged last shard");
  for (int G : {1, 2, 3}) {
    auto fsdp = makeCpuFsdpModel(model, G);
    size_t owned = 0;
    for (int r = 0; r < G; ++r) {
      // Master weights, reduced gradients and both moments: ceil(N/G) each.
      CHECK(fsdp->rank(r).shardCapacity() == (N + G - 1) / G);
      owned += fsdp->layout().count(r);
    }
    CHECK(owned == N);
    // Host optimizer state survives the trip through the shards.
    AdamW host(N);
    const std::vector<float> m = testing::randomVector(N, 5), v = testing::randomVector(N, 6);
    host.firstMoment() = m;
    host.secondMoment() = v;
    host.setStepCount(17);
    fsdp->uploadOptimizer(host);
    AdamW back;
    fsdp->downloadOptimizer(back);
    CHECK(back.firstMoment() == m && back.secondMoment() == v && back.stepCount() == 17);
    LlamaModel mirror(testing::tinyModel());
    std::fill(mirror.params().allValues().begin(), mirror.params().allValues().end(), 0.0f);
    fsdp->downloadParams(mirror.params());
    CHECK(mirror.params().allValues() == model.params().allValues());
  }
}

namespace {
TrainSettings fsdpSettings() {
  TrainSettings s = testing::tinySettings();
  s.batchSize = 6;  // six micro-batches of one row: 6, 3 or 2 per rank for G = 1, 2, 3
  s.microBatch = 1;
  s.gradClip = 0.5;  // low enough that clipping acts, so the all-reduced norm matters
  return s;
}

BatchSampler fsdpSampler(int seqLen) {
  return BatchSampler({TokenShard{"synthetic", testing::syntheticTokens(6000, 21)}}, seqLen);
}

double maxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = a.size() == b.size() ? 0.0 : INFINITY;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) m = std::max(m, std::fabs(double(a[i]) - b[i]));
  return m;
}
}  // namespace

// The acceptance test: G ranks of FSDP train the same weights as the
// unsharded session on the same global batches. G = 1 is bit-exact (same
// kernels, same order: the reduce is a copy, the norm one shard). For G > 1
// each rank accumulates its own micro-batches from zero and the ranks are
// added afterwards, while the unsharded backward accumulates every
// micro-batch into one buffer row by row: the same sum in a different order,
// so weights agree to float rounding (fsdp_matches_same_order_reference
// shows the sharding itself adds no error).
TEST(fsdp_training_matches_unsharded_session) {
  const TrainSettings s = fsdpSettings();
  TrainingSession plain(testing::tinyModel(), s);
  plain.setTrainData(fsdpSampler(s.seqLen));
  std::vector<StepReport> plainSteps;
  const std::string dir = testing::scratchDir();
  for (uint64_t w = 0; w < 2; ++w) {
    plain.trainWindow(w, "peer", 2, dir + "/plain.tndc", "sparseloco",
                      [&](const StepReport& r) { plainSteps.push_back(r); }, nullptr);
  }
  CHECK(plainSteps.front().gradNorm > s.gradClip);
  for (int G : {1, 2, 3}) {
    TrainingSession sharded(testing::tinyModel(), s);
    sharded.setTrainData(fsdpSampler(s.seqLen));
    sharded.enableDevice(makeCpuFsdpModel(sharded.model(), G));
    std::vector<StepReport> steps;
    for (uint64_t w = 0; w < 2; ++w) {
      sharded.trainWindow(w, "peer", 2, dir + "/sharded.tndc", "sparseloco",
                          [&](const StepReport& r) { steps.push_back(r); }, nullptr);
    }
    const auto& a = plain.model().params().allValues();
    const auto& b = sharded.model().params().allValues();
    const double weights = maxAbsDiff(a, b);
    const double m1 = maxAbsDiff(plain.optimizer().firstMoment(), sharded.optimizer().firstMoment());
    const double m2 = maxAbsDiff(plain.optimizer().secondMoment(), sharded.optimizer().secondMoment());
    std::printf("    G=%d: max |Δweight| %.3g, |Δm| %.3g, |Δv| %.3g after 4 steps\n", G, weights, m1, m2);
    CHECK(sharded.optimizer().stepCount() == plain.optimizer().stepCount());
    CHECK(steps.size() == plainSteps.size());
    if (G == 1) {
      CHECK(a == b);
      CHECK(plain.optimizer().firstMoment() == sharded.optimizer().firstMoment());
      CHECK(plain.optimizer().secondMoment() == sharded.optimizer().secondMoment());
      for (size_t i = 0; i < steps.size() && i < plainSteps.size(); ++i) {
        CHECK(steps[i].loss == plainSteps[i].loss && steps[i].gradNorm == plainSteps[i].gradNorm);
      }
    } else {
      CHECK_MSG(weights < 2e-6, "G=" << G << " weights differ by " << weights);
      CHECK_MSG(m1 < 1e-6 && m2 < 1e-8, "G=" << G << " moments differ by " << m1 << ", " << m2);
      for (size_t i = 0; i < steps.size() && i < plainSteps.size(); ++i) {
        CHECK_NEAR(steps[i].loss, plainSteps[i].loss, 1e-6 * plainSteps[i].loss);
        CHECK_NEAR(steps[i].gradNorm, plainSteps[i].gradNorm, 1e-5 * plainSteps[i].gradNorm);
      }
    }
    // Evaluation runs on rank 0 with the gathered weights.
    CHECK_NEAR(sharded.evaluateLoss("train", "other", 9, 1, 4), plain.evaluateLoss("train", "other", 9, 1, 4), 1e-5);
  }
}

// Against a data-parallel reference that sums per-rank gradients in the same
// order, the sharded step is bit-exact: gathers, reduce-scatter, the
// all-reduced norm and AdamW per shard piece add no rounding of their own.
// (The norm's double partial sums are associated differently; the float
// clip scale computed from it comes out the same.)
TEST(fsdp_matches_same_order_reference) {
  const ModelConfig c = testing::tinyModel();
  const int B = 6, T = 16;
  const double clip = 0.5;
  const AdamWSettings adam{3e-3, 0.9, 0.95, 1e-8, 0.1};
  const BatchSampler sampler = fsdpSampler(T);
  for (int G : {2, 3}) {
    LlamaModel reference(c);
    AdamW opt(reference.params().size());
    auto fsdp = makeCpuFsdpModel(reference, G);
    std::vector<LlamaModel> ranks(static_cast<size_t>(G), LlamaModel(c));
    std::vector<int32_t> tokens(B * T), targets(B * T);
    for (uint64_t step = 0; step < 3; ++step) {
      sampler.fill("peer", 0, step, B, 0, B, tokens.data(), targets.data());
      std::vector<float> sum(reference.params().size(), 0.0f);
      for (int r = 0; r < G; ++r) {
        LlamaModel& m = ranks[static_cast<size_t>(r)];
        m.params().allValues() = reference.params().allValues();
        m.params().zeroGrads();
        for (int mb = FsdpModel::firstMicroBatch(r, G, B); mb < FsdpModel::firstMicroBatch(r + 1, G, B); ++mb) {
          m.forward(tokens.data() + mb * T, targets.data() + mb * T, 1, T);
          m.backward(1.0f / B);
        }
        const auto& g = m.params().allGrads();
        if (r == 0) sum = g;
        else for (size_t i = 0; i < sum.size(); ++i) sum[i] += g[i];
      }
      reference.params().allGrads() = sum;
      const double norm = clipGradientNorm(reference.params().allGrads(), clip);
      opt.step(reference.params(), adam, 3e-3);

      std::vector<float> losses(B);
      fsdp->zeroGrads();
      fsdp->accumulateGradients(tokens.data(), targets.data(), B, 1, T, 1.0f / B, losses.data());
      const double shardedNorm = fsdp->clipGradients(clip);
      fsdp->adamwStep(adam, 3e-3);
      CHECK(norm > clip);
      CHECK_NEAR(shardedNorm, norm, 1e-12 * norm);
    }
    LlamaModel out(c);
    fsdp->downloadParams(out.params());
    CHECK_MSG(out.params().allValues() == reference.params().allValues(),
              "G=" << G << " max diff " << maxAbsDiff(out.params().allValues(), reference.params().allValues()));
  }
}

TEST(fsdp_concurrent_ranks_match_sequential) {
  const TrainSettings s = fsdpSettings();
  TrainingSession one(testing::tinyModel(), s), two(testing::tinyModel(), s);
  one.setTrainData(fsdpSampler(s.seqLen));
  two.setTrainData(fsdpSampler(s.seqLen));
  one.enableDevice(makeCpuFsdpModel(one.model(), 2, false));
  two.enableDevice(makeCpuFsdpModel(two.model(), 2, true));
  one.trainWindow(0, "p", 1, testing::scratchDir() + "/one.tndc", "diloco", nullptr, nullptr);
  two.trainWindow(0, "p", 1, testing::scratchDir() + "/two.tndc", "diloco", nullptr, nullptr);
  CHECK(one.model().params().allValues() == two.model().params().allValues());
}

TEST(fsdp_spread_micro_batch_keeps_every_rank_busy) {
  CHECK(spreadMicroBatch(8, 8, 2) == 4);
  CHECK(spreadMicroBatch(8, 2, 2) == 2);  // already small enough
  CHECK(spreadMicroBatch(6, 6, 3) == 2);
  CHECK(spreadMicroBatch(6, 6, 4) == 1);  // 6 rows cannot feed 4 ranks evenly: one row each
  CHECK(spreadMicroBatch(1, 1, 3) == 1);
}


TEST(fsdp_protocol_load_shards_and_hello) {
  const std::string dir = testing::scratchDir() + "/fsdp-data";
  ::mkdir(dir.c_str(), 0755);
  writeTokenShard(dir + "/x_train_000000.bin", testing::syntheticTokens(3000, 5));
  const std::string model = testing::tinyModel().toJson().dump();
  const std::string load = "{\"v\":1,\"id\":\"l\",\"cmd\":\"load\",\"model\":" + model + ",\"data_dir\":\"" + dir +
                           "\",\"train\":{\"seq_len\":16,\"batch_size\":6,\"lr\":0.003}";
  const auto events = testing::runServer(
      "{\"v\":1,\"id\":\"bad1\",\"cmd\":\"load\",\"model\":" + model + ",\"shards\":0}\n" +
      "{\"v\":1,\"id\":\"bad2\",\"cmd\":\"load\",\"model\":" + model + ",\"devices\":[0]}\n" +
      "{\"v\":1,\"id\":\"bad3\",\"cmd\":\"load\",\"model\":" + model +
      ",\"backend\":\"cuda\",\"devices\":[0,0]}\n" +
      "{\"v\":1,\"id\":\"bad4\",\"cmd\":\"load\",\"model\":" + model +
      ",\"backend\":\"cuda\",\"shards\":3,\"devices\":[0,1]}\n" +
      load + ",\"shards\":3}\n" +
      "{\"v\":1,\"id\":\"t\",\"cmd\":\"train_window\",\"window\":1,\"peer_id\":\"me\",\"steps\":2,"
      "\"payload_path\":\"" + testing::scratchDir() + "/fsdp.tndc\"}\n" +
      "{\"v\":1,\"id\":\"c\",\"cmd\":\"checkpoint\",\"path\":\"" + testing::scratchDir() +
      "/fsdp.safetensors\"}\n");
  const Json& hello = events.front();
  bool fsdpCap = false;
  for (const Json& cap : hello.at("capabilities").asArray()) fsdpCap = fsdpCap || cap.asString() == "fsdp";
  CHECK(fsdpCap);
  const Json& n = hello.at("nccl");
  CHECK(n.at("available").asBool() == nccl::status().available);
  if (!n.at("available").asBool()) CHECK(n.at("reason").asString().find("libnccl.so.2") != std::string::npos);
  std::vector<Json> errors, done;
  for (const Json& e : events) {
    if (e.at("event").asString() == "error") errors.push_back(e);
    if (e.at("event").asString() == "done") done.push_back(e);
  }
  CHECK(errors.size() == 4);
  for (const Json& e : errors) CHECK_MSG(e.at("code").asString() == "invalid_argument", e.dump());
  CHECK(done.size() == 3);
  if (done.size() == 3) {
    const Json& r = done[0].at("result");
    CHECK(r.at("backend").asString() == "cpu");
    CHECK(r.at("shards").asInt() == 3);
    CHECK(r.at("collective").asString() == "cpu");
    CHECK(r.at("micro_batch").asInt() == 2);  // 6 rows over 3 ranks
    CHECK(done[1].at("result").at("inner_step").asInt() == 2);
    CHECK(done[2].at("result").at("bytes").asInt() > 0);
  }
  // Without CUDA devices, sharding over GPUs fails before anything is loaded.
  if (queryDevices().devices.empty()) {
    const auto cuda = testing::runServer("{\"v\":1,\"id\":\"g\",\"cmd\":\"load\",\"model\":" + model +
                            ",\"backend\":\"cuda\",\"shards\":2}\n");
    CHECK(cuda.back().at("event").asString() == "error" && cuda.back().at("code").asString() == "no_cuda_device");
  }
}
