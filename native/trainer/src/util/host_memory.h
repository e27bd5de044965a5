// Host memory as the trainer reports and plans with it: this process's
// resident set (step and heartbeat events' `memory_bytes`) and what the
// machine has available (the CPU backend's micro-batch at `load`). Linux
// /proc; 0 where it cannot be read.
#pragma once

#include <cstdint>

namespace trainer {

uint64_t residentBytes();
uint64_t availableHostBytes();

}  // namespace trainer
