// cuBLAS, loaded at run time (dlopen / LoadLibrary), never linked: cuBLAS is
// part of the CUDA toolkit, not of the NVIDIA driver, and the shipped trainer
// must start on a machine that has only the driver (then the GEMMs run on our
// own kernels, matmul.cu). The few types and entry points used are declared
// here from cuBLAS's public, ABI-stable C API (cublas_api.h of cuBLAS 12 and
// 13; enum values as published there), so neither the toolkit's headers nor
// a CUDA header is needed: the loader builds, and is tested, everywhere,
// including the CPU CUDA emulator build.
//
// Where it looks, in order:
//   TANDEM_CUBLAS_LIBRARY (a file name or path, when set);
//   Linux: libcublas.so.13, libcublas.so.12, libcublas.so (the dynamic
//     loader's search path: LD_LIBRARY_PATH, ld.so.conf; a pip wheel's
//     nvidia/cu13/lib or nvidia/cublas/lib needs LD_LIBRARY_PATH);
//   Windows: cublas64_13.dll, cublas64_12.dll (PATH, the executable's folder);
//   macOS: not applicable (no CUDA), the loader reports why.
#pragma once

#include <string>
#include <vector>

namespace trainer {
namespace cublas {

typedef struct cublasContext* Handle;  // cublasHandle_t
typedef enum { kSuccess = 0 } Status;  // cublasStatus_t; other values are errors, named by getStatusString
typedef enum { kOpN = 0, kOpT = 1 } Operation;           // CUBLAS_OP_N, CUBLAS_OP_T
typedef enum { kR32F = 0, kR16BF = 14 } DataType;        // CUDA_R_32F, CUDA_R_16BF (library_types.h)
typedef enum { kCompute32F = 68 } ComputeType;           // CUBLAS_COMPUTE_32F: fp32 accumulation
typedef enum { kGemmDefault = -1 } GemmAlgo;             // CUBLAS_GEMM_DEFAULT (cuBLAS picks tensor cores)
typedef enum { kMajorVersion = 0, kMinorVersion = 1, kPatchLevel = 2 } LibraryProperty;  // libraryPropertyType
using Stream = void*;                                    // cudaStream_t

// On 64-bit Windows the CUBLASWINAPI calling convention (__stdcall) is the
// only one, so plain function pointers match it.
struct Api {
  Status (*create)(Handle* handle) = nullptr;                // cublasCreate_v2
  Status (*destroy)(Handle handle) = nullptr;                // cublasDestroy_v2
  Status (*setStream)(Handle handle, Stream stream) = nullptr;  // cublasSetStream_v2
  Status (*gemmEx)(Handle handle, Operation transa, Operation transb, int m, int n, int k, const void* alpha,
                   const void* A, DataType Atype, int lda, const void* B, DataType Btype, int ldb, const void* beta,
                   void* C, DataType Ctype, int ldc, ComputeType computeType, GemmAlgo algo) = nullptr;
  const char* (*getStatusString)(Status status) = nullptr;
  Status (*getProperty)(LibraryProperty type, int* value) = nullptr;
  std::string library;  // the name that was loaded
  std::string version;  // "13.1.1"
};

// Opens `name` and resolves every entry point of Api. On failure returns
// false and says why (the loader's message, or the symbol that is missing);
// the library is closed again. On success it stays loaded for the process.
bool openLibrary(const std::string& name, Api& api, std::string& error);

// The names tried, in order (see the top of this file).
std::vector<std::string> candidateNames();

struct Library {
  bool available = false;
  std::string library, version;  // when available
  std::string reason;            // why not: every name tried and what failed
};

// The first candidate that loads, once per process (thread-safe). Null when none.
const Api* api();
Library library();

// Throws std::runtime_error "what: <cuBLAS's status string>" unless s is kSuccess.
void check(const Api& api, Status s, const std::string& what);

}  // namespace cublas
}  // namespace trainer
