// The elementwise kernel the CUDA collective's peer-copy path reduces with
// (collective_kernels.cu), beside its CPU reference (collective_kernels.cpp),
// which CpuCollective reduces with: both add ranks in the same order, so the
// two agree bit for bit.
#pragma once

namespace trainer {

namespace cpu {
void addInPlace(float* y, const float* x, long n);  // y += x
}  // namespace cpu

namespace cuda {
void addInPlace(float* y, const float* x, long n);  // device pointers, default stream
}  // namespace cuda

}  // namespace trainer
