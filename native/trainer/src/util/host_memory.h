// Host memory as the trainer reports and plans with it: this process's
// resident set (step and heartbeat events' `memory_bytes`) and what the
// machine has available (the CPU backend's micro-batch at `load`). Linux
// /proc; 0 where it cannot be read.
#pragma once

#include <cstdint>

namespace trainer {

uint64_t residentBytes();
uint64_t availableHostBytes();

// What the trainer leaves to the rest of the machine when it plans a large
// host allocation (the CPU micro-batch's activations, the prepared outer
// step's copy of the weights): a quarter of what is available, so that the
// app, the OS's page cache and a neighbour's process keep room, and a plan
// that fits never pushes the machine into swap or the OOM killer.
constexpr uint64_t hostBytesToKeepFree(uint64_t available) { return available / 4; }

}  // namespace trainer
