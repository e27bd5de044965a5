// AdamW on fp32 master weights (CPU reference: adamw.cpp), refreshing the
// bf16 working copy the forward pass reads; plus the precision casts.
#include <cmath>

#include "kernels/cuda_common.cuh"

namespace trainer {
namespace cuda {

namespace {
__global__ void adamwKernel(float* param, bf16* paramBf16, const float* grad, float* m, float* v, long n, float lr,
                            float beta1, float beta2, float eps, float weightDecay, float c1, float c2) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float g = grad[i];
  const float mi = beta1 * m[i] + (1.0f - beta1) * g;
  const float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  const float p = param[i] - lr * ((mi / c1) / (sqrtf(vi / c2) + eps) + weightDecay * param[i]);
  param[i] = p;
  if (paramBf16) storeBf16(paramBf16, i, p);
}

__global__ void castToBf16Kernel(bf16* out, const float* in, long n) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) storeBf16(out, i, in[i]);
}
__global__ void castToFloatKernel(float* out, const bf16* in, long n) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = loadBf16(in, i);
}
}  // namespace

void adamwUpdate(float* param, bf16* paramBf16, const float* grad, float* m, float* v, long n, float lr, float beta1,
                 float beta2, float eps, float weightDecay, int64_t t) {
  // Bias corrections on the host in double, exactly as the CPU path.
  const float c1 = static_cast<float>(1.0 - std::pow(static_cast<double>(beta1), static_cast<double>(t)));
  const float c2 = static_cast<float>(1.0 - std::pow(static_cast<double>(beta2), static_cast<double>(t)));
  TANDEM_LAUNCH(adamwKernel, blocksFor(n, 256), 256)(param, paramBf16, grad, m, v, n, lr, beta1, beta2, eps, weightDecay, c1, c2);
  checkLastError("adamwUpdate");
}

void castFloatToBf16(bf16* out, const float* in, long n) {
  TANDEM_LAUNCH(castToBf16Kernel, blocksFor(n, 256), 256)(out, in, n);
  checkLastError("castFloatToBf16");
}

void castBf16ToFloat(float* out, const bf16* in, long n) {
  TANDEM_LAUNCH(castToFloatKernel, blocksFor(n, 256), 256)(out, in, n);
  checkLastError("castBf16ToFloat");
}

}  // namespace cuda
}  // namespace trainer
