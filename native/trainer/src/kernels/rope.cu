// Rotary embedding, rotate-half convention (CPU reference: rope.cpp).
#include "kernels/cuda_common.cuh"

namespace trainer {
namespace cuda {

namespace {
__global__ void ropeKernel(bf16* x, const float* cosTable, const float* sinTable, int B, int T, int heads,
                           int headDim, float sign) {
  const int half = headDim / 2;
  const long n = static_cast<long>(B) * T * heads * half;
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const int pair = static_cast<int>(i % half);
  const long vec = i / half;                               // (b, t, h)
  const int t = static_cast<int>((vec / heads) % T);
  const long base = vec * headDim;
  const float c = cosTable[t * half + pair], s = sinTable[t * half + pair];
  const float x1 = loadBf16(x, base + pair), x2 = loadBf16(x, base + pair + half);
  storeBf16(x, base + pair, x1 * c - sign * x2 * s);
  storeBf16(x, base + pair + half, x2 * c + sign * x1 * s);
}
}  // namespace

void ropeForward(bf16* x, const float* cosTable, const float* sinTable, int B, int T, int heads, int headDim) {
  const long n = static_cast<long>(B) * T * heads * (headDim / 2);
  TANDEM_LAUNCH(ropeKernel, blocksFor(n, 256), 256)(x, cosTable, sinTable, B, T, heads, headDim, 1.0f);
  checkLastError("ropeForward");
}

void ropeBackward(bf16* dx, const float* cosTable, const float* sinTable, int B, int T, int heads, int headDim) {
  const long n = static_cast<long>(B) * T * heads * (headDim / 2);
  TANDEM_LAUNCH(ropeKernel, blocksFor(n, 256), 256)(dx, cosTable, sinTable, B, T, heads, headDim, -1.0f);
  checkLastError("ropeBackward");
}

}  // namespace cuda
}  // namespace trainer
