// The Linear layers' GEMMs through cuBLAS (matmul.cu calls this on the
// cublas path; kernels/gemm_path.h says when). CUDA builds only.
// One cuBLAS handle per device, created lazily by the first GEMM on it, bound
// to the stream every kernel here runs on (the default stream), released when
// the last CudaLlamaModel goes away. A handle is shared by the host threads
// that drive its device (FSDP ranks sharing a GPU): cuBLAS allows that while
// its settings do not change, and they never do after creation.
#pragma once

#include "kernels/blas_layout.h"

namespace trainer {
namespace cuda {

// C(M,N) (+)= A(M,K)·B(K,N): bf16 operands, fp32 accumulation; C row-major
// (leading dimension N), bf16 (cFloat false) or fp32. With accumulate the
// product is added to C (beta = 1), rounded once. Returns false, launching
// nothing, when an operand's layout cannot be expressed (no unit stride) or
// cuBLAS could not be set up on this device (then it is disabled, see
// gemm_path.h); the caller runs its own kernel. Throws on a failed GEMM.
bool cublasGemm(void* c, bool cFloat, const StridedOperand& a, const StridedOperand& b, int M, int N, int K,
                bool accumulate);

// Reference count of the models using the handles (CudaLlamaModel's
// constructor and destructor): the last release destroys every handle.
void retainBlasHandles();
void releaseBlasHandles();

}  // namespace cuda
}  // namespace trainer
