// The safetensors format, written and read by hand (Hugging Face spec):
//   8 bytes: u64 LE header length N
//   N bytes: UTF-8 JSON {"__metadata__": {str: str}, name: {"dtype", "shape",
//            "data_offsets": [begin, end]}} padded with spaces to 8 bytes
//   rest:    the tensors' bytes; offsets are relative to the end of the header
// Only F32 tensors are written; the reader validates every field so a torn
// or hostile file is rejected instead of read out of bounds.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace trainer {

struct SafetensorsEntry {
  std::string name;
  std::vector<uint64_t> shape;
  const float* data = nullptr;  // numel values
};

// Serialises to bytes (tensors in the given order).
std::vector<uint8_t> encodeSafetensors(const std::vector<SafetensorsEntry>& tensors,
                                       const std::map<std::string, std::string>& metadata);
// encode + atomic write (temp file, fsync, rename).
void writeSafetensors(const std::string& path, const std::vector<SafetensorsEntry>& tensors,
                      const std::map<std::string, std::string>& metadata);

struct LoadedTensor {
  std::vector<uint64_t> shape;
  std::vector<float> values;
};

struct SafetensorsFile {
  std::map<std::string, std::string> metadata;
  std::map<std::string, LoadedTensor> tensors;
};

// Throws TrainerError(checkpoint_error) naming what is wrong.
SafetensorsFile decodeSafetensors(const std::vector<uint8_t>& bytes, const std::string& context);
SafetensorsFile readSafetensors(const std::string& path);

}  // namespace trainer
