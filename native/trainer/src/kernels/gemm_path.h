// Which implementation runs the Linear layers' GEMMs (kernels/matmul.cu):
//   cublas  cuBLAS (cublasGemmEx, bf16 in, fp32 accumulation), loaded at run
//           time (kernels/cublas_library.h); the default when it loads;
//   wmma    our tensor-core kernel where the shapes allow it (multiples of
//           16, aligned unit-stride operands), else the CUDA-core one; the
//           default without cuBLAS;
//   simt    our CUDA-core kernel only.
// TANDEM_CUDA_GEMM=cublas|wmma|simt forces one (cublas only when it loads).
// Our kernels stay the reference the tests compare cuBLAS with. Never cuBLAS
// on the CPU CUDA emulator: its "device" pointers are host memory.
// Plain C++: the NDJSON server reports the path in `hello` in every build.
#pragma once

#include <string>

namespace trainer {
namespace cuda {

enum class GemmPath { cublas, wmma, simt };

const char* gemmPathName(GemmPath path);  // "cublas" | "wmma" | "simt"

struct GemmPathInfo {
  GemmPath path = GemmPath::wmma;  // what runs now
  bool forced = false;             // chosen by TANDEM_CUDA_GEMM (or a test), not by what loaded
  bool cublasUsable = false;
  std::string cublasLibrary, cublasVersion;  // when usable
  std::string cublasReason;                  // why not, when not usable
};

GemmPathInfo gemmPathInfo();
GemmPath gemmPath();

// For tests and benchmarks: run the GEMMs on `path` from now on. Throws
// std::runtime_error for cublas when cuBLAS is not usable (says why).
void setGemmPath(GemmPath path);

// cuBLAS loaded but could not be used on a device (cublasCreate failed): the
// GEMMs fall back to our kernels for the rest of the process, and stderr says why.
void disableCublas(const std::string& why);

// One line on stderr naming the path, the first time a GEMM runs.
void announceGemmPath();

}  // namespace cuda
}  // namespace trainer
