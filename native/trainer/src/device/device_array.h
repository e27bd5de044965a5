// Owning device allocation (CUDA builds only; include from CUDA-library
// sources). Throws std::runtime_error naming the failing call.
#pragma once

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace trainer {

inline void cudaCheck(cudaError_t err, const char* what) {
  if (err != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(err));
}

template <typename T>
class DeviceArray {
 public:
  DeviceArray() = default;
  explicit DeviceArray(size_t n) { resize(n); }
  ~DeviceArray() { release(); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray(DeviceArray&& o) noexcept : ptr_(o.ptr_), n_(o.n_) { o.ptr_ = nullptr, o.n_ = 0; }

  // Reallocates (contents lost) only when the size changes.
  void resize(size_t n) {
    if (n == n_) return;
    release();
    if (n) cudaCheck(cudaMalloc(reinterpret_cast<void**>(&ptr_), n * sizeof(T)), "cudaMalloc");
    n_ = n;
  }
  void zero() {
    if (n_) cudaCheck(cudaMemset(ptr_, 0, n_ * sizeof(T)), "cudaMemset");
  }
  void upload(const T* host, size_t n, size_t offset = 0) {
    cudaCheck(cudaMemcpy(ptr_ + offset, host, n * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy H2D");
  }
  void download(T* host, size_t n, size_t offset = 0) const {
    cudaCheck(cudaMemcpy(host, ptr_ + offset, n * sizeof(T), cudaMemcpyDeviceToHost), "cudaMemcpy D2H");
  }
  T* get() { return ptr_; }
  const T* get() const { return ptr_; }
  size_t size() const { return n_; }

 private:
  void release() {
    if (ptr_) cudaFree(ptr_);
    ptr_ = nullptr;
    n_ = 0;
  }
  T* ptr_ = nullptr;
  size_t n_ = 0;
};

}  // namespace trainer
