// The CUDA model as a whole against the CPU (part of tandem_trainer_cuda_tests,
// which skips itself without a device; the kernels one by one are in
// test_cuda_kernels.cpp): gradients and the AdamW step of CudaLlamaModel,
// its phase timer, and whole windows of a TrainingSession on the device.
#ifdef TANDEM_TRAINER_HAVE_CUDA

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "cuda_test_buffers.h"
#include "fixtures.h"
#include "kernels/gemm_path.h"
#include "model/cuda_llama_model.h"
#include "model/llama_model.h"
#include "optim/adamw.h"
#include "scoped_gemm_path.h"
#include "train/training_session.h"

using namespace trainer;
using namespace cudatest;

// The whole model: CUDA (bf16 activations) against the CPU fp32 reference,
// with the GEMM path selected (cuBLAS on a GPU that has it) and with our
// tensor-core kernels when that is another one.
TEST(cuda_model_matches_cpu_model) {
  std::vector<cuda::GemmPath> paths{cuda::gemmPath()};
  if (paths.front() != cuda::GemmPath::wmma) paths.push_back(cuda::GemmPath::wmma);
  for (const cuda::GemmPath path : paths)
  for (const bool tied : {false, true}) {
    const ScopedGemmPath scoped(path);
    ModelConfig c;
    c.vocabSize = 258;
    c.hiddenSize = 64;
    c.numLayers = 2;
    c.numHeads = 4;
    c.numKvHeads = 2;
    c.intermediateSize = 128;
    c.maxSeqLen = 16;
    c.tieEmbeddings = tied;
    c.initStd = 0.1;
    LlamaModel cpuModel(c);
    CudaLlamaModel gpuModel(cpuModel);
    const int B = 2, T = 16;
    std::vector<int32_t> tokens(B * T), targets(B * T);
    for (int i = 0; i < B * T; ++i) {
      tokens[i] = (i * 37 + 5) % 258;
      targets[i] = i == 3 ? -1 : (i * 11 + 2) % 258;
    }
    cpuModel.params().zeroGrads();
    const float cpuLoss = cpuModel.forward(tokens.data(), targets.data(), B, T);
    cpuModel.backward(1.0f);
    gpuModel.zeroGrads();
    const float gpuLoss = gpuModel.forward(tokens.data(), targets.data(), B, T);
    gpuModel.backward(1.0f);
    CHECK_NEAR(gpuLoss, cpuLoss, 2e-2 * std::fabs(cpuLoss));
    LlamaModel mirror(c);
    gpuModel.downloadGrads(mirror.params());
    for (size_t i = 0; i < cpuModel.params().infos().size(); ++i) {
      const ParameterInfo& p = cpuModel.params().info(i);
      const std::vector<float> expected(cpuModel.params().grads(i), cpuModel.params().grads(i) + p.numel);
      const std::vector<float> got(mirror.params().grads(i), mirror.params().grads(i) + p.numel);
      const double err = relErr(expected, got);
      CHECK_MSG(err < 5e-2, p.name << " gradient relative error " << err << " (tied " << tied << ")");
    }
    // AdamW on both sides from the same gradients' sources.
    const std::vector<float> before = cpuModel.params().allValues();
    AdamW opt(cpuModel.params().size());
    opt.step(cpuModel.params(), AdamWSettings{}, 1e-3);
    gpuModel.adamwStep(AdamWSettings{}, 1e-3);
    gpuModel.downloadParams(mirror.params());
    std::vector<float> cpuStep(before.size()), gpuStep(before.size());
    for (size_t j = 0; j < before.size(); ++j) {
      cpuStep[j] = cpuModel.params().allValues()[j] - before[j];
      gpuStep[j] = mirror.params().allValues()[j] - before[j];
    }
    // Adam normalises each coordinate, so tiny gradients may flip sign
    // between fp32 and bf16; the update vectors must still agree closely.
    const double stepErr = relErr(cpuStep, gpuStep);
    CHECK_MSG(stepErr < 0.15, "AdamW update relative error " << stepErr << " (" << cuda::gemmPathName(path) << ")");
  }
}

