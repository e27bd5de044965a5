// Builds without the CUDA backend: no CUDA FSDP (CPU ranks still work).
#include "fsdp/fsdp_factory.h"

namespace trainer {

std::unique_ptr<FsdpModel> makeCudaFsdpModel(const LlamaModel&, const std::vector<int>&, bool) { return nullptr; }

}  // namespace trainer
