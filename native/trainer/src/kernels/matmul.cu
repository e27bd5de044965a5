// Tiled GEMM for the three products of a Linear layer (CPU reference:
// matmul.cpp). One generic kernel C(m,n) (+)= Σ_k A(m,k) B(k,n) over strided
// bf16 views, fp32 accumulation; instantiated for bf16 and fp32 output only.
// A tensor-core (WMMA/cuBLASLt) path replaces it once a GPU is available to
// measure against the PyTorch reference.
#include <stdexcept>
#include <string>

#include "kernels/cuda_common.cuh"

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

template <typename OutT>
void gemm(OutT* c, View a, View b, int M, int N, int K, bool accumulate) {
  const dim3 threads(kTile, kTile);
  const dim3 blocks((N + kTile - 1) / kTile, (M + kTile - 1) / kTile);
  TANDEM_LAUNCH(gemmKernel<OutT>, blocks, threads)(c, a, b, M, N, K, accumulate);
  checkLastError("gemm");
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

}  // namespace cuda
}  // namespace trainer
