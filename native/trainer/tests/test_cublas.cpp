// cuBLAS plumbing that needs no GPU: the run-time loader (kernels/
// cublas_library.h) and how our row-major GEMMs are expressed as a
// column-major BLAS call (kernels/blas_layout.h), checked against a
// reference that follows cublasGemmEx's own definition.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradcheck.h"
#include "kernels/blas_layout.h"
#include "kernels/cublas_library.h"
#include "kernels/token_buckets.h"
#include "test_harness.h"

using namespace trainer;

TEST(cublas_loader_reports_why_not) {
  cublas::Api api;
  std::string error;
  CHECK(!cublas::openLibrary("libtandem-no-such-library.so.9", api, error));
  CHECK_MSG(error.find("libtandem-no-such-library.so.9") != std::string::npos, error);
  error.clear();
  CHECK(!cublas::openLibrary("libm.so.6", api, error));  // loads, but is not cuBLAS
  CHECK_MSG(error.find("missing symbol cublasCreate_v2") != std::string::npos, error);
  CHECK(api.gemmEx == nullptr);

  ::setenv("TANDEM_CUBLAS_LIBRARY", "/opt/somewhere/libcublas.so.13", 1);
  const std::vector<std::string> named = cublas::candidateNames();
  ::unsetenv("TANDEM_CUBLAS_LIBRARY");
  CHECK(!named.empty() && named.front() == "/opt/somewhere/libcublas.so.13");
  const std::vector<std::string> plain = cublas::candidateNames();
  CHECK(!plain.empty() && plain.front() == "libcublas.so.13");

  // Whatever this machine has, the answer is consistent: a library and a
  // version, or a reason naming what was tried.
  const cublas::Library lib = cublas::library();
  if (lib.available) {
    CHECK(!lib.version.empty() && !lib.library.empty());
  } else {
    CHECK_MSG(lib.reason.find("libcublas.so.13") != std::string::npos, lib.reason);
  }
}

// Set TANDEM_TEST_CUBLAS_LIBRARY to a real libcublas (a pip wheel's
// nvidia/cu13/lib/libcublas.so.13 will do; no GPU is needed to load it) to
// check that every declared entry point exists under its exported name.
TEST(cublas_loader_resolves_a_real_library) {
  const char* path = std::getenv("TANDEM_TEST_CUBLAS_LIBRARY");
  if (!path || !*path) SKIP_TEST("TANDEM_TEST_CUBLAS_LIBRARY not set (cublas_loader_reports_why_not checked the failure paths)");
  cublas::Api api;
  std::string error;
  CHECK_MSG(cublas::openLibrary(path, api, error), error);
  CHECK(api.create && api.destroy && api.setStream && api.gemmEx && api.getStatusString && api.getProperty);
  CHECK_MSG(api.version.size() >= 5 && (api.version.rfind("12.", 0) == 0 || api.version.rfind("13.", 0) == 0),
            api.version);
  CHECK(std::string(api.getStatusString(cublas::kSuccess)) == "success");
}

namespace {
// cublasGemmEx's definition, column-major: C(m,n) = op(A)(m,k) · op(B)(k,n),
// op(X)(i,p) = X[i + p*ld] or, transposed, X[p + i*ld].
std::vector<double> columnMajorReference(const cuda::ColumnMajorGemm& g) {
  const auto* a = static_cast<const float*>(g.a);
  const auto* b = static_cast<const float*>(g.b);
  std::vector<double> c(static_cast<size_t>(g.ldc) * g.n, 0.0);
  for (int j = 0; j < g.n; ++j) {
    for (int i = 0; i < g.m; ++i) {
      double acc = 0;
      for (int p = 0; p < g.k; ++p) {
        const double x = g.transA ? a[p + static_cast<long>(i) * g.lda] : a[i + static_cast<long>(p) * g.lda];
        const double y = g.transB ? b[j + static_cast<long>(p) * g.ldb] : b[p + static_cast<long>(j) * g.ldb];
        acc += x * y;
      }
      c[i + static_cast<size_t>(j) * g.ldc] = acc;
    }
  }
  return c;
}

// Our definition, row-major C (leading dimension N) over strided views.
std::vector<double> rowMajorProduct(const float* a, long aRow, long aCol, const float* b, long bRow, long bCol, int M,
                                    int N, int K) {
  std::vector<double> c(static_cast<size_t>(M) * N, 0.0);
  for (int i = 0; i < M; ++i) {
    for (int j = 0; j < N; ++j) {
      double acc = 0;
      for (int p = 0; p < K; ++p) acc += double(a[i * aRow + p * aCol]) * b[p * bRow + j * bCol];
      c[static_cast<size_t>(i) * N + j] = acc;
    }
  }
  return c;
}
}  // namespace

// The three products of a Linear layer (matmul.cu's views), on odd sizes.
TEST(blas_layout_matches_row_major_products) {
  const int rows = 7, in = 5, out = 3;
  const std::vector<float> inp = testing::randomVector(rows * in, 1), weight = testing::randomVector(out * in, 2),
                           dout = testing::randomVector(rows * out, 3);
  struct Product {
    const char* name;
    const float* a;
    long aRow, aCol;
    const float* b;
    long bRow, bCol;
    int M, N, K;
  };
  const Product products[] = {
      {"forward", inp.data(), in, 1, weight.data(), 1, in, rows, out, in},
      {"dinp", dout.data(), out, 1, weight.data(), in, 1, rows, in, out},
      {"dweight", dout.data(), 1, out, inp.data(), in, 1, out, in, rows},
  };
  for (const Product& p : products) {
    cuda::ColumnMajorGemm g;
    const bool ok = cuda::columnMajorGemm(cuda::StridedOperand{p.a, p.aRow, p.aCol},
                                          cuda::StridedOperand{p.b, p.bRow, p.bCol}, p.M, p.N, p.K, g);
    CHECK_MSG(ok, p.name);
    if (!ok) continue;
    const std::vector<double> expected = rowMajorProduct(p.a, p.aRow, p.aCol, p.b, p.bRow, p.bCol, p.M, p.N, p.K);
    const std::vector<double> got = columnMajorReference(g);
    double worst = 0;
    for (size_t i = 0; i < expected.size(); ++i) worst = std::max(worst, std::fabs(expected[i] - got[i]));
    CHECK_MSG(worst < 1e-12, p.name << ": max difference " << worst);
  }
  // cuBLAS needs a unit stride on each operand and ld >= the stored rows.
  cuda::ColumnMajorGemm g;
  CHECK(!cuda::columnMajorGemm(cuda::StridedOperand{inp.data(), 2 * in, 2}, cuda::StridedOperand{weight.data(), 1, in},
                               rows, out, in, g));
  CHECK(!cuda::columnMajorGemm(cuda::StridedOperand{inp.data(), in - 1, 1}, cuda::StridedOperand{weight.data(), 1, in},
                               rows, out, in, g));
}

TEST(token_buckets_group_positions_by_token) {
  const std::vector<int32_t> tokens = {4, 1, 4, 0, 9, 1, 4};
  const TokenBuckets b = bucketTokens(tokens.data(), static_cast<int>(tokens.size()), 10);
  CHECK((b.tokens == std::vector<int32_t>{0, 1, 4, 9}));
  CHECK((b.starts == std::vector<int32_t>{0, 1, 3, 6, 7}));
  CHECK((b.positions == std::vector<int32_t>{3, 1, 5, 0, 2, 6, 4}));
  bool threw = false;
  try {
    const int32_t bad[] = {3, 10};
    bucketTokens(bad, 2, 10);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);
}
