// The GEMM path as the CUDA tests (test_cuda_*.cpp) steer and observe it:
// a scope that runs the GEMMs on one path, and how many launches a path took.
#pragma once

#include <cstdint>

#include "kernels/gemm_path.h"

namespace cudatest {

// Runs the GEMMs on `path` while in scope (the process-wide choice,
// kernels/gemm_path.h), then restores the previous one.
class ScopedGemmPath {
 public:
  explicit ScopedGemmPath(trainer::cuda::GemmPath path) : before_(trainer::cuda::gemmPath()) {
    trainer::cuda::setGemmPath(path);
  }
  ~ScopedGemmPath() { trainer::cuda::setGemmPath(before_); }
  ScopedGemmPath(const ScopedGemmPath&) = delete;
  ScopedGemmPath& operator=(const ScopedGemmPath&) = delete;

 private:
  trainer::cuda::GemmPath before_;
};

inline uint64_t launchesOn(const trainer::cuda::GemmLaunchCounts& c, trainer::cuda::GemmPath path) {
  using trainer::cuda::GemmPath;
  return path == GemmPath::cublas ? c.cublas : path == GemmPath::wmma ? c.tensorCores : c.simt;
}

}  // namespace cudatest
