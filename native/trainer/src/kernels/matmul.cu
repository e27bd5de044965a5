// GEMMs for the three products of a Linear layer (CPU reference:
// matmul.cpp): C(m,n) (+)= Σ_k A(m,k) B(k,n) over strided bf16 views, fp32
// accumulation, bf16 or fp32 output. Three implementations, chosen per
// process (kernels/gemm_path.h, TANDEM_CUDA_GEMM):
//  * cuBLAS (cublasGemmEx, kernels/cublas_gemm.cpp) when it loads: the
//    default, any shape;
//  * tensor cores (WMMA 16x16x16, bf16 in, fp32 accumulate): a block of 4
//    warps computes a 64x64 tile, each warp 2x2 fragments, operands loaded
//    straight from global memory. Used when M, N, K are multiples of 16 and
//    both operands are 32-byte aligned with a unit stride and a leading
//    dimension that is a multiple of 16 (every Linear layer of a real model);
//  * a 16x16 shared-memory tile on CUDA cores for everything else (the
//    tests' odd shapes, a 258-token vocabulary).
// Our two kernels are the reference the tests compare cuBLAS with, and the
// fallback on a machine with the NVIDIA driver but no cuBLAS. They are not
// tuned (no shared-memory staging or double buffering): on an H200 the WMMA
// kernel reaches ~3 TFLOP/s, which is why cuBLAS is the default.
#include <mma.h>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "kernels/cublas_gemm.h"
#include "kernels/cuda_common.cuh"
#include "kernels/gemm_path.h"

