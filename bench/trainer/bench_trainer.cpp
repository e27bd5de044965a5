// One file: one benchmark program (CMake target bench_trainer) whose CPU and CUDA runs share the model sizes, batches and timers at its top.
// Trainer throughput: tokens/s and GFLOP/s of full training steps
// (forward + backward + clipping + AdamW).
//   bench_trainer [--full] [--steps N] [--threads N] [--reference]
//       CPU: three model sizes up to 90.7M parameters (four with --full);
//       for each, the training step's GFLOP/s (6·N·tokens + attention)
//       beside OpenBLAS's sgemm GFLOP/s at the model's own GEMM shapes, both
//       as the library threads one call (the "sgemm" figure the step is
//       compared with) and as the trainer calls it (tiles on the OpenMP
//       threads, kernels/cpu_gemm.h), and the ratio "NN % of sgemm".
//       The default is the quick run (about a minute on 2 cores); --full
//       takes longer sequences and batches, more steps, and --reference.
//       --reference also times the step and the GEMMs on our kernel.
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

#include "kernels/cpu_gemm.h"
#include "kernels/matmul.h"
#include "model/device_model.h"
#include "kernels/cuda_kernels.h"
#include "model/llama_model.h"
#include "util/errors.h"
#include "optim/adamw.h"
#include "optim/grad_clip.h"
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

class ScopedPath {
 public:
  explicit ScopedPath(cpu::CpuGemmPath path) : before_(cpu::cpuGemmPath()) { cpu::setCpuGemmPath(path); }
  ~ScopedPath() { cpu::setCpuGemmPath(before_); }

 private:
  cpu::CpuGemmPath before_;
};

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

// ---- CPU ----

// One Linear layer's weight shape and how many of it a step runs.
struct LinearShape {
  int in, out, count;
};

// The model's Linear layers (LlamaModel::forward), equal shapes merged.
std::vector<LinearShape> linearShapes(const ModelConfig& c) {
  const int L = c.numLayers, d = c.hiddenSize, F = c.intermediateSize;
  std::vector<LinearShape> shapes;
  auto add = [&](int in, int out, int count) {
    for (LinearShape& s : shapes) {
      if (s.in == in && s.out == out) {
        s.count += count;
        return;
      }
    }
    shapes.push_back(LinearShape{in, out, count});
  };
  add(d, c.qDim(), L);       // q
  add(d, c.kvDim(), 2 * L);  // k, v
  add(c.qDim(), d, L);       // o
  add(d, F, 2 * L);          // gate, up
  add(F, d, L);              // down
  add(d, c.vocabSize, 1);    // LM head
  return shapes;
}

enum class GemmRunner {
  library,    // one cblas_sgemm on OpenBLAS's own threads
  tiled,      // as the trainer calls OpenBLAS (kernels/cpu_gemm.h)
  reference,  // our kernel (matmul*Reference)
};

// The fastest of f()'s repetitions, repeated for at least minSeconds (and
// 3 times), after one untimed call. The best time, not the mean: on cores
// shared with other work the mean measures the neighbours; the step is
// timed the same way, so the ratio compares like with like.
template <class F>
double timeIt(F&& f, double minSeconds) {
  f();
  int reps = 0;
  double best = 1e300;
  const auto start = std::chrono::steady_clock::now();
  do {
    const auto t = std::chrono::steady_clock::now();
    f();
    best = std::min(best, seconds(t));
    ++reps;
  } while (reps < 3 || seconds(start) < minSeconds);
  return best;
}

// A step's GEMMs at the model's shapes with `rows` token positions: the
// forward product and the backward pair (dinp, dweight) of every Linear,
// each shape timed once and counted as often as the step runs it.
struct GemmTiming {
  double seconds = 0, flops = 0;
  double gflops() const { return seconds > 0 ? flops / seconds * 1e-9 : 0; }
};

