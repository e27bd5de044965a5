// The CPU backend's GEMMs on OpenBLAS (kernels/cpu_gemm.h) against our
// kernel (matmul*Reference) and a double-precision definition: every
// transposition, odd shapes and leading dimensions, tile edges, accumulation,
// thread-count independence, and whole training steps on both paths. Built
// without OpenBLAS, the comparisons are skipped with the build's reason and
// the fallback is checked instead.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "fixtures.h"
#include "kernels/cpu_gemm.h"
#include "kernels/matmul.h"
#include "model/llama_model.h"
#include "optim/adamw.h"
#include "optim/grad_clip.h"
#include "test_harness.h"

#ifdef _OPENMP
#include <omp.h>
#endif

using namespace trainer;

namespace {

class ScopedCpuGemmPath {
 public:
  explicit ScopedCpuGemmPath(cpu::CpuGemmPath path) : before_(cpu::cpuGemmPath()) { cpu::setCpuGemmPath(path); }
  ~ScopedCpuGemmPath() { cpu::setCpuGemmPath(before_); }

 private:
  cpu::CpuGemmPath before_;
};

std::vector<float> randomVector(size_t n, uint64_t seed, float fill = 0.0f) {
  std::vector<float> v(n, fill);
  ::testing::Rng rng(seed);
  for (float& x : v) x = static_cast<float>(rng.gaussian());
  return v;
}

// What a float product can be off by: a few ulps of the sum of |terms|.
double tolerance(double absSum, int K) { return 1e-6 + 4.0 * (K + 2) * 5.96e-8 * absSum; }

std::string skipReason() {
  return cpu::cpuGemmInfo().openblasReason;  // "OpenBLAS not found: ..." (CMake)
}

}  // namespace

// Every build answers: OpenBLAS with a version and the kernel set it picked,
// or our kernel and why; forcing OpenBLAS where it is not built in throws.
TEST(cpu_gemm_reports_its_path) {
  const cpu::CpuGemmInfo info = cpu::cpuGemmInfo();
  if (info.openblasUsable) {
    CHECK_MSG(!info.openblasVersion.empty() && !info.openblasCore.empty(), info.openblasConfig);
    CHECK(info.openblasLinkage == "static" || info.openblasLinkage == "shared");
    CHECK(info.forced || info.path == cpu::CpuGemmPath::openblas);
  } else {
    CHECK(info.path == cpu::CpuGemmPath::reference);
    CHECK_MSG(info.openblasReason.find("OpenBLAS") != std::string::npos, info.openblasReason);
    CHECK_THROWS(cpu::setCpuGemmPath(cpu::CpuGemmPath::openblas));
    float x = 1;
    CHECK_THROWS(cpu::blasSgemm(false, false, 1, 1, 1, 1.0f, &x, 1, &x, 1, 0.0f, &x, 1));
  }
  CHECK(std::string(cpu::cpuGemmPathName(cpu::CpuGemmPath::openblas)) == "openblas");
  CHECK(std::string(cpu::cpuGemmPathName(cpu::CpuGemmPath::reference)) == "reference");
  // The tile grid is a function of the shape alone.
  CHECK(cpu::cpuGemmTiles(1, 1).rowTiles == 1 && cpu::cpuGemmTiles(1, 1).colTiles == 1);
  CHECK(cpu::cpuGemmTiles(256, 257).rowTiles == 1 && cpu::cpuGemmTiles(256, 257).colTiles == 2);
  CHECK(cpu::cpuGemmTiles(2048, 258).rowTiles == 8);
}

