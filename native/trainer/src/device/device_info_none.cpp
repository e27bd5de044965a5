// Builds without the CUDA backend: no devices, and the reason why.
#include "device/device_info.h"

namespace trainer {

DeviceQuery queryDevices() {
  DeviceQuery q;
  q.reason = "no CUDA device: this build has no CUDA backend (nvcc was not found at build time)";
  return q;
}

}  // namespace trainer