GemmTiming stepGemms(const ModelConfig& c, int rows, GemmRunner runner, int threads, double minSeconds) {
  GemmTiming total;
  for (const LinearShape& s : linearShapes(c)) {
    const int in = s.in, out = s.out;
    SplitMix64 rng(static_cast<uint64_t>(in) * 7919 + out);
    auto fill = [&](size_t n) {
      std::vector<float> v(n);
      for (float& x : v) x = static_cast<float>(rng.normal() * 0.1);
      return v;
    };
    const std::vector<float> x = fill(static_cast<size_t>(rows) * in), w = fill(static_cast<size_t>(out) * in),
                             dy = fill(static_cast<size_t>(rows) * out);
    std::vector<float> y(static_cast<size_t>(rows) * out), dx(x.size(), 0.0f), dw(w.size(), 0.0f);
    double t = 0;
    switch (runner) {
      case GemmRunner::library:
        t = timeIt([&] { cpu::blasSgemmOwnThreads(threads, false, true, rows, out, in, 1.0f, x.data(), in, w.data(), in,
                                                  0.0f, y.data(), out); }, minSeconds) +
            timeIt([&] {
              cpu::blasSgemmOwnThreads(threads, false, false, rows, in, out, 1.0f, dy.data(), out, w.data(), in, 1.0f,
                                       dx.data(), in);
              cpu::blasSgemmOwnThreads(threads, true, false, out, in, rows, 1.0f, dy.data(), out, x.data(), in, 1.0f,
                                       dw.data(), in);
            }, minSeconds);
        break;
      case GemmRunner::tiled:
        t = timeIt([&] { cpu::blasSgemm(false, true, rows, out, in, 1.0f, x.data(), in, w.data(), in, 0.0f, y.data(),
                                        out); }, minSeconds) +
            timeIt([&] {
              cpu::blasSgemm(false, false, rows, in, out, 1.0f, dy.data(), out, w.data(), in, 1.0f, dx.data(), in);
              cpu::blasSgemm(true, false, out, in, rows, 1.0f, dy.data(), out, x.data(), in, 1.0f, dw.data(), in);
            }, minSeconds);
        break;
      case GemmRunner::reference:
        t = timeIt([&] { cpu::matmulForwardReference(y.data(), x.data(), w.data(), rows, in, out); }, minSeconds) +
            timeIt([&] {
              cpu::matmulBackwardReference(dx.data(), dw.data(), dy.data(), x.data(), w.data(), rows, in, out);
            }, minSeconds);
        break;
    }
    total.seconds += s.count * t;
    total.flops += s.count * 6.0 * rows * static_cast<double>(in) * out;
  }
  return total;
}

struct StepTiming {
  double tokensPerSecond = 0, gflops = 0, stepSeconds = 0;
  size_t params = 0;
};

// Full training steps as the trainer's inner step runs them: forward,
// backward, clipping, AdamW. One warm-up step (allocations), then `steps`,
// of which the fastest counts (see timeIt).
StepTiming trainingSteps(const ModelConfig& c, int B, int T, int steps) {
  LlamaModel model(c);
  AdamW opt(model.params().size());
  std::vector<int32_t> tokens, targets;
  randomBatch(static_cast<size_t>(B) * T, std::min(256, c.vocabSize), tokens, targets);
  StepTiming r;
  r.params = model.params().size();
  auto step = [&] {
    model.params().zeroGrads();
    model.forward(tokens.data(), targets.data(), B, T);
    model.backward(1.0f);
    clipGradientNorm(model.params().allGrads(), 1.0);
    opt.step(model.params(), AdamWSettings{}, 1e-4);
  };
  step();
  r.stepSeconds = 1e300;
  for (int i = 0; i < steps; ++i) {
    const auto t = std::chrono::steady_clock::now();
    step();
    r.stepSeconds = std::min(r.stepSeconds, seconds(t));
  }
  r.tokensPerSecond = static_cast<double>(tokens.size()) / r.stepSeconds;
  r.gflops = r.tokensPerSecond * model.flopsPerToken(T) * 1e-9;
  return r;
}

std::string millions(size_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fM", static_cast<double>(n) / 1e6);
  return buf;
}

