// The header of a NumPy `.npy` file, format versions 1.0 and 2.0
// (numpy.lib.format): the magic "\x93NUMPY", a major and minor version byte,
// the header length (little-endian uint16 in 1.0, uint32 in 2.0), then an
// ASCII Python dict literal such as
//   {'descr': '<u2', 'fortran_order': False, 'shape': (1000,), }
// padded with spaces and ended by '\n'. The array's raw bytes follow.
// Only the literal forms NumPy writes are parsed (quoted strings, True/False,
// tuples of non-negative integers); whether the array is a token shard is
// the caller's decision.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace trainer {

constexpr size_t kNpyMagicBytes = 6;  // "\x93NUMPY"

struct NpyHeader {
  int majorVersion = 0;
  int minorVersion = 0;
  std::string descr;  // NumPy's dtype string, e.g. "<u2"
  bool fortranOrder = false;
  std::vector<uint64_t> shape;
  size_t dataOffset = 0;  // bytes before the array's data
};

// True when `bytes` (of length n) start with the .npy magic.
bool hasNpyMagic(const uint8_t* bytes, size_t n);

// Bytes before the header dict: 10 for version 1.0, 12 for 2.0; reads the
// version from the first 8 bytes. Throws TrainerError(data_error) for other
// versions, with a message that does not name the file (the caller does).
size_t npyPreambleBytes(const uint8_t* first8);

// Parses magic, version, header length and dict from `bytes`, which hold at
// least the preamble and the whole header (npyHeaderEnd() of the preamble).
// Throws TrainerError(data_error) without naming the file.
NpyHeader parseNpyHeader(const uint8_t* bytes, size_t n);

// Where the header ends (= dataOffset), from the preamble alone.
size_t npyHeaderEnd(const uint8_t* preamble);

}  // namespace trainer
