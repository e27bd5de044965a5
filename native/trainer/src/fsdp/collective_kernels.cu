// y += x on the device (CPU reference: collective_kernels.cpp).
#include "fsdp/collective_kernels.h"
#include "kernels/cuda_common.cuh"

namespace trainer {
namespace cuda {

namespace {
__global__ void addInPlaceKernel(float* y, const float* x, long n) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) y[i] += x[i];
}
}  // namespace

void addInPlace(float* y, const float* x, long n) {
  if (n <= 0) return;
  TANDEM_LAUNCH(addInPlaceKernel, blocksFor(n, 256), 256)(y, x, n);
  checkLastError("addInPlace");
}

}  // namespace cuda
}  // namespace trainer
