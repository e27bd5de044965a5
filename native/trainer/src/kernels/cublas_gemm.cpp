#include "kernels/cublas_gemm.h"

#include <cuda_runtime.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <string>

#include "device/device_array.h"
#include "kernels/cublas_library.h"
#include "kernels/gemm_path.h"

namespace trainer {
namespace cuda {

namespace {
struct Handles {
  std::mutex mutex;
  std::map<int, cublas::Handle> byDevice;
  int users = 0;
};
// Never destroyed: handles still alive at exit are left to the driver, as
// destroying them after the CUDA runtime's own exit-time teardown can crash.
Handles& handles() {
  static Handles* h = new Handles;
  return *h;
}

// Destroys every handle, each with its device current. Called with the lock held.
void destroyAll(const cublas::Api& api, Handles& h) {
  int current = 0;
  const bool haveCurrent = cudaGetDevice(&current) == cudaSuccess;
  for (auto& [device, handle] : h.byDevice) {
    // Runs from destructors, so a failure is reported, not thrown.
    const cublas::Status s = cudaSetDevice(device) == cudaSuccess ? api.destroy(handle) : cublas::kSuccess;
    if (s != cublas::kSuccess) {
      std::fprintf(stderr, "tandem-trainer: cublasDestroy on device %d: %s\n", device, api.getStatusString(s));
    }
  }
  h.byDevice.clear();
  if (haveCurrent) cudaSetDevice(current);
}

// The current device's handle, created on first use; null when cuBLAS cannot
// be set up there (then disabled for the process).
cublas::Handle handleForCurrentDevice(const cublas::Api& api) {
  int device = 0;
  cudaCheck(cudaGetDevice(&device), "cudaGetDevice");
  Handles& h = handles();
  std::lock_guard<std::mutex> lock(h.mutex);
  if (auto it = h.byDevice.find(device); it != h.byDevice.end()) return it->second;
  cublas::Handle handle = nullptr;
  const cublas::Status created = api.create(&handle);
  if (created != cublas::kSuccess) {
    const char* text = api.getStatusString(created);
    disableCublas("cublasCreate on device " + std::to_string(device) + " failed: " + (text ? text : "?"));
    return nullptr;
  }
  // The null stream: the legacy default stream every other kernel here is
  // launched on, so cuBLAS's GEMMs are ordered with them.
  const cublas::Status streamSet = api.setStream(handle, nullptr);
  if (streamSet != cublas::kSuccess) {
    api.destroy(handle);
    cublas::check(api, streamSet, "cublasSetStream");
  }
  h.byDevice[device] = handle;
  return handle;
}
}  // namespace

bool cublasGemm(void* c, bool cFloat, const StridedOperand& a, const StridedOperand& b, int M, int N, int K,
                bool accumulate) {
  const cublas::Api* api = cublas::api();
  ColumnMajorGemm g;
  if (!api || !columnMajorGemm(a, b, M, N, K, g)) return false;
  cublas::Handle handle = handleForCurrentDevice(*api);
  if (!handle) return false;
  // alpha and beta are fp32 for CUBLAS_COMPUTE_32F; beta = 1 reads C (bf16
  // or fp32) into the fp32 accumulator before the single rounding.
  const float alpha = 1.0f, beta = accumulate ? 1.0f : 0.0f;
  const cublas::DataType cType = cFloat ? cublas::kR32F : cublas::kR16BF;
  const cublas::Status s =
      api->gemmEx(handle, g.transA ? cublas::kOpT : cublas::kOpN, g.transB ? cublas::kOpT : cublas::kOpN, g.m, g.n,
                  g.k, &alpha, g.a, cublas::kR16BF, g.lda, g.b, cublas::kR16BF, g.ldb, &beta, c, cType, g.ldc,
                  cublas::kCompute32F, cublas::kGemmDefault);
  if (s != cublas::kSuccess) {
    cublas::check(*api, s,
                  "cublasGemmEx (M=" + std::to_string(M) + " N=" + std::to_string(N) + " K=" + std::to_string(K) +
                      (cFloat ? ", fp32 out" : ", bf16 out") + (accumulate ? ", accumulate" : "") + ")");
  }
  return true;
}

void retainBlasHandles() {
  Handles& h = handles();
  std::lock_guard<std::mutex> lock(h.mutex);
  ++h.users;
}

void releaseBlasHandles() {
  Handles& h = handles();
  std::lock_guard<std::mutex> lock(h.mutex);
  if (h.users > 0) --h.users;
  if (h.users == 0 && !h.byDevice.empty()) {
    if (const cublas::Api* api = cublas::api()) destroyAll(*api, h);
  }
}

}  // namespace cuda
}  // namespace trainer
