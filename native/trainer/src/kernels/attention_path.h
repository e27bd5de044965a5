// Which implementation runs causal attention on CUDA (kernels/attention.cu):
//   flash      tiled FlashAttention-2 style kernels on tensor cores
//              (attention_flash_forward.cu, attention_flash_backward.cu);
//              the default;
//   reference  the first kernels, one thread per query row
//              (attention_reference.cu): slow, simple, kept as the reference
//              the tests compare the flash kernels with, and as a fallback.
// TANDEM_CUDA_ATTENTION=flash|reference chooses one for the process.
// Plain C++ (no CUDA headers).
#pragma once

namespace trainer {
namespace cuda {

enum class AttentionPath { flash, reference };

const char* attentionPathName(AttentionPath path);  // "flash" | "reference"

AttentionPath attentionPath();

// For tests and benchmarks: run attention on `path` from now on.
void setAttentionPath(AttentionPath path);

}  // namespace cuda
}  // namespace trainer
