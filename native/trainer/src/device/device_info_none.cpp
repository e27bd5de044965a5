#include "device/device_info.h"
#include "model/device_model.h"

namespace trainer {

DeviceQuery queryDevices() {
  DeviceQuery q;
  q.reason = "no CUDA device: this build has no CUDA backend (nvcc was not found at build time)";
  return q;
}

std::unique_ptr<DeviceModel> makeCudaDeviceModel(const LlamaModel&, int) { return nullptr; }

}  // namespace trainer
