// Crash-safe file replacement: write to "<path>.tmp-<pid>", fsync the file,
// rename over the target, fsync the directory. A reader (or a restarted
// trainer) sees either the old file or the complete new one, never a torn one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trainer {

// Any failure
// throws TrainerError(io_error) and leaves the target untouched.
void writeFileAtomically(const std::string& path, const std::vector<uint8_t>& bytes);

std::vector<uint8_t> readWholeFile(const std::string& path);

}  // namespace trainer
