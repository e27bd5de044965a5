// Every CUDA kernel against its CPU reference (the model as a whole is in
// test_cuda_model.cpp; tandem_trainer_cuda_tests' main is here). Inputs are
// rounded to bf16 first so both sides see the same values; outputs are
// compared by the relative error of the whole vector (bf16 keeps ~3
// significant digits).
// Without CUDA in the build, or without a device, prints why and reports
// the suite (or each of its tests) as skipped, never as passed. The
// "cuda tests: skipped (...)" line is what gpu-check.sh looks for.
#include <cstdio>

#include "test_harness.h"

#ifndef TANDEM_TRAINER_HAVE_CUDA

int main() {
  std::printf("cuda tests: skipped (built without CUDA)\n");
  return testing::reportSuiteSkipped("cuda tests (all)", "built without CUDA (nvcc not found when the trainer was configured)");
}

#else

#include <cuda_runtime.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "cuda_test_buffers.h"
#include "fixtures.h"
#include "gradcheck.h"
#include "kernels/cross_entropy.h"
#include "kernels/cuda_kernels.h"
#include "kernels/embedding.h"
#include "kernels/gemm_path.h"
#include "kernels/matmul.h"
#include "kernels/rmsnorm.h"
#include "kernels/rope.h"
#include "kernels/residual.h"
#include "kernels/swiglu.h"
#include "kernels/token_buckets.h"
#include "optim/adamw.h"
#include "scoped_gemm_path.h"

using namespace trainer;
using namespace cudatest;
using bf16 = cuda::bf16;

// Our kernels (the reference cuBLAS is compared with): odd shapes take the
// CUDA-core kernel; multiples of 16 with aligned operands take the
// tensor-core (WMMA) one. Both against the CPU.
TEST(cuda_matmul) {
  const ScopedGemmPath ours(cuda::GemmPath::wmma);
  struct Shape {
    int rows, in, out;
    bool tensorCores;
  };
  for (const Shape& sh : {Shape{37, 48, 29, false}, Shape{48, 64, 80, true}, Shape{80, 96, 16, true}}) {
    const int rows = sh.rows, in = sh.in, out = sh.out;
    auto x = roundedRandom(rows * in, 1), w = roundedRandom(out * in, 2), dy = roundedRandom(rows * out, 3);
    std::vector<float> y(rows * out), dx(rows * in, 0.5f), dw(out * in, 0.25f);
    cpu::matmulForward(y.data(), x.data(), w.data(), rows, in, out);
    cpu::matmulBackward(dx.data(), dw.data(), dy.data(), x.data(), w.data(), rows, in, out);
    // The backward products accumulate into what is there already.
    Bf16Buffer gx(x), gw(w), gdy(dy), gy(zeros(rows * out)), gdx(zeros(rows * in, 0.5f));
    FloatBuffer gdw(zeros(out * in, 0.25f));
    const cuda::GemmLaunchCounts before = cuda::gemmLaunchCounts();
    cuda::matmulForward(gy.get(), gx.get(), gw.get(), rows, in, out);
    cuda::matmulBackward(gdx.get(), gdw.get(), gdy.get(), gx.get(), gw.get(), rows, in, out);
    const cuda::GemmLaunchCounts after = cuda::gemmLaunchCounts();
    CHECK_MSG(after.tensorCores - before.tensorCores == (sh.tensorCores ? 3u : 0u) &&
                  after.simt - before.simt == (sh.tensorCores ? 0u : 3u) && after.cublas == before.cublas,
              rows << "x" << in << "x" << out << ": " << after.tensorCores - before.tensorCores << " tensor-core and "
                   << after.simt - before.simt << " CUDA-core GEMMs");
    CHECK_CLOSE(y, gy.floats(), "forward");
    CHECK_CLOSE(dx, gdx.floats(), "dinp");
    CHECK_CLOSE(dw, gdw.download(), "dweight");
  }
}

