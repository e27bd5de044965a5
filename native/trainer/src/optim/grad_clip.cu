// Global-norm gradient clipping on the device (CPU reference: grad_clip.cpp).
// The sum of squares is reduced in a fixed order: a fixed grid of blocks,
// each a fixed tree; the per-block partials are summed on the host in double.
#include <vector>

#include "kernels/cuda_common.cuh"

namespace trainer {
namespace cuda {

namespace {
constexpr int kBlocks = 256;
constexpr int kThreads = 256;

__global__ void sumOfSquaresKernel(float* partials, const float* x, long n) {
  __shared__ float shared[kThreads];
  float acc = 0.0f;
  for (long i = static_cast<long>(blockIdx.x) * kThreads + threadIdx.x; i < n; i += static_cast<long>(kBlocks) * kThreads) {
    acc += x[i] * x[i];
  }
  shared[threadIdx.x] = acc;
  __syncthreads();
  for (unsigned stride = kThreads / 2; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride) shared[threadIdx.x] += shared[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) partials[blockIdx.x] = shared[0];
}

__global__ void scaleKernel(float* x, long n, float s) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) x[i] *= s;
}
}  // namespace

double sumOfSquares(const float* x, long n) {
  float* partials = nullptr;
  if (cudaMalloc(reinterpret_cast<void**>(&partials), kBlocks * sizeof(float)) != cudaSuccess) {
    checkLastError("sumOfSquares(cudaMalloc)");
  }
  TANDEM_LAUNCH(sumOfSquaresKernel, kBlocks, kThreads)(partials, x, n);
  std::vector<float> host(kBlocks);
  const cudaError_t copied = cudaMemcpy(host.data(), partials, kBlocks * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(partials);
  if (copied != cudaSuccess) checkLastError("sumOfSquares(copy)");
  checkLastError("sumOfSquares");
  double total = 0;
  for (float p : host) total += p;
  return total;
}

void scaleInPlace(float* x, long n, float s) {
  TANDEM_LAUNCH(scaleKernel, blocksFor(n, 256), 256)(x, n, s);
  checkLastError("scaleInPlace");
}

}  // namespace cuda
}  // namespace trainer
