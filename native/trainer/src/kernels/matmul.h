// Dense layer without bias, weights stored [outDim, inDim] (PyTorch Linear):
//   out[r, o] = sum_c inp[r, c] * weight[o, c]
// Backward ACCUMULATES (+=) into dinp and dweight, like every backward
// kernel here, so residual branches and tied weights sum naturally.
//
// matmulForward / matmulBackward run on the path kernels/cpu_gemm.h picks:
// OpenBLAS when the build found it, else our kernel. Our kernel stays
// callable as matmul*Reference, what the tests compare OpenBLAS with.
#pragma once

namespace trainer {
namespace cpu {

void matmulForward(float* out, const float* inp, const float* weight, int rows, int inDim, int outDim);

// dinp may be null (e.g. the first layer's input is an embedding output we
// still need, so it never is; but tests use it).
void matmulBackward(float* dinp, float* dweight, const float* dout, const float* inp,
                    const float* weight, int rows, int inDim, int outDim);

// Our kernel, whatever the path.
void matmulForwardReference(float* out, const float* inp, const float* weight, int rows, int inDim, int outDim);
void matmulBackwardReference(float* dinp, float* dweight, const float* dout, const float* inp,
                             const float* weight, int rows, int inDim, int outDim);

}  // namespace cpu
}  // namespace trainer