namespace trainer {
namespace cuda {

namespace {
constexpr int kTile = 16;

struct View {
  const bf16* data;
  long strideRow, strideCol;  // element (i, j) = data[i*strideRow + j*strideCol]
};

__device__ __forceinline__ void storeOut(bf16* c, long i, float v, bool accumulate) {
  storeBf16(c, i, accumulate ? loadBf16(c, i) + v : v);
}
__device__ __forceinline__ void storeOut(float* c, long i, float v, bool accumulate) {
  c[i] = accumulate ? c[i] + v : v;
}

template <typename OutT>
__global__ void gemmKernel(OutT* c, View a, View b, int M, int N, int K, bool accumulate) {
  __shared__ float as[kTile][kTile + 1];
  __shared__ float bs[kTile][kTile + 1];
  const int row = blockIdx.y * kTile + threadIdx.y;
  const int col = blockIdx.x * kTile + threadIdx.x;
  float acc = 0.0f;
  for (int k0 = 0; k0 < K; k0 += kTile) {
    const int ka = k0 + threadIdx.x, kb = k0 + threadIdx.y;
    as[threadIdx.y][threadIdx.x] =
        (row < M && ka < K) ? loadBf16(a.data, row * a.strideRow + ka * a.strideCol) : 0.0f;
    bs[threadIdx.y][threadIdx.x] =
        (kb < K && col < N) ? loadBf16(b.data, kb * b.strideRow + col * b.strideCol) : 0.0f;
    __syncthreads();
    for (int k = 0; k < kTile; ++k) acc += as[threadIdx.y][k] * bs[k][threadIdx.x];
    __syncthreads();
  }
  if (row < M && col < N) storeOut(c, static_cast<long>(row) * N + col, acc, accumulate);
}

// ---- tensor cores -------------------------------------------------------

namespace wmma = nvcuda::wmma;
constexpr int kFrag = 16;      // WMMA tile edge
constexpr int kWarpTile = 32;  // each warp: 2x2 fragments
constexpr int kBlockTile = 64; // each block: 2x2 warps

// Element (0, 0) of the kFrag x kFrag tile at (i, j) of an operand.
template <typename Layout>
__device__ __forceinline__ const __nv_bfloat16* tileAt(const bf16* data, long ld, int i, int j) {
  const long offset = std::is_same<Layout, wmma::row_major>::value ? i * ld + j : j * ld + i;
  return reinterpret_cast<const __nv_bfloat16*>(data) + offset;
}

template <typename LayoutA, typename LayoutB, typename OutT>
__global__ void wmmaGemmKernel(OutT* c, const bf16* a, long lda, const bf16* b, long ldb, int M, int N, int K,
                               bool accumulate) {
  // One fragment per warp on its way out; store_matrix_sync needs 256-bit alignment.
  __shared__ __align__(32) float staging[4][kFrag * kFrag];
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  const int row0 = static_cast<int>(blockIdx.y) * kBlockTile + (warp / 2) * kWarpTile;
  const int col0 = static_cast<int>(blockIdx.x) * kBlockTile + (warp % 2) * kWarpTile;
  // M and N are multiples of 16, so a fragment is wholly inside or outside;
  // these tests are uniform across the warp, as WMMA requires.
  bool rowIn[2], colIn[2];
  TANDEM_UNROLL
  for (int i = 0; i < 2; ++i) {
    rowIn[i] = row0 + i * kFrag < M;
    colIn[i] = col0 + i * kFrag < N;
  }
  wmma::fragment<wmma::accumulator, kFrag, kFrag, kFrag, float> acc[2][2];
  TANDEM_UNROLL
  for (int i = 0; i < 2; ++i)
    TANDEM_UNROLL
    for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.0f);
  wmma::fragment<wmma::matrix_a, kFrag, kFrag, kFrag, __nv_bfloat16, LayoutA> fa[2];
  wmma::fragment<wmma::matrix_b, kFrag, kFrag, kFrag, __nv_bfloat16, LayoutB> fb[2];
  for (int k = 0; k < K; k += kFrag) {
    TANDEM_UNROLL
    for (int i = 0; i < 2; ++i) {
      if (rowIn[i]) wmma::load_matrix_sync(fa[i], tileAt<LayoutA>(a, lda, row0 + i * kFrag, k), static_cast<unsigned>(lda));
      if (colIn[i]) wmma::load_matrix_sync(fb[i], tileAt<LayoutB>(b, ldb, k, col0 + i * kFrag), static_cast<unsigned>(ldb));
    }
    TANDEM_UNROLL
    for (int i = 0; i < 2; ++i)
      TANDEM_UNROLL
      for (int j = 0; j < 2; ++j)
        if (rowIn[i] && colIn[j]) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
  }
  float* out = staging[warp];
  TANDEM_UNROLL
  for (int i = 0; i < 2; ++i) {
    TANDEM_UNROLL
    for (int j = 0; j < 2; ++j) {
      if (!rowIn[i] || !colIn[j]) continue;
      wmma::store_matrix_sync(out, acc[i][j], kFrag, wmma::mem_row_major);
      __syncwarp();  // the tile is in shared memory before lanes read each other's parts
      for (int e = lane; e < kFrag * kFrag; e += 32) {
        const long r = row0 + i * kFrag + e / kFrag, col = col0 + j * kFrag + e % kFrag;
        storeOut(c, r * N + col, out[e], accumulate);
      }
      __syncwarp();  // all lanes read before the next fragment overwrites the tile
    }
  }
}

// An operand as WMMA sees it: unit stride along one axis, leading dimension
// along the other.
struct WmmaOperand {
  bool rowMajor;
  long ld;
};

bool wmmaOperand(const View& v, WmmaOperand& out) {
  if ((reinterpret_cast<uintptr_t>(v.data) & 31u) != 0) return false;  // load_matrix_sync needs 256-bit alignment
  if (v.strideCol == 1) out = WmmaOperand{true, v.strideRow};
  else if (v.strideRow == 1) out = WmmaOperand{false, v.strideCol};
  else return false;
  return out.ld % 16 == 0;  // keeps every tile start 32-byte aligned
}

std::atomic<uint64_t> cublasLaunches{0}, tensorCoreLaunches{0}, simtLaunches{0};

template <typename LayoutA, typename LayoutB, typename OutT>
void launchWmma(OutT* c, const View& a, long lda, const View& b, long ldb, int M, int N, int K, bool accumulate) {
  const dim3 blocks((N + kBlockTile - 1) / kBlockTile, (M + kBlockTile - 1) / kBlockTile);
  const auto kernel = wmmaGemmKernel<LayoutA, LayoutB, OutT>;
  TANDEM_LAUNCH(kernel, blocks, 128)(c, a.data, lda, b.data, ldb, M, N, K, accumulate);
  checkLastError("gemm (tensor cores)");
}

template <typename OutT>
bool gemmTensorCores(OutT* c, View a, View b, int M, int N, int K, bool accumulate) {
  WmmaOperand oa, ob;
  if (M % 16 || N % 16 || K % 16 || !wmmaOperand(a, oa) || !wmmaOperand(b, ob)) return false;
  if (oa.rowMajor && ob.rowMajor) launchWmma<wmma::row_major, wmma::row_major>(c, a, oa.ld, b, ob.ld, M, N, K, accumulate);
  else if (oa.rowMajor) launchWmma<wmma::row_major, wmma::col_major>(c, a, oa.ld, b, ob.ld, M, N, K, accumulate);
  else if (ob.rowMajor) launchWmma<wmma::col_major, wmma::row_major>(c, a, oa.ld, b, ob.ld, M, N, K, accumulate);
  else launchWmma<wmma::col_major, wmma::col_major>(c, a, oa.ld, b, ob.ld, M, N, K, accumulate);
  ++tensorCoreLaunches;
  return true;
}

template <typename OutT>
bool gemmCublas(OutT* c, View a, View b, int M, int N, int K, bool accumulate) {
  const bool launched = cublasGemm(c, std::is_same<OutT, float>::value, StridedOperand{a.data, a.strideRow, a.strideCol},
                                   StridedOperand{b.data, b.strideRow, b.strideCol}, M, N, K, accumulate);
  if (launched) ++cublasLaunches;
  return launched;
}

template <typename OutT>
void gemm(OutT* c, View a, View b, int M, int N, int K, bool accumulate) {
  announceGemmPath();
  const GemmPath path = gemmPath();
  if (path == GemmPath::cublas && gemmCublas(c, a, b, M, N, K, accumulate)) return;
  if (path != GemmPath::simt && gemmTensorCores(c, a, b, M, N, K, accumulate)) return;
  const dim3 threads(kTile, kTile);
  const dim3 blocks((N + kTile - 1) / kTile, (M + kTile - 1) / kTile);
  TANDEM_LAUNCH(gemmKernel<OutT>, blocks, threads)(c, a, b, M, N, K, accumulate);
  checkLastError("gemm");
  ++simtLaunches;
}
}  // namespace

void checkLastError(const char* what) {
  const cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(err));
}

void matmulForward(bf16* out, const bf16* inp, const bf16* weight, int rows, int inDim, int outDim) {
  // out(r, o) = Σ_c inp(r, c) · weight(o, c)
  gemm(out, View{inp, inDim, 1}, View{weight, 1, inDim}, rows, outDim, inDim, false);
}

void matmulBackward(bf16* dinp, float* dweight, const bf16* dout, const bf16* inp, const bf16* weight, int rows,
                    int inDim, int outDim) {
  // dinp(r, c) += Σ_o dout(r, o) · weight(o, c)
  if (dinp) gemm(dinp, View{dout, outDim, 1}, View{weight, inDim, 1}, rows, inDim, outDim, true);
  // dweight(o, c) += Σ_r dout(r, o) · inp(r, c)
  gemm(dweight, View{dout, 1, outDim}, View{inp, inDim, 1}, outDim, inDim, rows, true);
}

GemmLaunchCounts gemmLaunchCounts() {
  return GemmLaunchCounts{cublasLaunches.load(), tensorCoreLaunches.load(), simtLaunches.load()};
}

}  // namespace cuda
}  // namespace trainer
