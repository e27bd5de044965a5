// Residual connection y += x on bf16 activations (CPU reference: residual.cpp).
#include "kernels/cuda_common.cuh"

namespace trainer {
namespace cuda {

namespace {
__global__ void residualAddKernel(bf16* y, const bf16* x, long n) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) storeBf16(y, i, loadBf16(y, i) + loadBf16(x, i));
}
}  // namespace

void residualAdd(bf16* y, const bf16* x, long n) {
  TANDEM_LAUNCH(residualAddKernel, blocksFor(n, 256), 256)(y, x, n);
  checkLastError("residualAdd");
}

}  // namespace cuda
}  // namespace trainer
