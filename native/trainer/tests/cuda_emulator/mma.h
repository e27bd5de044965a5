// nvcuda::wmma for the CUDA emulator (see cuda_runtime.h here): the 16x16x16
// bf16 -> fp32 shapes the trainer's GEMM uses, with CUDA's documented
// semantics. How a fragment's elements are spread over a warp's lanes is
// unspecified in CUDA, so here every lane holds the whole tile (in row-major
// order); code that respects the API (x[i] for i < num_elements, elementwise
// only) behaves the same. Each *_sync call is a warp barrier that fails the
// launch when a lane is missing, as divergent WMMA calls are undefined.
// Pointers and leading dimensions are checked as CUDA requires them (256-bit
// aligned; ldm a multiple of 16 bytes): a GPU faults on a misaligned one.
// Not detectable here: a missing __syncwarp between storing a tile to shared
// memory and other lanes reading it (every lane holds the whole tile).
#pragma once

#include <cstdint>
#include <type_traits>

#include "cuda_bf16.h"
#include "cuda_runtime.h"

namespace nvcuda {
namespace wmma {

struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };

template <typename Use, int M, int N, int K, typename T, typename Layout = void>
struct fragment {
  static constexpr int kRows = std::is_same<Use, matrix_b>::value ? K : M;
  static constexpr int kCols = std::is_same<Use, matrix_a>::value ? K : N;
  static constexpr int num_elements = kRows * kCols;
  T x[num_elements];
};

namespace detail {
inline float toFloat(float v) { return v; }
inline float toFloat(__nv_bfloat16 v) { return __bfloat162float(v); }

template <typename T>
void requireAligned(const T* p, unsigned ldm) {
  if (reinterpret_cast<uintptr_t>(p) % 32 != 0) ::cuda_emu::kernelFault("wmma: tile pointer not 256-bit aligned");
  if ((ldm * sizeof(T)) % 16 != 0) ::cuda_emu::kernelFault("wmma: ldm not a multiple of 16 bytes");
}
}  // namespace detail

template <typename Use, int M, int N, int K, typename T, typename Layout>
void fill_fragment(fragment<Use, M, N, K, T, Layout>& f, const T& value) {
  __syncwarp();
  for (int i = 0; i < f.num_elements; ++i) f.x[i] = value;
}

// Operand tiles: the fragment's layout type says how memory is laid out.
template <typename Use, int M, int N, int K, typename T, typename Layout>
void load_matrix_sync(fragment<Use, M, N, K, T, Layout>& f, const T* p, unsigned ldm) {
  static_assert(std::is_same<Layout, row_major>::value || std::is_same<Layout, col_major>::value,
                "operand fragments carry a layout");
  detail::requireAligned(p, ldm);
  __syncwarp();
  using F = fragment<Use, M, N, K, T, Layout>;
  for (int r = 0; r < F::kRows; ++r) {
    for (int c = 0; c < F::kCols; ++c) {
      f.x[r * F::kCols + c] = std::is_same<Layout, row_major>::value ? p[r * ldm + c] : p[c * ldm + r];
    }
  }
}

template <int M, int N, int K>
void load_matrix_sync(fragment<accumulator, M, N, K, float>& f, const float* p, unsigned ldm, layout_t layout) {
  detail::requireAligned(p, ldm);
  __syncwarp();
  for (int r = 0; r < M; ++r) {
    for (int c = 0; c < N; ++c) f.x[r * N + c] = layout == mem_row_major ? p[r * ldm + c] : p[c * ldm + r];
  }
}

template <int M, int N, int K>
void store_matrix_sync(float* p, const fragment<accumulator, M, N, K, float>& f, unsigned ldm, layout_t layout) {
  detail::requireAligned(p, ldm);
  __syncwarp();
  for (int r = 0; r < M; ++r) {
    for (int c = 0; c < N; ++c) (layout == mem_row_major ? p[r * ldm + c] : p[c * ldm + r]) = f.x[r * N + c];
  }
}

// d = a * b + c, fp32 accumulation (d may alias c).
template <int M, int N, int K, typename T, typename LayoutA, typename LayoutB>
void mma_sync(fragment<accumulator, M, N, K, float>& d, const fragment<matrix_a, M, N, K, T, LayoutA>& a,
              const fragment<matrix_b, M, N, K, T, LayoutB>& b, const fragment<accumulator, M, N, K, float>& c) {
  __syncwarp();
  float out[M * N];
  for (int m = 0; m < M; ++m) {
    for (int n = 0; n < N; ++n) {
      float acc = c.x[m * N + n];
      for (int k = 0; k < K; ++k) acc += detail::toFloat(a.x[m * K + k]) * detail::toFloat(b.x[k * N + n]);
      out[m * N + n] = acc;
    }
  }
  for (int i = 0; i < M * N; ++i) d.x[i] = out[i];
}

}  // namespace wmma
}  // namespace nvcuda
