// What the flash attention kernels (attention_flash_forward.cu,
// attention_flash_backward.cu) share: the block shape, shared-memory tiles,
// staging of [B,T,H,hd] rows into them, and the WMMA helpers.
//
// Every block has 4 warps; each warp owns 16 rows (queries in the forward
// and dq kernels, keys in the dk/dv kernel) and does its tile products with
// WMMA (16x16x16, bf16 in, fp32 accumulate). Where a fragment element sits
// in its warp is unspecified in CUDA, so everything that needs a row or
// column (masks, softmax, per-row scaling) goes through a warp-private fp32
// tile in shared memory, with one exception: a fragment loaded from a 16x16
// matrix of row numbers (RowOfElement) tells each lane the row of its
// elements x[i] in any accumulator fragment, which is how running outputs
// are rescaled per row without leaving registers.
#pragma once

#include <mma.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/cuda_common.cuh"

namespace trainer {
namespace cuda {
namespace flash {

namespace wmma = nvcuda::wmma;
using Bf16 = __nv_bfloat16;

constexpr int kFrag = 16;                  // WMMA tile edge
constexpr int kWarps = 4;                  // per block
constexpr int kThreads = kWarps * 32;      // per block
constexpr int kBlockRows = kWarps * kFrag; // rows a block owns: 64
// Dynamic shared memory a consumer Ampere/Ada GPU grants a block on opt-in
// (99 KiB; an A100 grants 163, an H100/H200 227): every configuration fits it.
constexpr int kPortableSharedBytes = 99 * 1024;

using AccumulatorFragment = wmma::fragment<wmma::accumulator, kFrag, kFrag, kFrag, float>;
using RowMajorA = wmma::fragment<wmma::matrix_a, kFrag, kFrag, kFrag, Bf16, wmma::row_major>;
using RowMajorB = wmma::fragment<wmma::matrix_b, kFrag, kFrag, kFrag, Bf16, wmma::row_major>;
using ColMajorB = wmma::fragment<wmma::matrix_b, kFrag, kFrag, kFrag, Bf16, wmma::col_major>;

// The second argument of the kernels' __launch_bounds__ (zero spills on
// sm_80 and sm_90 by nvcc -Xptxas -v; ptxas's own choice is a heuristic). Left
// alone, ptxas aims at 128 registers for the small head dims and spills a
// few bytes; asking for 3 resident blocks lets it use 168. Larger ones (128
// and 256, or the dk/dv kernel's two accumulator sets at 64) ask for 1 and
// take up to 255: their shared memory allows 2 blocks per SM anyway.
// `accumulators`: output fragment sets per warp.
__host__ __device__ constexpr int minBlocksPerSm(int paddedHeadDim, int accumulators = 1) {
  return paddedHeadDim * accumulators <= 64 ? 3 : 1;
}

// Head dims run padded (with zeros) to the next of 16, 32, 64, 128, 256: the
// kernels are compiled for those five.
inline int paddedHeadDim(int hd) { return hd <= 16 ? 16 : hd <= 32 ? 32 : hd <= 64 ? 64 : hd <= 128 ? 128 : 256; }

// Row strides of the shared tiles, padded by 16 bytes so consecutive rows
// start in different banks (WMMA needs a multiple of 16 bytes).
__host__ __device__ constexpr int bf16Stride(int cols) { return cols + 8; }
__host__ __device__ constexpr int floatStride(int cols) { return cols + 4; }
// A tile's share of the dynamic shared memory, rounded up so that every tile
// starts 128-byte aligned (WMMA needs 32).
__host__ __device__ constexpr int sharedBytes(int bytes) { return (bytes + 127) / 128 * 128; }

constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;

// The fp32 16x16 matrix whose element (r, c) is r: loaded as an accumulator
// fragment it gives each lane the row of each of its elements.
constexpr int kRowNumberBytes = kFrag * kFrag * 4;
__device__ __forceinline__ void writeRowNumbers(float* tile) {
  for (int i = static_cast<int>(threadIdx.x); i < kFrag * kFrag; i += kThreads) tile[i] = static_cast<float>(i / kFrag);
}
struct RowOfElement {
  AccumulatorFragment rows;
  // After writeRowNumbers and a barrier.
  __device__ __forceinline__ void load(const float* rowNumbers) {
    wmma::load_matrix_sync(rows, rowNumbers, kFrag, wmma::mem_row_major);
  }
  __device__ __forceinline__ int operator[](int i) const { return static_cast<int>(rows.x[i]); }
  // acc[n] row r *= factors[r], for the warp's 16 rows.
  template <int kFrags>
  __device__ __forceinline__ void scaleRows(AccumulatorFragment (&acc)[kFrags], const float* factors) const {
    TANDEM_UNROLL
    for (int n = 0; n < kFrags; ++n) {
      TANDEM_UNROLL
      for (int i = 0; i < rows.num_elements; ++i) acc[n].x[i] *= factors[(*this)[i]];
    }
  }
};

// The warp's tile products. Operands are bf16 tiles in shared memory; a
// fragment array acc[n] covers columns [16n, 16n + 16) of a 16-row result.

// acc = rows · tileᵀ: rows is the warp's 16 x kInner tile, tile holds
// 16·kFrags rows of kInner values (the same row stride `ld`); acc is zeroed
// first. Scores (q·kᵀ) and probability gradients (dout·vᵀ), and their
// transposes (k·qᵀ, v·doutᵀ).
template <int kInner, int kFrags>
__device__ __forceinline__ void multiplyTransposed(AccumulatorFragment (&acc)[kFrags], const Bf16* rows,
                                                   const Bf16* tile, int ld) {
  TANDEM_UNROLL
  for (int n = 0; n < kFrags; ++n) wmma::fill_fragment(acc[n], 0.0f);
  TANDEM_UNROLL
  for (int kd = 0; kd < kInner / kFrag; ++kd) {
    RowMajorA a;
    wmma::load_matrix_sync(a, rows + kd * kFrag, ld);
    TANDEM_UNROLL
    for (int n = 0; n < kFrags; ++n) {
      ColMajorB b;
      wmma::load_matrix_sync(b, tile + n * kFrag * ld + kd * kFrag, ld);
      wmma::mma_sync(acc[n], a, b, acc[n]);
    }
  }
}

// acc += lhs · tile: lhs is the warp's 16 x kInner tile (row stride ldLhs),
// tile kInner x 16·kFrags (ldTile). Probabilities · values, and the
// gradients dS·k, pᵀ·dout, dSᵀ·q.
template <int kInner, int kFrags>
__device__ __forceinline__ void multiplyAccumulate(AccumulatorFragment (&acc)[kFrags], const Bf16* lhs, int ldLhs,
                                                   const Bf16* tile, int ldTile) {
  RowMajorA a[kInner / kFrag];
  TANDEM_UNROLL
  for (int kk = 0; kk < kInner / kFrag; ++kk) wmma::load_matrix_sync(a[kk], lhs + kk * kFrag, ldLhs);
  TANDEM_UNROLL
  for (int n = 0; n < kFrags; ++n) {
    TANDEM_UNROLL
    for (int kk = 0; kk < kInner / kFrag; ++kk) {
      RowMajorB b;
      wmma::load_matrix_sync(b, tile + kk * kFrag * ldTile + n * kFrag, ldTile);
      wmma::mma_sync(acc[n], a[kk], b, acc[n]);
    }
  }
}

// The fragments, side by side, into the warp's fp32 tile (row stride ld).
template <int kFrags>
__device__ __forceinline__ void storeFragments(float* tile, const AccumulatorFragment (&acc)[kFrags], int ld) {
  TANDEM_UNROLL
  for (int n = 0; n < kFrags; ++n) wmma::store_matrix_sync(tile + n * kFrag, acc[n], ld, wmma::mem_row_major);
}

// Where head `head` of batch `b` starts in a [B,T,heads,hd] tensor; its row t
// is `rowStride` = heads·hd elements further per t.
__device__ __forceinline__ long headStart(int b, int head, int T, int heads, int hd) {
  return (static_cast<long>(b) * T * heads + head) * hd;
}

// Copies rows [row0, row0 + rows) of one head into a rows x kDim tile with
// row stride bf16Stride(kDim), zero-filling rows at or past T and columns at
// or past hd (zeros add nothing to the products, and no read leaves the
// tensor). All threads of the block take part; 16-byte loads when `vectorized`
// (hd a multiple of 8 and the tensor 16-byte aligned).
template <int kDim>
__device__ __forceinline__ void stageRows(Bf16* tile, const bf16* src, long rowStride, int row0, int rows, int T,
                                          int hd, bool vectorized) {
  constexpr int ld = bf16Stride(kDim);
  const Bf16* in = reinterpret_cast<const Bf16*>(src);
  if (vectorized) {
    constexpr int chunks = kDim / 8;  // 8 bf16 = 16 bytes
    for (int i = static_cast<int>(threadIdx.x); i < rows * chunks; i += kThreads) {
      const int r = i / chunks, c = (i % chunks) * 8, t = row0 + r;
      uint4 value = {0u, 0u, 0u, 0u};
      if (t < T && c < hd) value = *reinterpret_cast<const uint4*>(in + t * rowStride + c);
      *reinterpret_cast<uint4*>(tile + r * ld + c) = value;
    }
  } else {
    for (int i = static_cast<int>(threadIdx.x); i < rows * kDim; i += kThreads) {
      const int r = i / kDim, c = i % kDim, t = row0 + r;
      tile[r * ld + c] = (t < T && c < hd) ? in[t * rowStride + c] : __float2bfloat16(0.0f);
    }
  }
}

// Writes (or, with `accumulate`, adds) an accumulator fragment times `scale`
// to rows [row0, row0 + 16) and columns [col0, col0 + 16) of one head of a
// bf16 [B,T,heads,hd] tensor, through the warp's fp32 scratch tile (row stride
// ldScratch >= 16); rows at or past T and columns at or past hd are dropped.
// The whole warp calls it.
__device__ __forceinline__ void storeFragmentRows(bf16* dst, long rowStride, int row0, int col0, int T, int hd,
                                                  const AccumulatorFragment& acc, float scale, bool accumulate,
                                                  float* scratch, int ldScratch) {
  wmma::store_matrix_sync(scratch, acc, ldScratch, wmma::mem_row_major);
  __syncwarp();  // the tile is in shared memory before lanes read each other's parts
  const int lane = static_cast<int>(threadIdx.x % 32);
  for (int e = lane; e < kFrag * kFrag; e += 32) {
    const int r = e / kFrag, c = e % kFrag, t = row0 + r, col = col0 + c;
    if (t < T && col < hd) {
      const long i = t * rowStride + col;
      const float value = scale * scratch[r * ldScratch + c];
      storeBf16(dst, i, accumulate ? loadBf16(dst, i) + value : value);
    }
  }
  __syncwarp();  // all lanes read before the next fragment overwrites the tile
}

// stageRows may use 16-byte loads from a tensor at p.
inline bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

// Opts the kernel in to `bytes` of dynamic shared memory (above 48 KiB CUDA
// asks for it) and throws when the device cannot grant it.
template <typename Kernel>
void allowSharedMemory(Kernel kernel, int bytes, const char* what) {
  const cudaError_t err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
  if (err != cudaSuccess) {
    cudaGetLastError();  // not sticky: nothing was launched
    throw std::runtime_error(std::string(what) + ": cannot use " + std::to_string(bytes / 1024) +
                             " KiB of shared memory per block (" + cudaGetErrorString(err) +
                             "); TANDEM_CUDA_ATTENTION=reference avoids it");
  }
}

}  // namespace flash
}  // namespace cuda
}  // namespace trainer
