// Helpers shared by the .cu kernels (not part of the C++-visible API).
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include "kernels/cuda_kernels.h"

// Launches are written TANDEM_LAUNCH(kernel, grid, block)(args...) so the
// same sources also run on the CPU CUDA emulator (tests/cuda_emulator),
// whose compiler cannot parse <<<>>>; with the real runtime it is exactly
// kernel<<<grid, block>>>(args...).
// Full unrolling of short fixed loops keeps WMMA fragments in registers; the
// emulator's host compiler has no such pragma.
#ifdef __CUDACC__
#define TANDEM_UNROLL _Pragma("unroll")
#else
#define TANDEM_UNROLL
#endif

#ifndef TANDEM_LAUNCH
#define TANDEM_LAUNCH(kernel, grid, block) kernel<<<grid, block>>>
#endif
// The same with `bytes` of dynamic shared memory (dynamicSharedMemory()
// below); above 48 KiB the kernel must opt in first (cudaFuncSetAttribute).
#ifndef TANDEM_LAUNCH_SHARED
#define TANDEM_LAUNCH_SHARED(kernel, grid, block, bytes) kernel<<<grid, block, bytes>>>
#endif

namespace trainer {
namespace cuda {

__device__ __forceinline__ float loadBf16(const bf16* p, long i) {
  return __bfloat162float(reinterpret_cast<const __nv_bfloat16*>(p)[i]);
}
__device__ __forceinline__ void storeBf16(bf16* p, long i, float v) {
  reinterpret_cast<__nv_bfloat16*>(p)[i] = __float2bfloat16(v);
}

// The block's dynamic shared memory, 128-byte aligned.
__device__ __forceinline__ unsigned char* dynamicSharedMemory() {
#ifdef TANDEM_CUDA_EMULATOR
  return static_cast<unsigned char*>(::cuda_emu::dynamicSharedMemory());
#else
  extern __shared__ __align__(128) unsigned char tandemDynamicShared[];
  return tandemDynamicShared;
#endif
}

inline unsigned blocksFor(long n, unsigned threads) { return static_cast<unsigned>((n + threads - 1) / threads); }

// Sum over a warp; every lane gets the total.
__device__ __forceinline__ float warpSum(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xFFFFFFFFu, v, offset);
  return v;
}
__device__ __forceinline__ float warpMax(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xFFFFFFFFu, v, offset));
  return v;
}

}  // namespace cuda
}  // namespace trainer
