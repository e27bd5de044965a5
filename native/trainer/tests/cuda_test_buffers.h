// Device buffers and bf16 helpers the CUDA tests (test_cuda_*.cpp) share.
// Inputs are rounded to bf16 first so both the CPU reference and the device
// see the same values; outputs are compared by the relative error of the
// whole vector (bf16 keeps ~3 significant digits).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "gradcheck.h"
#include "kernels/cuda_kernels.h"
#include "test_harness.h"

namespace cudatest {

using bf16 = trainer::cuda::bf16;

constexpr double kTolerance = 2e-2;

inline bf16 toBf16(float f) {  // round to nearest even, as __float2bfloat16
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u += 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<bf16>(u >> 16);
}
inline float fromBf16(bf16 b) {
  const uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline std::vector<float> zeros(size_t n, float value = 0.0f) { return std::vector<float>(n, value); }

inline std::vector<float> roundedRandom(size_t n, uint64_t seed, double scale = 1.0) {
  std::vector<float> v = testing::randomVector(n, seed, scale);
  for (float& x : v) x = fromBf16(toBf16(x));
  return v;
}

// Device buffer of T, filled from / read back to host vectors.
template <typename T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t n) : n_(n) { cudaMalloc(&ptr_, n * sizeof(T) + 1); }
  ~DeviceBuffer() { cudaFree(ptr_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() { return ptr_; }
  void upload(const std::vector<T>& v) { cudaMemcpy(ptr_, v.data(), n_ * sizeof(T), cudaMemcpyHostToDevice); }
  std::vector<T> download() const {
    std::vector<T> v(n_);
    cudaMemcpy(v.data(), ptr_, n_ * sizeof(T), cudaMemcpyDeviceToHost);
    return v;
  }

 private:
  T* ptr_ = nullptr;
  size_t n_;
};

struct Bf16Buffer : DeviceBuffer<bf16> {
  explicit Bf16Buffer(const std::vector<float>& v) : DeviceBuffer<bf16>(v.size()) {
    std::vector<bf16> b(v.size());
    for (size_t i = 0; i < v.size(); ++i) b[i] = toBf16(v[i]);
    upload(b);
  }
  std::vector<float> floats() const {
    std::vector<float> out;
    for (bf16 b : download()) out.push_back(fromBf16(b));
    return out;
  }
};
struct FloatBuffer : DeviceBuffer<float> {
  explicit FloatBuffer(const std::vector<float>& v) : DeviceBuffer<float>(v.size()) { upload(v); }
};

inline double relErr(const std::vector<float>& expected, const std::vector<float>& got) {
  std::vector<double> e(expected.begin(), expected.end());
  return testing::relativeError(e, got);
}

#define CHECK_CLOSE(expected, got, what)                                      \
  do {                                                                        \
    const double err_ = ::cudatest::relErr(expected, got);                                \
    CHECK_MSG(err_ < kTolerance, what << ": relative error " << err_);        \
  } while (0)

}  // namespace cudatest
