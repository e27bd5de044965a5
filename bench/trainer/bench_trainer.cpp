// Trainer throughput: tokens/s and GFLOP/s of full training steps
// (forward + backward + clipping + AdamW).
//   bench_trainer [--steps 5] [--threads N]
//       CPU, a few model sizes, beside the measured peak of the matmul kernel
//   bench_trainer --cuda [--steps 20] [--peak-tflops 989] [--breakdown-steps 3]
//                 [--vocab 258 --hidden 1024 --layers 8 --heads 16 --kv-heads 4
//                  --ffn 2816 --seq 1024 --batch 8]
//       the CUDA path (DeviceModel) on device 0, by default with the size of
//       bench/trainer/pytorch_reference.py (same option names), MFU against
//       the given bf16 peak; then the GEMM path and how many GEMMs took each
//       implementation, and one step's device time by phase (CUDA events;
//       measured in extra steps after the headline loop, which has no added
//       synchronisation)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kernels/matmul.h"
#include "model/device_model.h"
#include "kernels/cuda_kernels.h"
#include "model/llama_model.h"
#include "util/errors.h"
#include "optim/adamw.h"
#include "util/rng.h"

#ifdef TANDEM_TRAINER_HAVE_CUDA
#include "kernels/attention_path.h"
#include "kernels/gemm_path.h"
#include "model/cuda_llama_model.h"
#endif

#ifdef _OPENMP
#include <omp.h>
#endif

using namespace trainer;

namespace {
double seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

double matmulPeakGflops() {
  const int rows = 512, in = 512, out = 512;
  std::vector<float> x(static_cast<size_t>(rows) * in, 0.5f), w(static_cast<size_t>(out) * in, 0.25f),
      y(static_cast<size_t>(rows) * out);
  cpu::matmulForward(y.data(), x.data(), w.data(), rows, in, out);  // warm-up
  const int reps = 10;
  const auto t = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) cpu::matmulForward(y.data(), x.data(), w.data(), rows, in, out);
  return 2.0 * rows * in * out * reps / seconds(t) * 1e-9;
}
ModelConfig modelOfSize(int vocab, int hidden, int layers, int heads, int kvHeads, int ffn, int seq) {
  ModelConfig c;
  c.vocabSize = vocab;
  c.hiddenSize = hidden;
  c.numLayers = layers;
  c.numHeads = heads;
  c.numKvHeads = kvHeads;
  c.intermediateSize = ffn;
  c.maxSeqLen = seq;
  return c;
}

// Byte-like tokens and targets in [0, limit), the same every run.
void randomBatch(size_t n, int limit, std::vector<int32_t>& tokens, std::vector<int32_t>& targets) {
  tokens.resize(n);
  targets.resize(n);
  SplitMix64 rng(1);
  for (size_t i = 0; i < n; ++i) {
    tokens[i] = static_cast<int32_t>(rng.next() % static_cast<uint64_t>(limit));
    targets[i] = static_cast<int32_t>(rng.next() % static_cast<uint64_t>(limit));
  }
}
}  // namespace

// The CUDA benchmark's model and batch; the defaults are
// pytorch_reference.py's (90.7M parameters).
struct CudaBenchConfig {
  int vocab = 258, hidden = 1024, layers = 8, heads = 16, kvHeads = 4, ffn = 2816, seq = 1024, batch = 8;
  int steps = 20;
  int breakdownSteps = 3;  // extra steps timed phase by phase (0: none)
  double peakTflops = 989.0;
};

#ifdef TANDEM_TRAINER_HAVE_CUDA
// FLOPs of one step's Linear layers (2 per multiply-add, forward; the
// backward pass does twice as many), to turn the matmul phases' times into
// TFLOP/s. The LM head is its own phase.
// The attention phases get the same treatment with LlamaModel::flopsPerToken's
// count (scores and values, causal: T/2 keys a query on average).
struct MatmulFlops {
  double layers = 0, lmHead = 0, attention = 0;
};
MatmulFlops forwardMatmulFlops(const ModelConfig& c, double tokens, int T) {
  const double d = c.hiddenSize, perLayer = d * c.qDim() + 2 * d * c.kvDim() + c.qDim() * d + 3 * d * c.intermediateSize;
  return MatmulFlops{2 * tokens * perLayer * c.numLayers, 2 * tokens * d * c.vocabSize,
                     tokens * c.numLayers * 2.0 * T * c.qDim()};
}

