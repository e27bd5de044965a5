// How one of our row-major GEMMs, C(M,N) (+)= A(M,K)·B(K,N) over strided
// views with C contiguous, is asked of a column-major BLAS (cuBLAS): a
// row-major matrix is its transpose read column-major, so C^T = B^T·A^T is
// computed with the operands swapped, each transposed or not depending on
// which of its strides is 1. Plain C++ (tested on every machine).
#pragma once

namespace trainer {
namespace cuda {

// Element (i, j) is data[i*strideRow + j*strideCol] (units: elements).
struct StridedOperand {
  const void* data;
  long strideRow, strideCol;
};

// The arguments of a column-major gemm: C(m,n) = op(A)(m,k) · op(B)(k,n).
struct ColumnMajorGemm {
  bool transA = false, transB = false;
  int m = 0, n = 0, k = 0;
  const void* a = nullptr;
  const void* b = nullptr;
  int lda = 0, ldb = 0, ldc = 0;
};

// False when an operand has no unit stride, or a leading dimension a BLAS
// rejects (smaller than the stored rows, or beyond int): the caller then
// uses its own kernel.
bool columnMajorGemm(const StridedOperand& a, const StridedOperand& b, int M, int N, int K, ColumnMajorGemm& out);

}  // namespace cuda
}  // namespace trainer