// cuBLAS against our WMMA/SIMT kernels (the reference) and the CPU, on the
// shapes a model uses: q/k/v/o, gate/up/down (1024/2816 as in the
// benchmark, fewer rows), the 258-token LM head, and odd sizes; each with
// the forward product (weight transposed), dinp (accumulated into bf16) and
// dweight (the activations transposed, accumulated into fp32, twice: tied
// weights add two products). Without cuBLAS (the CPU emulator, a machine
// with only the driver) it says so; gpu-check.sh counts that line as a
// failure on a GPU.
TEST(cuda_cublas_matches_our_gemms) {
  const cuda::GemmPathInfo info = cuda::gemmPathInfo();
  if (!info.cublasUsable) SKIP_TEST("cuBLAS not loadable (" << info.cublasReason << ")");
  struct Shape {
    int rows, in, out;
  };
  for (const Shape& sh : {Shape{37, 48, 29}, Shape{64, 64, 16}, Shape{128, 64, 258}, Shape{256, 1024, 256},
                          Shape{256, 1024, 2816}, Shape{256, 2816, 1024}}) {
    const int rows = sh.rows, in = sh.in, out = sh.out;
    const double scale = 1.0 / std::sqrt(static_cast<double>(in));  // activations of a trained-like size
    auto x = roundedRandom(static_cast<size_t>(rows) * in, 31), w = roundedRandom(static_cast<size_t>(out) * in, 32, scale);
    auto dy = roundedRandom(static_cast<size_t>(rows) * out, 33);
    std::vector<float> y(static_cast<size_t>(rows) * out), dx(static_cast<size_t>(rows) * in, 0.5f),
        dw(static_cast<size_t>(out) * in, 0.25f);
    cpu::matmulForward(y.data(), x.data(), w.data(), rows, in, out);
    cpu::matmulBackward(dx.data(), dw.data(), dy.data(), x.data(), w.data(), rows, in, out);
    cpu::matmulBackward(nullptr, dw.data(), dy.data(), x.data(), w.data(), rows, in, out);
    struct Result {
      std::vector<float> y, dx, dw;
    };
    auto onDevice = [&](cuda::GemmPath path) {
      const ScopedGemmPath scoped(path);
      Bf16Buffer gx(x), gw(w), gdy(dy), gy(zeros(y.size())), gdx(zeros(dx.size(), 0.5f));
      FloatBuffer gdw(zeros(dw.size(), 0.25f));
      const cuda::GemmLaunchCounts before = cuda::gemmLaunchCounts();
      cuda::matmulForward(gy.get(), gx.get(), gw.get(), rows, in, out);
      cuda::matmulBackward(gdx.get(), gdw.get(), gdy.get(), gx.get(), gw.get(), rows, in, out);
      cuda::matmulBackward(nullptr, gdw.get(), gdy.get(), gx.get(), gw.get(), rows, in, out);
      cudaDeviceSynchronize();
      const cuda::GemmLaunchCounts after = cuda::gemmLaunchCounts();
      if (path == cuda::GemmPath::cublas) {
        CHECK_MSG(after.cublas - before.cublas == 4u && after.total() - before.total() == 4u,
                  rows << "x" << in << "x" << out << ": " << after.cublas - before.cublas << " of "
                       << after.total() - before.total() << " GEMMs on cuBLAS");
      }
      return Result{gy.floats(), gdx.floats(), gdw.download()};
    };
    const Result blas = onDevice(cuda::GemmPath::cublas), ours = onDevice(cuda::GemmPath::wmma);
    const std::string shape = std::to_string(rows) + "x" + std::to_string(in) + "x" + std::to_string(out);
    CHECK_CLOSE(y, blas.y, shape + " forward vs CPU");
    CHECK_CLOSE(dx, blas.dx, shape + " dinp vs CPU");
    CHECK_CLOSE(dw, blas.dw, shape + " dweight vs CPU");
    CHECK_CLOSE(ours.y, blas.y, shape + " forward vs our kernel");
    CHECK_CLOSE(ours.dx, blas.dx, shape + " dinp vs our kernel");
    CHECK_CLOSE(ours.dw, blas.dw, shape + " dweight vs our kernel");
  }
}

// Where the GEMM path comes from: cuBLAS when it loads, else our kernels with
// the reason; never cuBLAS on the CPU emulator; a request for cuBLAS where it
// cannot run fails and names why.
TEST(cuda_gemm_path_selection) {
  const cuda::GemmPathInfo info = cuda::gemmPathInfo();
  if (info.cublasUsable) {
    CHECK(!info.cublasVersion.empty() && !info.cublasLibrary.empty());
  } else {
    CHECK(info.path != cuda::GemmPath::cublas && !info.cublasReason.empty());
    bool threw = false;
    try {
      cuda::setGemmPath(cuda::GemmPath::cublas);
    } catch (const std::runtime_error& e) {
      threw = std::string(e.what()).find("cuBLAS not loadable") != std::string::npos;
    }
    CHECK(threw);
    CHECK(cuda::gemmPath() == info.path);
  }
#ifdef TANDEM_CUDA_EMULATOR
  CHECK(!info.cublasUsable && info.cublasReason.find("emulator") != std::string::npos);
#endif
  {
    const ScopedGemmPath simt(cuda::GemmPath::simt);
    Bf16Buffer a(roundedRandom(32 * 32, 41)), b(roundedRandom(32 * 32, 42)), c(zeros(32 * 32));
    const cuda::GemmLaunchCounts before = cuda::gemmLaunchCounts();
    cuda::matmulForward(c.get(), a.get(), b.get(), 32, 32, 32);
    CHECK(cuda::gemmLaunchCounts().simt == before.simt + 1);
  }
  CHECK(cuda::gemmPath() == info.path);
}

