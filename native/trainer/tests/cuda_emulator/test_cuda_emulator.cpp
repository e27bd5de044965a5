// The CUDA emulator itself: barriers and shuffles behave like CUDA's, and the
// bugs it exists to catch (a shuffle or barrier some threads never reach,
// bad launch configurations, copies outside an allocation) fail loudly.
// Built into tandem_trainer_cuda_tests only with TANDEM_TRAINER_CUDA_EMULATOR.
#include <cuda_runtime.h>
#include <mma.h>

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "test_harness.h"

namespace {

__global__ void blockSumKernel(float* out, const float* in) {
  __shared__ float partial[128];
  const unsigned tid = threadIdx.y * blockDim.x + threadIdx.x, block = blockIdx.y * gridDim.x + blockIdx.x;
  partial[tid] = in[block * 128 + tid];
  __syncthreads();
  for (unsigned stride = 64; stride > 0; stride >>= 1) {
    if (tid < stride) partial[tid] += partial[tid + stride];
    __syncthreads();
  }
  if (tid == 0) out[block] = partial[0];
}

__global__ void warpSumKernel(float* out, const float* in) {
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  float v = in[i];
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xFFFFFFFFu, v, offset);
  out[i] = v;  // every lane holds its warp's total
}

// Half a warp shuffles while the other half waits at the block barrier.
__global__ void divergentShuffleKernel(float* out) {
  float v = 1.0f;
  if (threadIdx.x < 16) v = __shfl_xor_sync(0xFFFFFFFFu, v, 1);
  else __syncthreads();
  out[threadIdx.x] = v;
}

// Lanes that returned early cannot take part in a full-mask shuffle.
__global__ void shuffleAfterExitKernel(float* out) {
  if (threadIdx.x >= 8) return;
  out[threadIdx.x] = __shfl_xor_sync(0xFFFFFFFFu, 1.0f, 1);
}

__global__ void countKernel(int* counter) { ++*counter; }

// Thread 0 reads the block's dynamic shared memory before anyone wrote it.
__global__ void readUnwrittenSharedKernel(float* out) {
  if (threadIdx.x == 0) out[0] = static_cast<float*>(::cuda_emu::dynamicSharedMemory())[0];
}

// A WMMA load from a pointer 16 bytes past a 256-bit boundary.
__global__ void misalignedWmmaKernel(const __nv_bfloat16* tile) {
  nvcuda::wmma::fragment<nvcuda::wmma::matrix_a, 16, 16, 16, __nv_bfloat16, nvcuda::wmma::row_major> a;
  nvcuda::wmma::load_matrix_sync(a, tile + 8, 16);
}

std::vector<float> download(const float* device, size_t n) {
  std::vector<float> host(n);
  CHECK(cudaMemcpy(host.data(), device, n * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess);
  return host;
}

// A failed launch leaves a sticky error on its host thread (as a failed
// kernel poisons a CUDA context), so failures are provoked on a thread of
// their own; returns the launch's error and message.
template <typename Launch>
std::pair<cudaError_t, std::string> launchOnOwnThread(Launch launch) {
  std::pair<cudaError_t, std::string> result{cudaSuccess, ""};
  std::thread worker([&] {
    launch();
    const cudaError_t err = cudaGetLastError();
    result = {err, cudaGetErrorString(err)};
  });
  worker.join();
  return result;
}

}  // namespace

TEST(cuda_emulator_block_reduction_with_syncthreads) {
  const dim3 grid(3, 2), block(16, 8);
  std::vector<float> in(6 * 128), expected(6, 0.0f);
  for (size_t i = 0; i < in.size(); ++i) {
    in[i] = static_cast<float>(i % 7) - 2.5f;
    expected[i / 128] += in[i];
  }
  float *dIn = nullptr, *dOut = nullptr;
  CHECK(cudaMalloc(&dIn, in.size() * sizeof(float)) == cudaSuccess);
  CHECK(cudaMalloc(&dOut, 6 * sizeof(float)) == cudaSuccess);
  cudaMemcpy(dIn, in.data(), in.size() * sizeof(float), cudaMemcpyHostToDevice);
  TANDEM_LAUNCH(blockSumKernel, grid, block)(dOut, dIn);
  CHECK(cudaGetLastError() == cudaSuccess);
  CHECK(download(dOut, 6) == expected);
  cudaFree(dIn);
  cudaFree(dOut);
}

TEST(cuda_emulator_warp_shuffle_sums_each_warp) {
  std::vector<float> in(128);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i);
  float *dIn = nullptr, *dOut = nullptr;
  cudaMalloc(&dIn, in.size() * sizeof(float));
  cudaMalloc(&dOut, in.size() * sizeof(float));
  cudaMemcpy(dIn, in.data(), in.size() * sizeof(float), cudaMemcpyHostToDevice);
  TANDEM_LAUNCH(warpSumKernel, 2, 64)(dOut, dIn);
  CHECK(cudaGetLastError() == cudaSuccess);
  const std::vector<float> out = download(dOut, in.size());
  for (size_t i = 0; i < out.size(); ++i) {
    const size_t first = i / 32 * 32;
    const float total = static_cast<float>(32 * first + 31 * 32 / 2);
    CHECK_MSG(out[i] == total, "lane " << i << ": " << out[i] << " != " << total);
  }
  cudaFree(dIn);
  cudaFree(dOut);
}

