// How a tensor is cut into chunks, compatible with the deployed SparseLoCo
// scheme: every tensor is viewed as a 2-D matrix (1-D tensors as a single
// row, N-D tensors as prod(leading dims) x last dim) and cut into blocks of
// chunkRows x chunkCols, where each side is the largest divisor of the
// matrix side that is <= blockSize (64 by default, so 64x64 = 4096 values).
// Chunks are numbered row-major over the block grid; inside a chunk, values
// are numbered row-major too ("local index").
#pragma once

#include <cstdint>
#include <vector>

#include "tandem_codec/status.h"

namespace tandem {

// Chunks are addressed with 16-bit local indices on the wire path.
constexpr uint32_t kMaxChunkSize = 65536;
constexpr uint32_t kMaxBlockSize = 256;
constexpr uint32_t kMaxDims = 8;

struct ChunkLayout {
  uint64_t rows = 0;       // matrix view
  uint64_t cols = 0;
  uint32_t chunkRows = 0;  // block height
  uint32_t chunkCols = 0;  // block width
  uint64_t gridCols = 0;   // chunks per block row = cols / chunkCols
  uint64_t chunkCount = 0;
  uint32_t chunkSize = 0;  // chunkRows * chunkCols
  uint64_t numel() const { return rows * cols; }
  // Flat (row-major) tensor index of the first value of chunk `c`.
  uint64_t chunkOrigin(uint64_t c) const {
    const uint64_t blockRow = c / gridCols, blockCol = c % gridCols;
    return blockRow * chunkRows * cols + blockCol * chunkCols;
  }
};

// Largest d with d | n and d <= limit (n >= 1, limit >= 1).
uint64_t largestDivisorAtMost(uint64_t n, uint64_t limit);

// Computes rows/cols of the matrix view; numel may overflow-check via status.
Status matrixView(const std::vector<uint64_t>& shape, uint64_t maxValues, uint64_t& rows,
                  uint64_t& cols, const std::string& context);

// Layout used by the encoder for a given block size.
Status layoutForShape(const std::vector<uint64_t>& shape, uint32_t blockSize, uint64_t maxValues,
                      ChunkLayout& out, const std::string& context);

// Layout from explicit chunk sides read from a payload (validated).
Status layoutFromChunkSides(uint64_t rows, uint64_t cols, uint64_t chunkRows, uint64_t chunkCols,
                            ChunkLayout& out, const std::string& context);

}  // namespace tandem
