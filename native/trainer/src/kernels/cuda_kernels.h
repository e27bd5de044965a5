// CUDA counterparts of the CPU reference kernels in this folder: same math,
// same names, namespace trainer::cuda. Precision policy (llm.c style):
//   activations and their gradients: bf16 (pointers typed `bf16` = raw bits,
//     so plain C++ code can hold them without CUDA headers);
//   master weights, weight gradients, optimizer moments: fp32;
//   every reduction accumulates in fp32.
// All pointers are device pointers; kernels (and cuBLAS) run on the default stream.
// Determinism: no atomics; every output is reduced by one thread in a fixed
// order, so results are reproducible run to run on the same GPU model.
// Backward kernels ACCUMULATE into gradient buffers, like the CPU ones.
#pragma once

#include <cstdint>

namespace trainer {
namespace cuda {

using bf16 = uint16_t;

void castFloatToBf16(bf16* out, const float* in, long n);
void castBf16ToFloat(float* out, const bf16* in, long n);

void matmulForward(bf16* out, const bf16* inp, const bf16* weight, int rows, int inDim, int outDim);
void matmulBackward(bf16* dinp, float* dweight, const bf16* dout, const bf16* inp, const bf16* weight, int rows,
                    int inDim, int outDim);
// GEMMs launched so far through cuBLAS, on our tensor-core kernel and on our
// CUDA-core kernel (matmul.cu says when each is used), for tests and the
// benchmark. The path itself: kernels/gemm_path.h.
struct GemmLaunchCounts {
  uint64_t cublas, tensorCores, simt;
  uint64_t total() const { return cublas + tensorCores + simt; }
};
GemmLaunchCounts gemmLaunchCounts();

void embeddingForward(bf16* out, const int32_t* tokens, const float* table, int count, int dim);
// The positions grouped by token on the host (kernels/token_buckets.h):
// bucketTokens [buckets], bucketStarts [buckets+1], positions [count].
void embeddingBackward(float* dtable, const bf16* dout, const int32_t* bucketTokens, const int32_t* bucketStarts,
                       const int32_t* positions, int buckets, int dim);

void rmsnormForward(bf16* out, float* rstd, const bf16* inp, const float* weight, int rows, int dim, float eps);
// scratch: rmsnormBackwardScratch(rows, dim) floats of device memory (the
// weight gradient's per-chunk partial sums), owned by the caller so that
// concurrent callers (FSDP ranks sharing a GPU) never share it.
void rmsnormBackward(bf16* dinp, float* dweight, const bf16* dout, const bf16* inp, const float* weight,
                     const float* rstd, int rows, int dim, float* scratch);
long rmsnormBackwardScratch(int rows, int dim);

void ropeForward(bf16* x, const float* cosTable, const float* sinTable, int B, int T, int heads, int headDim);
void ropeBackward(bf16* dx, const float* cosTable, const float* sinTable, int B, int T, int heads, int headDim);

// headDim <= 256. Memory linear in T: lse fp32 [B,H,T] holds each query row's
// log-sum-exp for the backward pass (no [B,H,T,T] probabilities); delta fp32
// [B,H,T] is backward scratch. Backward also needs `out`.
void attentionForward(bf16* out, float* lse, const bf16* q, const bf16* k, const bf16* v, int B, int T, int heads,
                      int kvHeads, int headDim);
void attentionBackward(bf16* dq, bf16* dk, bf16* dv, float* delta, const bf16* dout, const bf16* out,
                       const float* lse, const bf16* q, const bf16* k, const bf16* v, int B, int T, int heads,
                       int kvHeads, int headDim);

void residualAdd(bf16* y, const bf16* x, long n);

void swigluForward(bf16* out, const bf16* gate, const bf16* up, long n);
void swigluBackward(bf16* dgate, bf16* dup, const bf16* dout, const bf16* gate, const bf16* up, long n);

// losses fp32 per row (0 when target < 0); dlogits written (not accumulated).
void crossEntropyForward(float* losses, const bf16* logits, const int32_t* targets, int rows, int vocab);
void crossEntropyBackward(bf16* dlogits, const bf16* logits, const int32_t* targets, int rows, int vocab,
                          float scale);

// fp32 master update; also refreshes the bf16 working copy when non-null.
void adamwUpdate(float* param, bf16* paramBf16, const float* grad, float* m, float* v, long n, float lr,
                 float beta1, float beta2, float eps, float weightDecay, int64_t t);

// Gradient clipping helpers: deterministic sum of squares (fp32 per block,
// double across blocks) and x *= s.
double sumOfSquares(const float* x, long n);
void scaleInPlace(float* x, long n, float s);

// Throws std::runtime_error with the CUDA error string after a failed launch.
void checkLastError(const char* what);

}  // namespace cuda
}  // namespace trainer
