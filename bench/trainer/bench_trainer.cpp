// Trainer throughput: tokens/s and GFLOP/s of full training steps
// (forward + backward + clipping + AdamW).
//   bench_trainer [--steps 5] [--threads N]
//       CPU, a few model sizes, beside the measured peak of the matmul kernel
//   bench_trainer --cuda [--steps 20] [--peak-tflops 989]
//       the CUDA path (DeviceModel) on device 0 with the default size of
//       bench/trainer/pytorch_reference.py, MFU against the given bf16 peak
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <memory>
#include <vector>

#include "kernels/matmul.h"
#include "model/device_model.h"
#include "kernels/cuda_kernels.h"
#include "model/llama_model.h"
#include "util/errors.h"
#include "optim/adamw.h"
#include "util/rng.h"

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
}  // namespace

// Same model and step as pytorch_reference.py (defaults), on the device.
int cudaBench(int steps, double peakTflops) {
  ModelConfig c;
  c.vocabSize = 258;
  c.hiddenSize = 1024;
  c.numLayers = 8;
  c.numHeads = 16;
  c.numKvHeads = 4;
  c.intermediateSize = 2816;
  c.maxSeqLen = 1024;
  const int B = 8, T = 1024;
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
  std::vector<int32_t> tokens(static_cast<size_t>(B) * T), targets(tokens.size());
  SplitMix64 rng(1);
  for (size_t i = 0; i < tokens.size(); ++i) {
    tokens[i] = static_cast<int32_t>(rng.next() % 256);
    targets[i] = static_cast<int32_t>(rng.next() % 256);
  }
  float loss = 0;
  auto step = [&] {
    device->zeroGrads();
    loss = device->forward(tokens.data(), targets.data(), B, T);  // returns after a device sync
    device->backward(1.0f);
    device->clipGradients(1.0);
    device->adamwStep(AdamWSettings{}, 1.17e-4);
  };
  step();
  const auto t = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  const double tps = static_cast<double>(tokens.size()) * steps / seconds(t);
  const double tflops = tps * layout.flopsPerToken(T) * 1e-12;
  std::printf("tandem-trainer cuda (%s): %zu params, %.0f tokens/s, %.1f TFLOP/s, MFU %.1f%% (peak %.0f), loss %.3f\n",
              device->describe().c_str(), layout.params().size(), tps, tflops, 100.0 * tflops / peakTflops, peakTflops,
              loss);
#ifdef TANDEM_TRAINER_HAVE_CUDA
  const cuda::GemmLaunchCounts gemms = cuda::gemmLaunchCounts();
  std::printf("  GEMMs on tensor cores: %llu of %llu (TANDEM_CUDA_GEMM=simt forces CUDA cores)\n",
              static_cast<unsigned long long>(gemms.tensorCores),
              static_cast<unsigned long long>(gemms.tensorCores + gemms.simt));
#endif
  return 0;
}

int main(int argc, char** argv) {
  int steps = 5;
  bool cuda = false;
  double peakTflops = 989.0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--cuda") {
      cuda = true;
      continue;
    }
    if (i + 1 >= argc) break;
    if (a == "--steps") steps = std::atoi(argv[++i]);
    else if (a == "--peak-tflops") peakTflops = std::atof(argv[++i]);
#ifdef _OPENMP
    else if (a == "--threads") omp_set_num_threads(std::atoi(argv[++i]));
#endif
  }
  if (cuda) return cudaBench(steps, peakTflops);
  std::printf("matmul kernel peak (512x512x512 forward): %.2f GFLOP/s\n", matmulPeakGflops());
  std::printf("%-28s %10s %8s %12s %10s %8s\n", "model", "params", "tokens", "tokens/s", "GFLOP/s", "of peak");
  struct Size {
    const char* name;
    int d, layers, heads, ffn, T, B;
  };
  const double peak = matmulPeakGflops();
  for (const Size& s : {Size{"d128 L2 T64 B8", 128, 2, 4, 384, 64, 8}, Size{"d256 L4 T128 B4", 256, 4, 4, 704, 128, 4},
                        Size{"d512 L4 T128 B4", 512, 4, 8, 1408, 128, 4}}) {
    ModelConfig c;
    c.hiddenSize = s.d;
    c.numLayers = s.layers;
    c.numHeads = s.heads;
    c.numKvHeads = s.heads;
    c.intermediateSize = s.ffn;
    c.maxSeqLen = s.T;
    LlamaModel model(c);
    AdamW opt(model.params().size());
    std::vector<int32_t> tokens(static_cast<size_t>(s.B) * s.T), targets(tokens.size());
    SplitMix64 rng(1);
    for (size_t i = 0; i < tokens.size(); ++i) {
      tokens[i] = static_cast<int32_t>(rng.next() % 256);
      targets[i] = static_cast<int32_t>(rng.next() % 256);
    }
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
