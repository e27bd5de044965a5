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

// Adds scale * table[level] at every kept position of a tensor into `dense`
// (numel values). Shared by dense decode and aggregation.
void scatterAdd(const ChunkLayout& layout, uint32_t k, const uint16_t* locals,
                const uint8_t* levels, const std::array<float, 4>& table, float scale,
                float* dense);

}  // namespace tandem