// The step breakdown bench_trainer prints: every phase of a step is timed
// once enabled, nothing is recorded while disabled.
TEST(cuda_phase_timer_reports_a_step) {
  LlamaModel layout(testing::tinyModel());
  CudaLlamaModel model(layout);
  const int B = 2, T = 8;
  std::vector<int32_t> tokens(B * T), targets(B * T);
  for (int i = 0; i < B * T; ++i) {
    tokens[i] = (i * 7 + 3) % layout.config().vocabSize;
    targets[i] = (i * 5 + 1) % layout.config().vocabSize;
  }
  auto step = [&] {
    model.zeroGrads();
    model.forward(tokens.data(), targets.data(), B, T);
    model.backward(1.0f);
    model.clipGradients(1.0);
    model.adamwStep(AdamWSettings{}, 1e-3);
  };
  step();
  CHECK(model.phaseTimer().collect().empty());
  model.phaseTimer().setEnabled(true);
  step();
  const std::vector<PhaseTimer::Phase> phases = model.phaseTimer().collect();
  model.phaseTimer().setEnabled(false);
  std::vector<std::string> names;
  for (const PhaseTimer::Phase& p : phases) {
    names.push_back(p.name);
    CHECK_MSG(p.milliseconds >= 0 && p.intervals > 0, p.name << ": " << p.milliseconds << " ms, " << p.intervals);
  }
  const std::vector<std::string> expected = {
      "forward: upload tokens", "forward: embedding", "forward: norms + elementwise", "forward: matmuls",
      "forward: attention + RoPE", "forward: LM head", "forward: loss", "backward: loss",
      "backward: norms + elementwise", "backward: LM head", "backward: matmuls", "backward: attention + RoPE",
      "backward: embedding", "gradient clipping", "AdamW"};
  CHECK_MSG(names == expected, "phases: " << names.size());
  for (const PhaseTimer::Phase& p : phases) {
    // Per layer: q/k/v, o, gate/up, down (adjacent GEMMs are one interval).
    if (p.name == "forward: matmuls") CHECK(p.intervals == 4 * layout.config().numLayers);
  }
  step();
  CHECK(model.phaseTimer().collect().empty());
}

// A whole window through TrainingSession on the device against the CPU.
TEST(cuda_training_session_window) {
  const TrainSettings settings = testing::tinySettings();
  std::vector<TokenShard> shards{TokenShard{"synthetic", testing::syntheticTokens(4000, 3)}};
  TrainingSession host(testing::tinyModel(), settings), gpu(testing::tinyModel(), settings);
  host.setTrainData(BatchSampler(shards, settings.seqLen));
  gpu.setTrainData(BatchSampler(shards, settings.seqLen));
  gpu.enableDevice(makeCudaDeviceModel(gpu.model(), 0));
  const Json a = host.trainWindow(0, "p", 3, testing::scratchDir() + "/cpu.tndc", "sparseloco", nullptr, nullptr);
  const Json b = gpu.trainWindow(0, "p", 3, testing::scratchDir() + "/gpu.tndc", "sparseloco", nullptr, nullptr);
  CHECK_NEAR(b.at("loss_first").asNumber(), a.at("loss_first").asNumber(), 2e-2 * a.at("loss_first").asNumber());
  CHECK_NEAR(b.at("loss_last").asNumber(), a.at("loss_last").asNumber(), 5e-2 * a.at("loss_last").asNumber());
  CHECK(gpu.innerStepCount() == 3);
  const std::vector<float>& w1 = host.model().params().allValues();
  const std::vector<float>& w2 = gpu.model().params().allValues();
  CHECK_CLOSE(w1, w2, "weights after the window");
  CHECK(gpu.evaluateLoss("train", "q", 1, 1, 4) > 0);
}

// The GPU acceptance point: after 10 inner steps from the same
// start, the device's training loss and its held-out loss on fixed batches
// agree with the CPU reference to 1e-2 relative (bf16 activations vs fp32).
TEST(cuda_and_cpu_losses_agree_after_10_steps) {
  const TrainSettings settings = testing::tinySettings();
  std::vector<TokenShard> shards{TokenShard{"synthetic", testing::syntheticTokens(6000, 5)}};
  TrainingSession host(testing::tinyModel(), settings), gpu(testing::tinyModel(), settings);
  host.setTrainData(BatchSampler(shards, settings.seqLen));
  gpu.setTrainData(BatchSampler(shards, settings.seqLen));
  gpu.enableDevice(makeCudaDeviceModel(gpu.model(), 0));
  const cuda::GemmPath path = cuda::gemmPath();  // cuBLAS on a GPU that has it, else our kernels
  const uint64_t gemmsBefore = launchesOn(cuda::gemmLaunchCounts(), path);
  const Json a = host.trainWindow(0, "p", 10, testing::scratchDir() + "/cpu10.tndc", "sparseloco", nullptr, nullptr);
  const Json b = gpu.trainWindow(0, "p", 10, testing::scratchDir() + "/gpu10.tndc", "sparseloco", nullptr, nullptr);
  CHECK(gpu.innerStepCount() == 10 && host.innerStepCount() == 10);
  // The Linear layers ran on the selected path (with our kernels, all but the
  // 258-token LM head on tensor cores).
  CHECK_MSG(launchesOn(cuda::gemmLaunchCounts(), path) > gemmsBefore, "no GEMM on " << cuda::gemmPathName(path));
  const double cpuLast = a.at("loss_last").asNumber(), gpuLast = b.at("loss_last").asNumber();
  CHECK_MSG(std::fabs(gpuLast - cpuLast) <= 1e-2 * cpuLast, "step-10 loss cpu " << cpuLast << " cuda " << gpuLast);
  // Training moved the model: the step-10 loss is below the first one.
  CHECK(cpuLast < a.at("loss_first").asNumber());
  const double cpuEval = host.evaluateLoss("train", "q", 7, 2, 4), gpuEval = gpu.evaluateLoss("train", "q", 7, 2, 4);
  CHECK_MSG(std::fabs(gpuEval - cpuEval) <= 1e-2 * cpuEval, "held-out loss cpu " << cpuEval << " cuda " << gpuEval);
}

#endif
