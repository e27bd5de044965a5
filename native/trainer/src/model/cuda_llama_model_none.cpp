// Builds without the CUDA backend: no CUDA device model, so `load` with
// backend "cuda" answers no_cuda_device (cuda_llama_model.cpp otherwise).
#include "model/device_model.h"

namespace trainer {

std::unique_ptr<DeviceModel> makeCudaDeviceModel(const LlamaModel&, int) { return nullptr; }

}  // namespace trainer
