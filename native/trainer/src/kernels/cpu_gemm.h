// Which implementation runs the CPU backend's GEMMs (kernels/matmul.h):
//   openblas  OpenBLAS's cblas_sgemm, when CMake found OpenBLAS at build time
//             (TANDEM_TRAINER_HAVE_BLAS); the default then;
//   reference our kernel (kernels/matmul.cpp), the one the tests compare
//             OpenBLAS with; the only path in a build without OpenBLAS.
// TANDEM_CPU_GEMM=openblas|reference forces one (openblas only when built in).
//
// Determinism: OpenBLAS's own threads split a product differently for each
// thread count, and the bits change with it. So OpenBLAS runs with one
// thread per call, and we split C into tiles whose size depends only on the
// shape (never on the thread count), one sgemm per tile on the OpenMP
// threads: results are bit-identical for any `threads`, which also bounds
// the CPU use (OpenMP's team is the only parallelism).
// Plain C++: the NDJSON server reports the path in `hello` in every build.
#pragma once

#include <string>

namespace trainer {
namespace cpu {

enum class CpuGemmPath { openblas, reference };

const char* cpuGemmPathName(CpuGemmPath path);  // "openblas" | "reference"

struct CpuGemmInfo {
  CpuGemmPath path = CpuGemmPath::reference;  // what runs now
  bool forced = false;                        // chosen by TANDEM_CPU_GEMM (or a test), not by the build
  bool openblasUsable = false;                // built with OpenBLAS
  std::string openblasVersion;                // "0.3.21"
  std::string openblasConfig;                 // openblas_get_config(): build options, the core in use
  std::string openblasCore;                   // the CPU kernel set it picked, e.g. "Haswell"
  std::string openblasLinkage;                // "static" | "shared"
  std::string openblasReason;                 // why not, when not usable
};

CpuGemmInfo cpuGemmInfo();
CpuGemmPath cpuGemmPath();

// For tests and benchmarks: run the GEMMs on `path` from now on. Throws
// std::runtime_error for openblas in a build without it.
void setCpuGemmPath(CpuGemmPath path);

// Row-major C(M,N) = alpha·op(A)(M,K)·op(B)(K,N) + beta·C through OpenBLAS,
// tiled as described above; op(X) = X or Xᵀ (transA/transB), lda/ldb/ldc
// the row strides of the stored matrices. Throws std::logic_error in a
// build without OpenBLAS. The tile grid is cpuGemmTiles(M, N).
void blasSgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
               int ldb, float beta, float* C, int ldc);

// For benchmarks: the same product as ONE cblas_sgemm on OpenBLAS's own
// threads (`threads` of them, back to 1 afterwards), i.e. the library as a
// program would call it; its bits depend on `threads`. Throws like blasSgemm.
void blasSgemmOwnThreads(int threads, bool transA, bool transB, int M, int N, int K, float alpha, const float* A,
                         int lda, const float* B, int ldb, float beta, float* C, int ldc);

// How blasSgemm cuts C: rows into `rowTiles` near-equal bands, columns into
// `colTiles`; a function of (M, N) only.
struct GemmTiles {
  int rowTiles = 1, colTiles = 1;
};
GemmTiles cpuGemmTiles(int M, int N);

}  // namespace cpu
}  // namespace trainer