TEST(cuda_embedding) {
  const int vocab = 11, dim = 40, count = 25;
  std::vector<int32_t> tokens(count);
  for (int i = 0; i < count; ++i) tokens[i] = (i * 7) % vocab;
  auto table = roundedRandom(vocab * dim, 4), dy = roundedRandom(count * dim, 5);
  std::vector<float> y(count * dim), dt(vocab * dim, 0.0f);
  cpu::embeddingForward(y.data(), tokens.data(), table.data(), count, dim);
  cpu::embeddingBackward(dt.data(), dy.data(), tokens.data(), count, dim);
  DeviceBuffer<int32_t> gt(count);
  gt.upload(tokens);
  const TokenBuckets buckets = bucketTokens(tokens.data(), count, vocab);
  const int bucketCount = static_cast<int>(buckets.tokens.size());
  DeviceBuffer<int32_t> gbt(buckets.tokens.size()), gbs(buckets.starts.size()), gbp(buckets.positions.size());
  gbt.upload(buckets.tokens);
  gbs.upload(buckets.starts);
  gbp.upload(buckets.positions);
  FloatBuffer gtable(table), gdt(zeros(vocab * dim, 0.0f));
  Bf16Buffer gy(zeros(count * dim)), gdy(dy);
  cuda::embeddingForward(gy.get(), gt.get(), gtable.get(), count, dim);
  cuda::embeddingBackward(gdt.get(), gdy.get(), gbt.get(), gbs.get(), gbp.get(), bucketCount, dim);
  CHECK_CLOSE(y, gy.floats(), "forward");
  CHECK_CLOSE(dt, gdt.download(), "dtable");
}

// 19 rows: one chunk of the weight gradient's two-pass sum; 150: three, the
// last one partial.
TEST(cuda_rmsnorm) {
  for (const int rows : {19, 150}) {
    const int dim = 72;
    auto x = roundedRandom(rows * dim, 6), w = roundedRandom(dim, 7), dy = roundedRandom(rows * dim, 8);
    std::vector<float> y(rows * dim), rstd(rows), dx(rows * dim, 0.0f), dw(dim, 0.5f);
    cpu::rmsnormForward(y.data(), rstd.data(), x.data(), w.data(), rows, dim, 1e-5f);
    cpu::rmsnormBackward(dx.data(), dw.data(), dy.data(), x.data(), w.data(), rstd.data(), rows, dim);
    Bf16Buffer gx(x), gy(zeros(rows * dim)), gdy(dy), gdx(zeros(rows * dim, 0.0f));
    FloatBuffer gw(w), grstd(zeros(rows)), gdw(zeros(dim, 0.5f));
    FloatBuffer scratch(zeros(static_cast<size_t>(cuda::rmsnormBackwardScratch(rows, dim))));
    cuda::rmsnormForward(gy.get(), grstd.get(), gx.get(), gw.get(), rows, dim, 1e-5f);
    cuda::rmsnormBackward(gdx.get(), gdw.get(), gdy.get(), gx.get(), gw.get(), grstd.get(), rows, dim, scratch.get());
    CHECK_CLOSE(y, gy.floats(), "forward");
    CHECK_CLOSE(rstd, grstd.download(), "rstd");
    CHECK_CLOSE(dx, gdx.floats(), "dinp");
    CHECK_CLOSE(dw, gdw.download(), "dweight (accumulated)");
  }
}

TEST(cuda_rope) {
  const int B = 2, T = 9, heads = 3, hd = 16;
  std::vector<float> c(T * hd / 2), s(T * hd / 2);
  cpu::ropeTables(c.data(), s.data(), T, hd, 10000.0);
  auto x = roundedRandom(B * T * heads * hd, 9);
  std::vector<float> y = x, dx = x;
  cpu::ropeForward(y.data(), c.data(), s.data(), B, T, heads, hd);
  cpu::ropeBackward(dx.data(), c.data(), s.data(), B, T, heads, hd);
  FloatBuffer gc(c), gs(s);
  Bf16Buffer gy(x), gdx(x);
  cuda::ropeForward(gy.get(), gc.get(), gs.get(), B, T, heads, hd);
  cuda::ropeBackward(gdx.get(), gc.get(), gs.get(), B, T, heads, hd);
  CHECK_CLOSE(y, gy.floats(), "forward");
  CHECK_CLOSE(dx, gdx.floats(), "backward");
}