// blasSgemm against C = alpha·op(A)·op(B) + beta·C computed in double, for
// the four transpositions, shapes from 1 to past a tile (257 rows or
// columns: two tiles, one of them ragged), leading dimensions wider than
// the matrices (the padding must stay untouched), beta 0, 1 and 0.5.
TEST(openblas_sgemm_matches_its_definition_in_every_layout) {
  if (!cpu::cpuGemmInfo().openblasUsable) SKIP_TEST(skipReason());
  struct Shape {
    int M, N, K, pad;
    float alpha, beta;
  };
  uint64_t seed = 1;
  for (const Shape& s : {Shape{1, 1, 1, 0, 1.0f, 0.0f}, Shape{3, 5, 7, 2, 1.0f, 1.0f}, Shape{17, 33, 9, 0, 0.5f, 0.5f},
                         Shape{257, 31, 65, 3, 1.0f, 1.0f}, Shape{40, 300, 129, 1, 1.0f, 0.0f},
                         Shape{260, 259, 3, 0, 2.0f, 1.0f}}) {
    for (int layout = 0; layout < 4; ++layout) {
      const bool ta = layout & 1, tb = layout & 2;
      // Stored shapes: A is MxK (K x M when transposed), B is KxN (N x K).
      const int aRows = ta ? s.K : s.M, aCols = ta ? s.M : s.K;
      const int bRows = tb ? s.N : s.K, bCols = tb ? s.K : s.N;
      const int lda = aCols + s.pad, ldb = bCols + s.pad, ldc = s.N + s.pad;
      const std::vector<float> A = randomVector(static_cast<size_t>(aRows) * lda, seed++);
      const std::vector<float> B = randomVector(static_cast<size_t>(bRows) * ldb, seed++);
      std::vector<float> C = randomVector(static_cast<size_t>(s.M) * ldc, seed++);
      const std::vector<float> C0 = C;
      cpu::blasSgemm(ta, tb, s.M, s.N, s.K, s.alpha, A.data(), lda, B.data(), ldb, s.beta, C.data(), ldc);
      double worst = 0;
      int bad = 0;
      for (int i = 0; i < s.M; ++i) {
        for (int j = 0; j < ldc; ++j) {
          const size_t at = static_cast<size_t>(i) * ldc + j;
          if (j >= s.N) {
            bad += C[at] != C0[at];  // padding
            continue;
          }
          double acc = 0, absSum = std::fabs(static_cast<double>(s.beta) * C0[at]);
          for (int k = 0; k < s.K; ++k) {
            const double a = ta ? A[static_cast<size_t>(k) * lda + i] : A[static_cast<size_t>(i) * lda + k];
            const double b = tb ? B[static_cast<size_t>(j) * ldb + k] : B[static_cast<size_t>(k) * ldb + j];
            acc += a * b;
            absSum += std::fabs(s.alpha * a * b);
          }
          const double want = s.alpha * acc + static_cast<double>(s.beta) * C0[at];
          const double err = std::fabs(C[at] - want);
          worst = std::max(worst, err / tolerance(absSum, s.K));
          bad += err > tolerance(absSum, s.K);
        }
      }
      CHECK_MSG(bad == 0, "M" << s.M << " N" << s.N << " K" << s.K << " pad " << s.pad << (ta ? " A^T" : " A")
                              << (tb ? " B^T" : " B") << ": " << bad << " wrong elements (worst " << worst
                              << " x the tolerance)");
    }
  }
}

// The Linear layer's three products (forward; dinp and dweight, both
// accumulating into what is there; dinp null) on OpenBLAS against our
// kernel, on odd shapes and on ones spanning several tiles.
TEST(openblas_matmul_matches_our_kernel) {
  if (!cpu::cpuGemmInfo().openblasUsable) SKIP_TEST(skipReason());
  const ScopedCpuGemmPath blas(cpu::CpuGemmPath::openblas);
  struct Shape {
    int rows, in, out;
  };
  uint64_t seed = 100;
  for (const Shape& s : {Shape{1, 1, 1}, Shape{3, 8, 5}, Shape{37, 48, 29}, Shape{64, 32, 258}, Shape{300, 65, 258},
                         Shape{257, 300, 7}}) {
    const std::vector<float> x = randomVector(static_cast<size_t>(s.rows) * s.in, seed++);
    const std::vector<float> w = randomVector(static_cast<size_t>(s.out) * s.in, seed++);
    const std::vector<float> dy = randomVector(static_cast<size_t>(s.rows) * s.out, seed++);
    const std::vector<float> dx0 = randomVector(static_cast<size_t>(s.rows) * s.in, seed++);
    const std::vector<float> dw0 = randomVector(static_cast<size_t>(s.out) * s.in, seed++);
    std::vector<float> y(static_cast<size_t>(s.rows) * s.out, 7.0f), yRef(y.size());
    std::vector<float> dx = dx0, dxRef = dx0, dw = dw0, dwRef = dw0, dwOnly = dw0;
    cpu::matmulForward(y.data(), x.data(), w.data(), s.rows, s.in, s.out);
    cpu::matmulForwardReference(yRef.data(), x.data(), w.data(), s.rows, s.in, s.out);
    cpu::matmulBackward(dx.data(), dw.data(), dy.data(), x.data(), w.data(), s.rows, s.in, s.out);
    cpu::matmulBackwardReference(dxRef.data(), dwRef.data(), dy.data(), x.data(), w.data(), s.rows, s.in, s.out);
    cpu::matmulBackward(nullptr, dwOnly.data(), dy.data(), x.data(), w.data(), s.rows, s.in, s.out);
    auto close = [](const std::vector<float>& got, const std::vector<float>& want, int K, double scale) {
      int bad = 0;
      for (size_t i = 0; i < got.size(); ++i) bad += !(std::fabs(got[i] - want[i]) <= 2 * tolerance(scale, K));
      return bad;
    };
    // Gaussian operands: |terms| sum to about 0.8·K, plus the accumulated value.
    const std::string shape = std::to_string(s.rows) + "x" + std::to_string(s.in) + "x" + std::to_string(s.out);
    CHECK_MSG(close(y, yRef, s.in, 0.8 * s.in + 1) == 0, shape << " forward");
    CHECK_MSG(close(dx, dxRef, s.out, 0.8 * s.out + 4) == 0, shape << " dinp");
    CHECK_MSG(close(dw, dwRef, s.rows, 0.8 * s.rows + 4) == 0, shape << " dweight");
    CHECK_MSG(dwOnly == dw, shape << " dweight without dinp differs");
  }
}

