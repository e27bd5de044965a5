// A CPU stand-in for the subset of the CUDA runtime the trainer uses, so the
// real kernel sources (src/**/*.cu) and the CUDA host code (CudaLlamaModel,
// the FSDP ranks and collective) run in `npm test` on machines without a GPU.
//
// It is a test tool, not a backend: it executes every CUDA thread of a block
// as a fiber on the calling host thread, one block after another, with
// __syncthreads and warp shuffles as real barriers. That checks the kernels'
// indexing, their barrier and shuffle use (a thread that skips a barrier its
// block waits on, or a shuffle with exited lanes, fails the launch), launch
// configurations (CUDA's limits are enforced) and, built with ASan, every
// out-of-bounds access on "device" memory. It cannot check timing, the
// memory model between concurrently running blocks, occupancy or speed;
// those need a real GPU (native/scripts/trainer-test.mjs runs the same
// tests there against the real runtime).
//
// Selected by putting this folder first on the include path and defining
// TANDEM_CUDA_EMULATOR (CMake option TANDEM_TRAINER_CUDA_EMULATOR).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <tuple>
#include <utility>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
// One block runs at a time per host thread, so per-thread storage is the
// block's shared memory (host threads: FSDP ranks run concurrently).
#define __shared__ static thread_local
#define __align__(n) __attribute__((aligned(n)))

struct alignas(16) uint4 {
  unsigned x, y, z, w;
};

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
using uint3 = dim3;

extern thread_local uint3 threadIdx;
extern thread_local uint3 blockIdx;
extern thread_local dim3 blockDim;
extern thread_local dim3 gridDim;

enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidDevice = 101,
  cudaErrorInvalidResourceHandle = 400,
  cudaErrorNotReady = 600,
  cudaErrorPeerAccessAlreadyEnabled = 704,
  cudaErrorLaunchFailure = 719,
};
using cudaError = cudaError_t;

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};

struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  int major, minor;
  int multiProcessorCount;
  int warpSize;
  int maxThreadsPerBlock;
};

// Shared memory per block: 48 KiB without asking; a kernel may opt in to
// more dynamic shared memory (cudaFuncSetAttribute), up to the device's
// limit, here an sm_90's (as cudaGetDeviceProperties reports).
enum cudaFuncAttribute {
  cudaFuncAttributeMaxDynamicSharedMemorySize = 8,
};
enum cudaDeviceAttr {
  cudaDevAttrMaxSharedMemoryPerBlock = 8,
  cudaDevAttrMaxSharedMemoryPerBlockOptin = 97,
};

// Streams: only the default one (0) exists here; events record the host
// time, which is the device time, as launches run synchronously.
using cudaStream_t = struct CUstream_st*;
using cudaEvent_t = struct CUevent_st*;

cudaError_t cudaMalloc(void** ptr, size_t bytes);
template <typename T>
cudaError_t cudaMalloc(T** ptr, size_t bytes) {
  return cudaMalloc(reinterpret_cast<void**>(ptr), bytes);
}
cudaError_t cudaFree(void* ptr);
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyPeer(void* dst, int dstDevice, const void* src, int srcDevice, size_t bytes);
cudaError_t cudaMemset(void* ptr, int value, size_t bytes);
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
const char* cudaGetErrorString(cudaError_t err);
cudaError_t cudaGetDeviceCount(int* count);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDevice(int* device);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device);
cudaError_t cudaMemGetInfo(size_t* freeBytes, size_t* totalBytes);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaDeviceCanAccessPeer(int* can, int device, int peer);
cudaError_t cudaDeviceEnablePeerAccess(int peer, unsigned flags);
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device);
cudaError_t cudaFuncSetAttribute(const void* kernel, cudaFuncAttribute attr, int value);
template <typename... Params>
cudaError_t cudaFuncSetAttribute(void (*kernel)(Params...), cudaFuncAttribute attr, int value) {
  return cudaFuncSetAttribute(reinterpret_cast<const void*>(kernel), attr, value);
}
cudaError_t cudaEventCreate(cudaEvent_t* event);
cudaError_t cudaEventDestroy(cudaEvent_t event);
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream = nullptr);
cudaError_t cudaEventSynchronize(cudaEvent_t event);
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end);

// Device functions the kernels call.
void __syncthreads();
float __shfl_xor_sync(unsigned mask, float value, int laneMask, int width = 32);
void __syncwarp(unsigned mask = 0xFFFFFFFFu);
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }

namespace cuda_emu {

// Runs body once per thread of every block; a bad configuration or a failed
// block sets the error cudaGetLastError reports, as a real launch would.
// dynamicSharedBytes: the launch's dynamic shared memory (a fresh buffer per
// block, filled with NaN bytes so reads of unwritten shared memory show);
// more than 48 KiB needs the kernel's cudaFuncSetAttribute opt-in.
void runGrid(dim3 grid, dim3 block, size_t dynamicSharedBytes, const void* kernel, const std::function<void()>& body);

// The running block's dynamic shared memory (extern __shared__ on a GPU).
void* dynamicSharedMemory();

// Fails the running launch from inside a kernel (what a GPU would trap on,
// e.g. a misaligned WMMA pointer); never returns. A fixed message: the
// calling fiber is abandoned, not unwound, so temporaries would leak.
[[noreturn]] void kernelFault(const char* why);

template <typename... Params>
struct Launch {
  void (*kernel)(Params...);
  dim3 grid, block;
  size_t dynamicSharedBytes;
  template <typename... Args>
  void operator()(Args&&... args) const {
    // Converted copies, as CUDA copies kernel arguments at launch.
    std::tuple<Params...> params(std::forward<Args>(args)...);
    runGrid(grid, block, dynamicSharedBytes, reinterpret_cast<const void*>(kernel),
            [&] { std::apply(kernel, params); });
  }
};

template <typename... Params>
Launch<Params...> launch(void (*kernel)(Params...), dim3 grid, dim3 block, size_t dynamicSharedBytes = 0) {
  return Launch<Params...>{kernel, grid, block, dynamicSharedBytes};
}

}  // namespace cuda_emu

// The .cu sources launch through these macros (kernel<<<grid, block>>> and
// kernel<<<grid, block, bytes>>> with the real runtime; see
// kernels/cuda_common.cuh).
#define TANDEM_LAUNCH(kernel, grid, block) ::cuda_emu::launch(kernel, grid, block)
#define TANDEM_LAUNCH_SHARED(kernel, grid, block, bytes) ::cuda_emu::launch(kernel, grid, block, bytes)