int cpuBench(bool full, int steps, bool withReference) {
  struct Size {
    int d, layers, heads, kvHeads, ffn, T, B;
  };
  // Up to pytorch_reference.py's 90.7M parameters (d1024 L8 H16/4 ffn 2816).
  std::vector<Size> sizes = {Size{256, 4, 4, 4, 704, 128, 4}, Size{512, 8, 8, 8, 1408, 128, 4},
                             Size{1024, 8, 16, 4, 2816, 128, 2}};
  if (full) {
    sizes = {Size{256, 4, 4, 4, 704, 256, 8}, Size{512, 8, 8, 8, 1408, 256, 8}, Size{768, 12, 12, 12, 2048, 256, 4},
             Size{1024, 8, 16, 4, 2816, 256, 4}};
  }
  const double minSeconds = full ? 0.5 : 0.1;
#ifdef _OPENMP
  const int threads = omp_get_max_threads();
#else
  const int threads = 1;
#endif
  const cpu::CpuGemmInfo info = cpu::cpuGemmInfo();
  const bool blas = info.openblasUsable;
  std::printf("tandem-trainer CPU, %d thread%s, %s run; training step FLOPs = 6·N·tokens (N: the Linear weights, LM "
              "head included) + causal attention\n",
              threads, threads == 1 ? "" : "s", full ? "full" : "quick");
  if (blas) {
    std::printf("GEMMs on %s: OpenBLAS %s (%s kernels, %s); \"sgemm\" = one cblas_sgemm on OpenBLAS's own %d "
                "thread%s at the model's GEMM shapes,\n  \"tiled\" = the same products as the trainer calls them "
                "(single-threaded OpenBLAS on fixed tiles over the OpenMP threads)\n",
                cpu::cpuGemmPathName(info.path), info.openblasVersion.c_str(), info.openblasCore.c_str(),
                info.openblasLinkage.c_str(), threads, threads == 1 ? "" : "s");
  } else {
    std::printf("%s: GEMMs on our kernel, and the step is compared with our kernel at the model's GEMM "
                "shapes\n",
                info.openblasReason.c_str());
    withReference = false;  // it is the only path
  }
  std::printf("%-34s %7s %6s %8s %9s %9s %9s %9s %7s  %s\n", "model", "params", "tokens", "step ms", "tokens/s",
              "GFLOP/s", blas ? "sgemm" : "kernel", blas ? "tiled" : "", "GEMMs", "step vs GEMMs");
  for (const Size& s : sizes) {
    const ModelConfig c = modelOfSize(ModelConfig{}.vocabSize, s.d, s.layers, s.heads, s.kvHeads, s.ffn, s.T);
    const int rows = s.B * s.T;
    char name[96];
    std::snprintf(name, sizeof name, "d%d L%d H%d/%d ffn %d T%d B%d", s.d, s.layers, s.heads, s.kvHeads, s.ffn, s.T,
                  s.B);
    if (blas) {
      const GemmTiming library = stepGemms(c, rows, GemmRunner::library, threads, minSeconds);
      const GemmTiming tiled = stepGemms(c, rows, GemmRunner::tiled, threads, minSeconds);
      const ScopedPath onBlas(cpu::CpuGemmPath::openblas);
      const StepTiming step = trainingSteps(c, s.B, s.T, steps);
      std::printf("%-34s %7s %6d %8.0f %9.0f %9.1f %9.1f %9.1f %6.0f%%  %.0f %% of sgemm\n", name,
                  millions(step.params).c_str(), rows, step.stepSeconds * 1e3, step.tokensPerSecond, step.gflops,
                  library.gflops(), tiled.gflops(), 100.0 * tiled.seconds / step.stepSeconds,
                  100.0 * step.gflops / library.gflops());
      if (withReference) {
        const GemmTiming ours = stepGemms(c, rows, GemmRunner::reference, threads, minSeconds);
        const ScopedPath onOurs(cpu::CpuGemmPath::reference);
        const StepTiming refStep = trainingSteps(c, s.B, s.T, steps);
        std::printf("%-34s %7s %6s %8.0f %9.0f %9.1f %9s %9.1f %6.0f%%  %.0f %% of sgemm; OpenBLAS step %.1fx faster\n",
                    "  same on our kernel", "", "", refStep.stepSeconds * 1e3, refStep.tokensPerSecond, refStep.gflops,
                    "", ours.gflops(), 100.0 * ours.seconds / refStep.stepSeconds,
                    100.0 * refStep.gflops / library.gflops(), refStep.stepSeconds / step.stepSeconds);
      }
    } else {
      const GemmTiming ours = stepGemms(c, rows, GemmRunner::reference, threads, minSeconds);
      const StepTiming step = trainingSteps(c, s.B, s.T, steps);
      std::printf("%-34s %7s %6d %8.0f %9.0f %9.1f %9.1f %9s %6.0f%%  %.0f %% of our kernel\n", name,
                  millions(step.params).c_str(), rows, step.stepSeconds * 1e3, step.tokensPerSecond, step.gflops,
                  ours.gflops(), "", 100.0 * ours.seconds / step.stepSeconds, 100.0 * step.gflops / ours.gflops());
    }
    std::fflush(stdout);
  }
  std::printf("GFLOP/s: the training step's (best of %d steps); sgemm / tiled / kernel: the step's GEMMs alone at "
              "its shapes (best of several runs each); GEMMs: their time (%s) as a share of the step\n",
              steps, blas ? "tiled" : "our kernel");
  return 0;
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
  bool full = false, reference = false;
  CudaBenchConfig cudaConfig;
  bool stepsGiven = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--cuda") {
      cuda = true;
      continue;
    }
    if (a == "--full" || a == "--quick") {
      full = a == "--full";
      continue;
    }
    if (a == "--reference") {
      reference = true;
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
  return cpuBench(full, stepsGiven ? std::max(1, steps) : (full ? 5 : 3), reference || full);
}
