#include "kernels/cpu_gemm.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

#include "util/parallel.h"

#ifdef TANDEM_TRAINER_HAVE_BLAS
#include <cblas.h>
#endif

namespace trainer {
namespace cpu {

namespace {
// Tiles of about this many rows and columns of C: big enough that packing
// the operands costs little beside the multiply-adds (one sgemm per tile
// packs its own A and B panels), small enough that a 512-row product gives
// 2 cores, or 16, work to share. Picked from 128x256 .. 256x512 tried on 2
// shared cores, where they differed by less than the noise; not tuned
// further (a tile count that is not a multiple of the thread count leaves
// a thread idle for the last round).
constexpr int kTile = 256;

struct State {
  std::mutex mutex;
  CpuGemmInfo info;
  State() {
#ifdef TANDEM_TRAINER_HAVE_BLAS
    // One thread per call: the tiles are our parallelism (see the header).
    openblas_set_num_threads(1);
    info.openblasUsable = true;
    info.openblasConfig = openblas_get_config();
    info.openblasCore = openblas_get_corename();
    // "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ..." -> "0.3.21"
    const std::string& config = info.openblasConfig;
    const size_t start = config.find(' ');
    if (start != std::string::npos) {
      const size_t end = config.find(' ', start + 1);
      info.openblasVersion = config.substr(start + 1, end == std::string::npos ? std::string::npos : end - start - 1);
    }
#ifdef TANDEM_TRAINER_BLAS_LINKAGE
    info.openblasLinkage = TANDEM_TRAINER_BLAS_LINKAGE;
#endif
#else
#ifdef TANDEM_TRAINER_BLAS_REASON
    info.openblasReason = TANDEM_TRAINER_BLAS_REASON;  // from CMake, e.g. "OpenBLAS not found: ..."
#else
    info.openblasReason = "OpenBLAS not found when this trainer was built";
#endif
#endif
    const char* env = std::getenv("TANDEM_CPU_GEMM");
    const std::string wanted = env ? env : "";
    if (wanted == "reference") {
      info.path = CpuGemmPath::reference;
      info.forced = true;
    } else {
      // "openblas" in a build without it falls back like the default.
      info.path = info.openblasUsable ? CpuGemmPath::openblas : CpuGemmPath::reference;
      info.forced = wanted == "openblas" && info.openblasUsable;
    }
    if (!wanted.empty() && wanted != "auto" && wanted != "openblas" && wanted != "reference") {
      std::fprintf(stderr, "tandem-trainer: TANDEM_CPU_GEMM=%s is not one of openblas|reference|auto; using %s\n",
                   wanted.c_str(), cpuGemmPathName(info.path));
    }
  }
};

State& state() {
  static State s;
  return s;
}

// Band i of n over [0, size): near-equal, a function of (size, n, i) only.
inline int bandStart(int size, int n, int i) { return static_cast<int>(static_cast<long>(size) * i / n); }
}  // namespace

const char* cpuGemmPathName(CpuGemmPath path) {
  switch (path) {
    case CpuGemmPath::openblas: return "openblas";
    case CpuGemmPath::reference: return "reference";
  }
  return "?";
}

CpuGemmInfo cpuGemmInfo() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.info;
}

CpuGemmPath cpuGemmPath() {
  // Every product asks; the path changes only in tests and benchmarks,
  // between products, never during one.
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.info.path;
}

void setCpuGemmPath(CpuGemmPath path) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (path == CpuGemmPath::openblas && !s.info.openblasUsable) {
    throw std::runtime_error("OpenBLAS not available: " + s.info.openblasReason);
  }
  s.info.path = path;
  s.info.forced = true;
}

GemmTiles cpuGemmTiles(int M, int N) {
  GemmTiles t;
  t.rowTiles = M > 0 ? (M + kTile - 1) / kTile : 1;
  t.colTiles = N > 0 ? (N + kTile - 1) / kTile : 1;
  return t;
}

void blasSgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
               int ldb, float beta, float* C, int ldc) {
#ifdef TANDEM_TRAINER_HAVE_BLAS
  if (M < 1 || N < 1) return;
  state();  // openblas_set_num_threads(1) before the first call
  const GemmTiles tiles = cpuGemmTiles(M, N);
  const int count = tiles.rowTiles * tiles.colTiles;
  const CBLAS_TRANSPOSE ta = transA ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = transB ? CblasTrans : CblasNoTrans;
  TANDEM_PARALLEL_FOR
  for (int tile = 0; tile < count; ++tile) {
    const int ti = tile / tiles.colTiles, tj = tile % tiles.colTiles;
    const int i0 = bandStart(M, tiles.rowTiles, ti), i1 = bandStart(M, tiles.rowTiles, ti + 1);
    const int j0 = bandStart(N, tiles.colTiles, tj), j1 = bandStart(N, tiles.colTiles, tj + 1);
    // Rows i0.. of op(A): row i0 of A, or column i0 of A when transposed;
    // columns j0.. of op(B): column j0 of B, or row j0 when transposed.
    const float* a = transA ? A + i0 : A + static_cast<long>(i0) * lda;
    const float* b = transB ? B + static_cast<long>(j0) * ldb : B + j0;
    cblas_sgemm(CblasRowMajor, ta, tb, i1 - i0, j1 - j0, K, alpha, a, lda, b, ldb, beta,
                C + static_cast<long>(i0) * ldc + j0, ldc);
  }
#else
  (void)transA, (void)transB, (void)M, (void)N, (void)K, (void)alpha, (void)A, (void)lda, (void)B, (void)ldb,
      (void)beta, (void)C, (void)ldc;
  throw std::logic_error("blasSgemm: this trainer was built without OpenBLAS");
#endif
}

void blasSgemmOwnThreads(int threads, bool transA, bool transB, int M, int N, int K, float alpha, const float* A,
                         int lda, const float* B, int ldb, float beta, float* C, int ldc) {
#ifdef TANDEM_TRAINER_HAVE_BLAS
  if (M < 1 || N < 1) return;
  state();
  openblas_set_num_threads(threads < 1 ? 1 : threads);
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, M, N, K, alpha, A,
              lda, B, ldb, beta, C, ldc);
  openblas_set_num_threads(1);
#else
  (void)threads;
  blasSgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);  // throws
#endif
}

}  // namespace cpu
}  // namespace trainer
