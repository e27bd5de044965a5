// SwiGLU (CPU reference: swiglu.cpp).
#include "kernels/cuda_common.cuh"

namespace trainer {
namespace cuda {

namespace {
__global__ void swigluForwardKernel(bf16* out, const bf16* gate, const bf16* up, long n) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float g = loadBf16(gate, i);
  const float sig = 1.0f / (1.0f + __expf(-g));
  storeBf16(out, i, g * sig * loadBf16(up, i));
}

__global__ void swigluBackwardKernel(bf16* dgate, bf16* dup, const bf16* dout, const bf16* gate, const bf16* up,
                                     long n) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float g = loadBf16(gate, i), u = loadBf16(up, i), d = loadBf16(dout, i);
  const float sig = 1.0f / (1.0f + __expf(-g));
  storeBf16(dgate, i, loadBf16(dgate, i) + d * u * sig * (1.0f + g * (1.0f - sig)));
  storeBf16(dup, i, loadBf16(dup, i) + d * g * sig);
}
}  // namespace

void swigluForward(bf16* out, const bf16* gate, const bf16* up, long n) {
  TANDEM_LAUNCH(swigluForwardKernel, blocksFor(n, 256), 256)(out, gate, up, n);
  checkLastError("swigluForward");
}

void swigluBackward(bf16* dgate, bf16* dup, const bf16* dout, const bf16* gate, const bf16* up, long n) {
  TANDEM_LAUNCH(swigluBackwardKernel, blocksFor(n, 256), 256)(dgate, dup, dout, gate, up, n);
  checkLastError("swigluBackward");
}

}  // namespace cuda
}  // namespace trainer