TEST(cuda_emulator_reports_a_barrier_half_the_warp_never_reaches) {
  float* dOut = nullptr;
  cudaMalloc(&dOut, 32 * sizeof(float));
  const auto [err, message] = launchOnOwnThread([&] { TANDEM_LAUNCH(divergentShuffleKernel, 1, 32)(dOut); });
  CHECK(err == cudaErrorLaunchFailure);
  CHECK_MSG(message.find("deadlock") != std::string::npos, message);
  cudaFree(dOut);
}

TEST(cuda_emulator_reports_a_shuffle_with_exited_lanes) {
  float* dOut = nullptr;
  cudaMalloc(&dOut, 32 * sizeof(float));
  const auto [err, message] = launchOnOwnThread([&] { TANDEM_LAUNCH(shuffleAfterExitKernel, 1, 32)(dOut); });
  CHECK(err == cudaErrorLaunchFailure);
  CHECK_MSG(message.find("has exited") != std::string::npos, message);
  cudaFree(dOut);
}

TEST(cuda_emulator_rejects_launch_configurations_cuda_rejects) {
  int* dCounter = nullptr;
  cudaMalloc(&dCounter, sizeof(int));
  cudaMemset(dCounter, 0, sizeof(int));
  for (const auto& [grid, block] : std::vector<std::pair<dim3, dim3>>{
           {dim3(0), dim3(32)}, {dim3(1), dim3(2048)}, {dim3(1, 70000), dim3(32)}, {dim3(1), dim3(32, 1, 65)}}) {
    TANDEM_LAUNCH(countKernel, grid, block)(dCounter);
    CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration);
  }
  TANDEM_LAUNCH(countKernel, 1, 1)(dCounter);
  CHECK(cudaGetLastError() == cudaSuccess);
  int counter = -1;
  cudaMemcpy(&counter, dCounter, sizeof(int), cudaMemcpyDeviceToHost);
  CHECK_MSG(counter == 1, "the rejected launches ran " << counter - 1 << " threads");
  cudaFree(dCounter);
}

TEST(cuda_emulator_checks_copies_and_frees) {
  float* d = nullptr;
  cudaMalloc(&d, 16 * sizeof(float));
  std::vector<float> host(32, 1.0f);
  CHECK(cudaMemcpy(d, host.data(), 16 * sizeof(float), cudaMemcpyHostToDevice) == cudaSuccess);
  CHECK(cudaMemcpy(d, host.data(), 17 * sizeof(float), cudaMemcpyHostToDevice) == cudaErrorInvalidValue);
  CHECK(cudaMemcpy(host.data(), d + 8, 9 * sizeof(float), cudaMemcpyDeviceToHost) == cudaErrorInvalidValue);
  CHECK(cudaMemcpy(host.data(), d, 4, cudaMemcpyHostToDevice) == cudaErrorInvalidValue);  // kind reversed
  CHECK(cudaMemset(d + 15, 0, 2 * sizeof(float)) == cudaErrorInvalidValue);
  CHECK(cudaFree(host.data()) == cudaErrorInvalidValue);
  CHECK(cudaFree(d) == cudaSuccess);
  cudaGetLastError();
}

TEST(cuda_emulator_dynamic_shared_memory_needs_the_opt_in_and_starts_as_nan) {
  float* dOut = nullptr;
  cudaMalloc(&dOut, sizeof(float));
  const size_t bytes = 64 * 1024;
  const auto [err, message] =
      launchOnOwnThread([&] { TANDEM_LAUNCH_SHARED(readUnwrittenSharedKernel, 1, 32, bytes)(dOut); });
  CHECK(err == cudaErrorInvalidValue);
  CHECK_MSG(message.find("cudaFuncSetAttribute") != std::string::npos, message);
  CHECK(cudaFuncSetAttribute(readUnwrittenSharedKernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 300 * 1024) ==
        cudaErrorInvalidValue);  // above an sm_90's 227 KiB
  cudaGetLastError();
  CHECK(cudaFuncSetAttribute(readUnwrittenSharedKernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                             static_cast<int>(bytes)) == cudaSuccess);
  TANDEM_LAUNCH_SHARED(readUnwrittenSharedKernel, 1, 32, bytes)(dOut);
  CHECK(cudaGetLastError() == cudaSuccess);
  CHECK(std::isnan(download(dOut, 1)[0]));
  cudaFree(dOut);
}

TEST(cuda_emulator_reports_a_misaligned_wmma_pointer) {
  __nv_bfloat16* dTile = nullptr;
  cudaMalloc(&dTile, 16 * 24 * sizeof(__nv_bfloat16));
  const auto [err, message] = launchOnOwnThread([&] { TANDEM_LAUNCH(misalignedWmmaKernel, 1, 32)(dTile); });
  CHECK(err == cudaErrorLaunchFailure);
  CHECK_MSG(message.find("256-bit aligned") != std::string::npos, message);
  cudaFree(dTile);
}