#ifdef _OPENMP
// OpenBLAS's own threads would change the bits with the thread count; our
// tiles must not (bit-exact resume and thread-count-independent training
// rely on it).
TEST(openblas_results_do_not_depend_on_thread_count) {
  if (!cpu::cpuGemmInfo().openblasUsable) SKIP_TEST(skipReason());
  const int M = 600, N = 530, K = 300;
  const std::vector<float> A = randomVector(static_cast<size_t>(M) * K, 7), B = randomVector(static_cast<size_t>(K) * N, 8);
  const std::vector<float> C0 = randomVector(static_cast<size_t>(M) * N, 9);
  std::vector<std::vector<float>> results;
  const int saved = omp_get_max_threads();
  for (int threads : {1, 2, 3, 5}) {
    omp_set_num_threads(threads);
    std::vector<float> C = C0;
    cpu::blasSgemm(false, true, M, N, K, 1.0f, A.data(), K, B.data(), K, 1.0f, C.data(), N);
    results.push_back(C);
  }
  omp_set_num_threads(saved);
  for (size_t i = 1; i < results.size(); ++i) CHECK_MSG(results[i] == results[0], "run " << i << " differs");
}
#endif

// Whole training steps (forward, backward, clipping, AdamW) from the same
// weights on both paths: the losses agree to 1e-4 relative at every step,
// and the first step's gradients to 1e-4 relative in norm. 4x72 = 288
// positions: the products span two row tiles, the 258-token head two
// column tiles.
TEST(openblas_training_steps_match_the_reference_path) {
  if (!cpu::cpuGemmInfo().openblasUsable) SKIP_TEST(skipReason());
  ModelConfig c = ::testing::tinyModel();
  c.hiddenSize = 48;
  c.intermediateSize = 128;
  c.maxSeqLen = 72;
  const int B = 4, T = 72;
  const std::vector<uint16_t> text = ::testing::syntheticTokens(B * (T + 1), 5);
  std::vector<int32_t> tokens(B * T), targets(B * T);
  for (int b = 0; b < B; ++b) {
    for (int t = 0; t < T; ++t) {
      tokens[b * T + t] = text[b * (T + 1) + t];
      targets[b * T + t] = text[b * (T + 1) + t + 1];
    }
  }
  struct Run {
    std::vector<float> losses, firstGrads;
  };
  auto train = [&](cpu::CpuGemmPath path) {
    const ScopedCpuGemmPath scoped(path);
    LlamaModel model(c);
    AdamW opt(model.params().size());
    Run run;
    for (int step = 0; step < 5; ++step) {
      model.params().zeroGrads();
      run.losses.push_back(model.forward(tokens.data(), targets.data(), B, T));
      model.backward(1.0f);
      if (step == 0) run.firstGrads = model.params().allGrads();
      clipGradientNorm(model.params().allGrads(), 1.0);
      opt.step(model.params(), AdamWSettings{}, 3e-3);
    }
    return run;
  };
  const Run blas = train(cpu::CpuGemmPath::openblas);
  const Run ref = train(cpu::CpuGemmPath::reference);
  for (size_t i = 0; i < ref.losses.size(); ++i) {
    CHECK_MSG(std::fabs(blas.losses[i] - ref.losses[i]) <= 1e-4 * std::fabs(ref.losses[i]),
              "step " << i << ": loss " << blas.losses[i] << " on OpenBLAS, " << ref.losses[i] << " on our kernel");
  }
  CHECK(ref.losses.back() < ref.losses.front());  // it trained
  double diff = 0, norm = 0;
  for (size_t i = 0; i < ref.firstGrads.size(); ++i) {
    diff += std::pow(static_cast<double>(blas.firstGrads[i]) - ref.firstGrads[i], 2);
    norm += std::pow(static_cast<double>(ref.firstGrads[i]), 2);
  }
  CHECK_MSG(norm > 0 && std::sqrt(diff / norm) < 1e-4, "first gradients differ by " << std::sqrt(diff / norm)
                                                                                      << " relative");
}