// One step's device time by phase (CUDA events between the phases,
// CudaLlamaModel's PhaseTimer), averaged over `steps` steps run after the
// headline measurement, so the headline tokens/s pays for none of it.
void printBreakdown(CudaLlamaModel& model, const ModelConfig& c, const std::function<void()>& step, int steps,
                    double tokensPerStep, double wallStepMs) {
  model.phaseTimer().setEnabled(true);
  const auto t = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  const double timedStepMs = seconds(t) * 1e3 / steps;
  const std::vector<PhaseTimer::Phase> phases = model.phaseTimer().collect();
  model.phaseTimer().setEnabled(false);
  const MatmulFlops fwd = forwardMatmulFlops(c, tokensPerStep, c.maxSeqLen);
  double total = 0;
  for (const PhaseTimer::Phase& p : phases) total += p.milliseconds / steps;
  std::printf("  step breakdown (CUDA events, mean of %d steps; step %.1f ms wall with events, %.1f ms without):\n",
              steps, timedStepMs, wallStepMs);
  std::printf("    %-32s %9s %7s %10s\n", "phase", "ms/step", "share", "TFLOP/s");
  for (const PhaseTimer::Phase& p : phases) {
    const double ms = p.milliseconds / steps;
    double flops = 0;
    if (p.name == "forward: matmuls") flops = fwd.layers;
    else if (p.name == "backward: matmuls") flops = 2 * fwd.layers;
    else if (p.name == "forward: LM head") flops = fwd.lmHead;
    else if (p.name == "backward: LM head") flops = 2 * fwd.lmHead;
    else if (p.name == "forward: attention + RoPE") flops = fwd.attention;
    else if (p.name == "backward: attention + RoPE") flops = 2 * fwd.attention;
    char rate[32] = "";
    if (flops > 0 && ms > 0) std::snprintf(rate, sizeof rate, "%.1f", flops / (ms * 1e-3) * 1e-12);
    std::printf("    %-32s %9.2f %6.1f%% %10s\n", p.name.c_str(), ms, 100.0 * ms / total, rate);
  }
  std::printf("    %-32s %9.2f  (the rest of the wall step is host time between phases)\n", "sum of phases", total);
}
#endif

// Same model and step as pytorch_reference.py (defaults), on the device.
int cudaBench(const CudaBenchConfig& b) {
  const ModelConfig c = modelOfSize(b.vocab, b.hidden, b.layers, b.heads, b.kvHeads, b.ffn, b.seq);
  const int B = b.batch, T = b.seq;
  try {
    c.validate();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_trainer: bad model size: %s\n", e.what());
    return 2;
  }
  LlamaModel layout(c);
  std::unique_ptr<DeviceModel> device;
  try {
    device = makeCudaDeviceModel(layout, 0);
  } catch (const TrainerError& e) {
    std::printf("cuda bench skipped: %s\n", e.what());
    return 0;
  }
  if (!device) {
    std::printf("cuda bench skipped: built without CUDA\n");
    return 0;
  }
  std::vector<int32_t> tokens, targets;
  randomBatch(static_cast<size_t>(B) * T, std::min(256, b.vocab), tokens, targets);
  float loss = 0;
  auto step = [&] {
    device->zeroGrads();
    loss = device->forward(tokens.data(), targets.data(), B, T);  // returns after a device sync
    device->backward(1.0f);
    device->clipGradients(1.0);
    device->adamwStep(AdamWSettings{}, 1.17e-4);
  };
  step();
#ifdef TANDEM_TRAINER_HAVE_CUDA
  const cuda::GemmLaunchCounts gemmsBefore = cuda::gemmLaunchCounts();
#endif
  const auto t = std::chrono::steady_clock::now();
  for (int i = 0; i < b.steps; ++i) step();
  const double elapsed = seconds(t);
  const double tps = static_cast<double>(tokens.size()) * b.steps / elapsed;
  const double tflops = tps * layout.flopsPerToken(T) * 1e-12;
  std::printf("tandem-trainer cuda (%s): d%d L%d H%d/%d ffn %d T%d B%d, %zu params, %.0f tokens/s, %.1f TFLOP/s, "
              "MFU %.1f%% (peak %.0f), loss %.3f\n",
              device->describe().c_str(), b.hidden, b.layers, b.heads, b.kvHeads, b.ffn, T, B, layout.params().size(),
              tps, tflops, 100.0 * tflops / b.peakTflops, b.peakTflops, loss);
#ifdef TANDEM_TRAINER_HAVE_CUDA
  const cuda::GemmLaunchCounts gemms = cuda::gemmLaunchCounts();
  const cuda::GemmPathInfo path = cuda::gemmPathInfo();
  const auto per = [&](uint64_t after, uint64_t before) {
    return static_cast<unsigned long long>((after - before) / static_cast<uint64_t>(std::max(1, b.steps)));
  };
  std::printf("  attention path: %s (TANDEM_CUDA_ATTENTION=flash|reference)\n",
              cuda::attentionPathName(cuda::attentionPath()));
  std::printf("  GEMM path: %s; GEMMs per step: %llu cuBLAS, %llu tensor cores (WMMA), %llu CUDA cores\n",
              cuda::gemmPathName(path.path), per(gemms.cublas, gemmsBefore.cublas),
              per(gemms.tensorCores, gemmsBefore.tensorCores), per(gemms.simt, gemmsBefore.simt));
  if (path.cublasUsable) {
    std::printf("  cuBLAS %s (%s)%s\n", path.cublasVersion.c_str(), path.cublasLibrary.c_str(),
                path.forced ? ", not used: TANDEM_CUDA_GEMM chose another path" : "");
  } else if (path.forced) {
    std::printf("  cuBLAS not used: TANDEM_CUDA_GEMM=%s\n", cuda::gemmPathName(path.path));
  } else {
    // The default path wanted cuBLAS: gpu-check.sh fails its cuBLAS step on this line.
    std::printf("  skipped: cuBLAS not loadable (%s)\n", path.cublasReason.c_str());
  }
  if (auto* model = dynamic_cast<CudaLlamaModel*>(device.get()); model && b.breakdownSteps > 0) {
    printBreakdown(*model, c, step, b.breakdownSteps, static_cast<double>(tokens.size()), elapsed * 1e3 / b.steps);
  }
#endif
  return 0;
}

