// The in-memory forms of a payload (see FORMAT.md for the bytes).
//
// SparseTensor is what actually travels: for every chunk, k sorted local
// indices and k 2-bit levels, plus the 4-entry dequantisation table.
// PayloadInfo is the validated header view (no stream decoding), used by
// inspect and as the first stage of decode/aggregate.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tandem_codec/chunking.h"

namespace tandem {

constexpr uint8_t kPayloadMagic[4] = {'T', 'N', 'D', 'C'};
constexpr uint16_t kPayloadVersion = 1;
constexpr size_t kPayloadHeaderBytes = 24;  // magic..k
constexpr size_t kPayloadTrailerBytes = 4;  // crc32c
constexpr uint32_t kMaxTensorCount = 1u << 20;
constexpr uint32_t kMaxNameBytes = 1024;
constexpr uint64_t kDefaultMaxValues = uint64_t(1) << 30;  // per payload, all tensors

struct SparseTensor {
  std::string name;
  std::vector<uint64_t> shape;
  ChunkLayout layout;
  uint32_t k = 0;                  // kept values per chunk
  std::array<float, 4> table{};    // level -> value
  std::vector<uint16_t> locals;    // chunkCount*k, ascending within each chunk
  std::vector<uint8_t> levels;     // chunkCount*k, each 0..3
  // Coding parameters; 0 / all-zero means "choose from the data" when
  // serialising. Decode fills them in so a payload re-serialises to itself.
  uint32_t golombM = 0;
  std::array<uint16_t, 4> levelFreq{};
};

struct SparsePayload {
  uint32_t k = 0;  // the encoder's k parameter (per-tensor k = min(k, chunk size))
  std::vector<SparseTensor> tensors;
};

struct TensorInfo {
  std::string name;
  std::vector<uint64_t> shape;
  ChunkLayout layout;
  uint32_t k = 0;
  std::array<float, 4> table{};
  std::array<uint16_t, 4> levelFreq{};
  uint32_t golombM = 0;
  uint64_t indexOffset = 0, indexBytes = 0;  // byte ranges inside the payload
  uint64_t levelOffset = 0, levelBytes = 0;
  uint64_t headerBytes = 0;                  // this tensor's descriptor size
  uint64_t keptValues() const { return layout.chunkCount * k; }
};

struct PayloadInfo {
  uint16_t version = 0;
  uint32_t k = 0;
  uint64_t totalBytes = 0;
  uint64_t totalValues = 0;  // dense values over all tensors
  uint64_t keptValues = 0;
  std::vector<TensorInfo> tensors;
};

// Serialises a sparse payload (used by the encoder, and by tests/fuzzing to
// check that decode -> serialise reproduces the input bytes).
void serializePayload(const SparsePayload& payload, std::vector<uint8_t>& out);

}  // namespace tandem
