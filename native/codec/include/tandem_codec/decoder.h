// Decoding side. Every function validates the whole input (see FORMAT.md,
// "Validation") and returns a Status naming the offending field; no input
// can cause undefined behaviour or an allocation larger than the limits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tandem_codec/payload.h"
#include "tandem_codec/status.h"

namespace tandem {

struct DecodeOptions {
  uint64_t maxValues = kDefaultMaxValues;  // dense values summed over all tensors
  uint32_t expectedK = 0;                  // 0 = accept any k
};

struct DenseTensor {
  std::string name;
  std::vector<uint64_t> shape;
  std::vector<float> values;
};

// Header, checksum and tensor descriptors (streams are bounds-checked but not decoded).
Status parsePayload(const uint8_t* data, size_t size, const DecodeOptions& options,
                    PayloadInfo& info);

// Decodes the index and level streams of tensor `t` into caller buffers of
// info.tensors[t].keptValues() entries each.
Status decodeTensorStreams(const uint8_t* data, const PayloadInfo& info, size_t t,
                           uint16_t* locals, uint8_t* levels);

Status decodePayloadSparse(const uint8_t* data, size_t size, const DecodeOptions& options,
                           SparsePayload& out);

Status decodePayloadDense(const uint8_t* data, size_t size, const DecodeOptions& options,
                          std::vector<DenseTensor>& out);

// Full decode of every stream without materialising dense tensors.
Status validatePayload(const uint8_t* data, size_t size, const DecodeOptions& options);

// Calls visit(position, j) for every kept value j of a tensor, in chunk and
// index order, `position` being its index in the dense row-major tensor.
// Indices are ascending within a chunk, so the block row advances
// monotonically: no division per value. The one walk behind scatterAdd and
// the aggregation's per-coordinate sender count.
template <typename Visit>
void forEachKeptPosition(const ChunkLayout& layout, uint32_t k, const uint16_t* locals, Visit&& visit) {
  const uint32_t bc = layout.chunkCols;
  for (uint64_t c = 0; c < layout.chunkCount; ++c) {
    const uint16_t* idx = locals + c * k;
    uint32_t rowEnd = bc;
    uint64_t rowStart = layout.chunkOrigin(c);
    for (uint32_t j = 0; j < k; ++j) {
      const uint32_t l = idx[j];
      while (l >= rowEnd) {
        rowEnd += bc;
        rowStart += layout.cols;
      }
      visit(rowStart + (l - (rowEnd - bc)), c * k + j);
    }
  }
}

// Adds scale * table[level] at every kept position of a tensor into `dense`
// (numel values). Shared by dense decode and aggregation.
void scatterAdd(const ChunkLayout& layout, uint32_t k, const uint16_t* locals,
                const uint8_t* levels, const std::array<float, 4>& table, float scale,
                float* dense);

}  // namespace tandem
