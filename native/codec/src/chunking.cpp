#include "tandem_codec/chunking.h"

namespace tandem {

uint64_t largestDivisorAtMost(uint64_t n, uint64_t limit) {
  for (uint64_t d = limit < n ? limit : n; d > 1; --d) {
    if (n % d == 0) return d;
  }
  return 1;
}

Status matrixView(const std::vector<uint64_t>& shape, uint64_t maxValues, uint64_t& rows,
                  uint64_t& cols, const std::string& context) {
  if (shape.size() > kMaxDims) {
    return Status::error(ErrorCode::kInvalidField, "ndim",
                         "at most " + std::to_string(kMaxDims) + " dimensions are supported",
                         context);
  }
  // Multiply with an overflow guard: every partial product must stay <= maxValues.
  uint64_t numel = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    const uint64_t d = shape[i];
    if (d == 0) {
      return Status::error(ErrorCode::kInvalidField, "shape",
                           "dimension " + std::to_string(i) + " is zero", context);
    }
    if (d > maxValues || numel > maxValues / d) {
      return Status::error(ErrorCode::kLimitExceeded, "shape",
                           "tensor has more than maxValues=" + std::to_string(maxValues) +
                               " values",
                           context);
    }
    numel *= d;
  }
  cols = shape.empty() ? 1 : shape.back();
  rows = numel / cols;
  return Status::success();
}

Status layoutFromChunkSides(uint64_t rows, uint64_t cols, uint64_t chunkRows, uint64_t chunkCols,
                            ChunkLayout& out, const std::string& context) {
  if (chunkRows == 0 || chunkRows > rows || rows % chunkRows != 0) {
    return Status::error(ErrorCode::kInvalidField, "chunk_rows",
                         "must divide the matrix row count " + std::to_string(rows), context);
  }
  if (chunkCols == 0 || chunkCols > cols || cols % chunkCols != 0) {
    return Status::error(ErrorCode::kInvalidField, "chunk_cols",
                         "must divide the matrix column count " + std::to_string(cols), context);
  }
  if (chunkRows * chunkCols > kMaxChunkSize) {
    return Status::error(ErrorCode::kInvalidField, "chunk_cols",
                         "chunk holds more than " + std::to_string(kMaxChunkSize) + " values",
                         context);
  }
  out.rows = rows;
  out.cols = cols;
  out.chunkRows = static_cast<uint32_t>(chunkRows);
  out.chunkCols = static_cast<uint32_t>(chunkCols);
  out.gridCols = cols / chunkCols;
  out.chunkCount = (rows / chunkRows) * out.gridCols;
  out.chunkSize = static_cast<uint32_t>(chunkRows * chunkCols);
  return Status::success();
}

Status layoutForShape(const std::vector<uint64_t>& shape, uint32_t blockSize, uint64_t maxValues,
                      ChunkLayout& out, const std::string& context) {
  if (blockSize == 0 || blockSize > kMaxBlockSize) {
    return Status::error(ErrorCode::kInvalidArgument, "blockSize",
                         "must be in 1.." + std::to_string(kMaxBlockSize), context);
  }
  uint64_t rows = 0, cols = 0;
  Status s = matrixView(shape, maxValues, rows, cols, context);
  if (!s.ok()) return s;
  // A 1-D tensor is one row, so it is chunked along its length only.
  return layoutFromChunkSides(rows, cols, largestDivisorAtMost(rows, blockSize),
                              largestDivisorAtMost(cols, blockSize), out, context);
}

}  // namespace tandem
