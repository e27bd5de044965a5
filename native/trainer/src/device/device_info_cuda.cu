// Device discovery through the CUDA runtime (linked statically; the driver
// library is loaded at run time, so a machine without a driver or GPU gets
// an error code here, not a failed program start).
#include <cuda_runtime.h>

#include "device/device_info.h"

namespace trainer {

DeviceQuery queryDevices() {
  DeviceQuery q;
  q.cudaCompiled = true;
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    q.reason = std::string("no CUDA device: ") + (err != cudaSuccess ? cudaGetErrorString(err) : "none found");
    cudaGetLastError();  // clear the sticky error state
    return q;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    DeviceInfo d;
    d.index = i;
    d.name = prop.name;
    d.computeMajor = prop.major;
    d.computeMinor = prop.minor;
    d.totalBytes = prop.totalGlobalMem;
    size_t freeBytes = 0, totalBytes = 0;
    if (cudaSetDevice(i) == cudaSuccess && cudaMemGetInfo(&freeBytes, &totalBytes) == cudaSuccess) {
      d.freeBytes = freeBytes;
    }
    q.devices.push_back(d);
  }
  if (q.devices.empty()) q.reason = "no CUDA device: properties could not be read";
  return q;
}

}  // namespace trainer