int main(int argc, char** argv) {
  int steps = 5;
  bool cuda = false;
  CudaBenchConfig cudaConfig;
  bool stepsGiven = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--cuda") {
      cuda = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "bench_trainer: %s needs a value\n", a.c_str());
      return 2;
    }
    const char* v = argv[++i];
    if (a == "--steps") {
      steps = std::atoi(v);
      stepsGiven = true;
    } else if (a == "--peak-tflops") cudaConfig.peakTflops = std::atof(v);
    else if (a == "--vocab") cudaConfig.vocab = std::atoi(v);
    else if (a == "--hidden") cudaConfig.hidden = std::atoi(v);
    else if (a == "--layers") cudaConfig.layers = std::atoi(v);
    else if (a == "--heads") cudaConfig.heads = std::atoi(v);
    else if (a == "--kv-heads") cudaConfig.kvHeads = std::atoi(v);
    else if (a == "--ffn") cudaConfig.ffn = std::atoi(v);
    else if (a == "--seq") cudaConfig.seq = std::atoi(v);
    else if (a == "--batch") cudaConfig.batch = std::atoi(v);
    else if (a == "--breakdown-steps") cudaConfig.breakdownSteps = std::atoi(v);
#ifdef _OPENMP
    else if (a == "--threads") omp_set_num_threads(std::atoi(v));
#endif
    else {
      std::fprintf(stderr, "bench_trainer: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (stepsGiven) cudaConfig.steps = std::max(1, steps);
  if (cuda) return cudaBench(cudaConfig);
  std::printf("matmul kernel peak (512x512x512 forward): %.2f GFLOP/s\n", matmulPeakGflops());
  std::printf("%-28s %10s %8s %12s %10s %8s\n", "model", "params", "tokens", "tokens/s", "GFLOP/s", "of peak");
  struct Size {
    const char* name;
    int d, layers, heads, ffn, T, B;
  };
  const double peak = matmulPeakGflops();
  for (const Size& s : {Size{"d128 L2 T64 B8", 128, 2, 4, 384, 64, 8}, Size{"d256 L4 T128 B4", 256, 4, 4, 704, 128, 4},
                        Size{"d512 L4 T128 B4", 512, 4, 8, 1408, 128, 4}}) {
    LlamaModel model(modelOfSize(ModelConfig{}.vocabSize, s.d, s.layers, s.heads, s.heads, s.ffn, s.T));
    AdamW opt(model.params().size());
    std::vector<int32_t> tokens, targets;
    randomBatch(static_cast<size_t>(s.B) * s.T, 256, tokens, targets);
    auto step = [&] {
      model.params().zeroGrads();
      model.forward(tokens.data(), targets.data(), s.B, s.T);
      model.backward(1.0f);
      opt.step(model.params(), AdamWSettings{}, 1e-4);
    };
    step();  // warm-up (allocations)
    const auto t = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) step();
    const double tps = static_cast<double>(tokens.size()) * steps / seconds(t);
    const double gflops = tps * model.flopsPerToken(s.T) * 1e-9;
    std::printf("%-28s %10zu %8zu %12.0f %10.2f %7.0f%%\n", s.name, model.params().size(), tokens.size(), tps, gflops,
                100.0 * gflops / peak);
  }
  return 0;
}
