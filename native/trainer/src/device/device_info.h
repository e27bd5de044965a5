// What accelerators this process can use. Implemented by device_info_cuda.cu
// when the CUDA backend is compiled in, else by device_info_none.cpp; either
// way a machine without a GPU gets an empty list and a reason, never a crash.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trainer {

struct DeviceInfo {
  int index = 0;
  std::string name;
  int computeMajor = 0, computeMinor = 0;
  uint64_t totalBytes = 0, freeBytes = 0;
};

struct DeviceQuery {
  bool cudaCompiled = false;
  std::vector<DeviceInfo> devices;
  std::string reason;  // why `devices` is empty ("no CUDA device", driver error...)
};

DeviceQuery queryDevices();

}  // namespace trainer
