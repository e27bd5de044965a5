#include "util/host_memory.h"

#include <unistd.h>

#include <cstdio>
#include <string>

namespace trainer {

uint64_t residentBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? static_cast<uint64_t>(resident) * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)) : 0;
}

uint64_t availableHostBytes() {
  FILE* f = std::fopen("/proc/meminfo", "r");
  if (!f) return 0;
  char key[64];
  unsigned long value = 0;
  char unit[16];
  uint64_t result = 0;
  while (std::fscanf(f, "%63s %lu %15s", key, &value, unit) == 3) {
    if (std::string(key) == "MemAvailable:") {
      result = static_cast<uint64_t>(value) * 1024;
      break;
    }
  }
  std::fclose(f);
  return result;
}

}  // namespace trainer