TEST(cuda_swiglu) {
  const long n = 1000;
  auto g = roundedRandom(n, 14, 2.0), u = roundedRandom(n, 15), dy = roundedRandom(n, 16);
  std::vector<float> y(n), dg(n, 0.0f), du(n, 0.0f);
  cpu::swigluForward(y.data(), g.data(), u.data(), n);
  cpu::swigluBackward(dg.data(), du.data(), dy.data(), g.data(), u.data(), n);
  Bf16Buffer gg(g), gu(u), gdy(dy), gy(zeros(n)), gdg(zeros(n, 0.0f)),
      gdu(std::vector<float>(n, 0.0f));
  cuda::swigluForward(gy.get(), gg.get(), gu.get(), n);
  cuda::swigluBackward(gdg.get(), gdu.get(), gdy.get(), gg.get(), gu.get(), n);
  CHECK_CLOSE(y, gy.floats(), "forward");
  CHECK_CLOSE(dg, gdg.floats(), "dgate");
  CHECK_CLOSE(du, gdu.floats(), "dup");
}

TEST(cuda_cross_entropy) {
  const int rows = 6, vocab = 300;
  auto logits = roundedRandom(rows * vocab, 17, 3.0);
  std::vector<int32_t> targets = {0, 299, -1, 17, 17, 150};
  std::vector<float> losses(rows), dl(rows * vocab);
  long valid = 0;
  cpu::crossEntropyForward(losses.data(), logits.data(), targets.data(), rows, vocab, &valid);
  cpu::crossEntropyBackward(dl.data(), logits.data(), targets.data(), rows, vocab, 1.0f / valid);
  Bf16Buffer gl(logits), gdl(zeros(rows * vocab));
  DeviceBuffer<int32_t> gt(rows);
  gt.upload(targets);
  FloatBuffer glosses(zeros(rows));
  cuda::crossEntropyForward(glosses.get(), gl.get(), gt.get(), rows, vocab);
  cuda::crossEntropyBackward(gdl.get(), gl.get(), gt.get(), rows, vocab, 1.0f / valid);
  CHECK_CLOSE(losses, glosses.download(), "losses");
  CHECK_CLOSE(dl, gdl.floats(), "dlogits");
}

TEST(cuda_adamw) {
  const long n = 777;
  auto p = roundedRandom(n, 18), g = roundedRandom(n, 19), m = roundedRandom(n, 20, 0.1), v = roundedRandom(n, 21, 0.1);
  for (float& x : v) x = std::fabs(x);
  std::vector<float> cp = p, cm = m, cv = v;
  cpu::adamwUpdate(cp.data(), g.data(), cm.data(), cv.data(), n, 1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f, 3);
  FloatBuffer gp(p), gg(g), gm(m), gv(v);
  Bf16Buffer gpb(zeros(n));
  cuda::adamwUpdate(gp.get(), gpb.get(), gg.get(), gm.get(), gv.get(), n, 1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f, 3);
  CHECK_CLOSE(cp, gp.download(), "param");
  CHECK_CLOSE(cm, gm.download(), "m");
  CHECK_CLOSE(cv, gv.download(), "v");
  CHECK_CLOSE(cp, gpb.floats(), "bf16 copy");
}

TEST(cuda_residual_add) {
  const long n = 513;
  auto y = roundedRandom(n, 22), x = roundedRandom(n, 23);
  std::vector<float> expected = y;
  cpu::residualAdd(expected.data(), x.data(), n);
  Bf16Buffer gy(y), gx(x);
  cuda::residualAdd(gy.get(), gx.get(), n);
  CHECK_CLOSE(expected, gy.floats(), "residual");
}

int main(int argc, char** argv) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    const std::string reason = std::string("no CUDA device: ") + (err != cudaSuccess ? cudaGetErrorString(err) : "none");
    std::printf("cuda tests: skipped (%s)\n", reason.c_str());
    return testing::runRegisteredTests(argc > 1 ? argv[1] : nullptr, reason.c_str());
  }
#ifdef TANDEM_CUDA_EMULATOR
  std::printf("cuda tests: on the CPU CUDA emulator (%d emulated devices): kernel logic, not GPU behaviour\n", count);
#endif
  return testing::runRegisteredTests(argc > 1 ? argv[1] : nullptr);
}

#endif
