#include "kernels/blas_layout.h"

#include <climits>

namespace trainer {
namespace cuda {

namespace {
// `x` (rows x cols) read column-major: with strideCol 1 the buffer holds x^T
// (cols x rows, leading dimension strideRow), so op = transpose-back is NOT
// needed when x^T is what the product wants; with strideRow 1 it holds x.
// `wantTransposed`: the product uses x^T. Sets trans and ld; false if neither
// stride is 1 or ld is too small / too large.
bool asColumnMajor(const StridedOperand& x, int rows, int cols, bool wantTransposed, bool& trans, int& ld) {
  long leading;
  long storedRows;  // rows of the matrix the buffer holds column-major
  bool holdsTranspose;
  if (x.strideCol == 1) {
    holdsTranspose = true;
    leading = x.strideRow;
    storedRows = cols;
  } else if (x.strideRow == 1) {
    holdsTranspose = false;
    leading = x.strideCol;
    storedRows = rows;
  } else {
    return false;
  }
  // A single row or column never steps along its leading dimension, so any
  // ld >= its stored rows describes it (BLAS still checks the bound).
  if ((holdsTranspose ? rows : cols) == 1 && leading < storedRows) leading = storedRows;
  if (leading < storedRows || leading < 1 || leading > INT_MAX) return false;
  trans = holdsTranspose != wantTransposed;
  ld = static_cast<int>(leading);
  return true;
}
}  // namespace

bool columnMajorGemm(const StridedOperand& a, const StridedOperand& b, int M, int N, int K, ColumnMajorGemm& out) {
  if (M < 1 || N < 1 || K < 1) return false;
  ColumnMajorGemm g;
  // C^T (N x M) = B^T (N x K) · A^T (K x M).
  g.m = N;
  g.n = M;
  g.k = K;
  g.a = b.data;
  g.b = a.data;
  g.ldc = N;
  if (!asColumnMajor(b, K, N, /*wantTransposed=*/true, g.transA, g.lda)) return false;
  if (!asColumnMajor(a, M, K, /*wantTransposed=*/true, g.transB, g.ldb)) return false;
  out = g;
  return true;
}

}  // namespace cuda
}  // namespace trainer
