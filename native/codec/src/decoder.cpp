#include "tandem_codec/decoder.h"

#include <cmath>
#include <cstring>
#include <new>
#include <unordered_set>

#include "byte_io.h"
#include "crc32c.h"
#include "index_coder.h"
#include "level_coder.h"

namespace tandem {
namespace {

using detail::ByteReader;

std::string tensorContext(size_t i, const std::string& name) {
  return "tensor " + std::to_string(i) + " \"" + name + "\"";
}

Status truncated(const char* field, const std::string& ctx) {
  return Status::error(ErrorCode::kTruncated, field, "payload ends inside this field", ctx);
}

// Reads a canonical varint into `v`, bounded by `max`; names `field` on error.
Status readVarint(ByteReader& r, const char* field, uint64_t max, uint64_t& v,
                  const std::string& ctx) {
  switch (r.varint(v)) {
    case ByteReader::VarintResult::kTruncated: return truncated(field, ctx);
    case ByteReader::VarintResult::kMalformed:
      return Status::error(ErrorCode::kInvalidField, field, "malformed varint", ctx);
    case ByteReader::VarintResult::kOk: break;
  }
  if (v > max) {
    return Status::error(ErrorCode::kInvalidField, field,
                         "value " + std::to_string(v) + " exceeds " + std::to_string(max), ctx);
  }
  return Status::success();
}

#define TANDEM_TRY(expr)        \
  do {                          \
    Status s_ = (expr);         \
    if (!s_.ok()) return s_;    \
  } while (0)

Status parseTensor(ByteReader& r, size_t index, uint32_t payloadK, const DecodeOptions& options,
                   uint64_t& valueBudget, TensorInfo& t) {
  const size_t start = r.offset();
  std::string ctx = "tensor " + std::to_string(index);
  uint64_t v = 0;
  TANDEM_TRY(readVarint(r, "name", kMaxNameBytes, v, ctx));
  if (v == 0) return Status::error(ErrorCode::kInvalidField, "name", "empty name", ctx);
  const uint8_t* nameBytes = nullptr;
  if (!r.skip(v, nameBytes)) return truncated("name", ctx);
  t.name.assign(reinterpret_cast<const char*>(nameBytes), v);
  ctx = tensorContext(index, t.name);

  uint8_t ndim = 0;
  if (!r.u8(ndim)) return truncated("ndim", ctx);
  if (ndim > kMaxDims) {
    return Status::error(ErrorCode::kInvalidField, "ndim",
                         std::to_string(ndim) + " dimensions (max " + std::to_string(kMaxDims) +
                             ")",
                         ctx);
  }
  t.shape.resize(ndim);
  for (uint8_t d = 0; d < ndim; ++d) {
    TANDEM_TRY(readVarint(r, "shape", options.maxValues, t.shape[d], ctx));
  }
  uint64_t rows = 0, cols = 0;
  TANDEM_TRY(matrixView(t.shape, valueBudget, rows, cols, ctx));
  valueBudget -= rows * cols;

  uint64_t chunkRows = 0, chunkCols = 0;
  TANDEM_TRY(readVarint(r, "chunk_rows", kMaxChunkSize, chunkRows, ctx));
  TANDEM_TRY(readVarint(r, "chunk_cols", kMaxChunkSize, chunkCols, ctx));
  TANDEM_TRY(layoutFromChunkSides(rows, cols, chunkRows, chunkCols, t.layout, ctx));

  TANDEM_TRY(readVarint(r, "tensor_k", kMaxChunkSize, v, ctx));
  const uint64_t expectedK = payloadK < t.layout.chunkSize ? payloadK : t.layout.chunkSize;
  if (v != expectedK) {
    return Status::error(ErrorCode::kInvalidField, "tensor_k",
                         "is " + std::to_string(v) + " but min(k, chunk size) = " +
                             std::to_string(expectedK),
                         ctx);
  }
  t.k = uint32_t(v);

  for (int l = 0; l < 4; ++l) {
    if (!r.f32(t.table[l])) return truncated("table", ctx);
    if (!std::isfinite(t.table[l])) {
      return Status::error(ErrorCode::kInvalidField, "table",
                           "entry " + std::to_string(l) + " is not finite", ctx);
    }
  }
  uint32_t freqSum = 0;
  for (int l = 0; l < 4; ++l) {
    if (!r.u16(t.levelFreq[l])) return truncated("level_freq", ctx);
    freqSum += t.levelFreq[l];
  }
  if (freqSum != detail::kLevelProbTotal) {
    return Status::error(ErrorCode::kInvalidField, "level_freq",
                         "frequencies sum to " + std::to_string(freqSum) + ", expected " +
                             std::to_string(detail::kLevelProbTotal),
                         ctx);
  }
  TANDEM_TRY(readVarint(r, "golomb_m", t.layout.chunkSize, v, ctx));
  const bool allKept = t.k == t.layout.chunkSize;
  if (v == 0 || (allKept && v != 1)) {
    return Status::error(ErrorCode::kInvalidField, "golomb_m",
                         allKept ? "must be 1 when every position is kept" : "must be >= 1", ctx);
  }
  t.golombM = uint32_t(v);

  TANDEM_TRY(readVarint(r, "index_bytes", r.remaining(), t.indexBytes, ctx));
  if (allKept && t.indexBytes != 0) {
    return Status::error(ErrorCode::kInvalidField, "index_bytes",
                         "must be 0 when every position is kept", ctx);
  }
  // Each kept index costs at least one bit (its unary terminator).
  if (!allKept && t.indexBytes < (t.keptValues() + 7) / 8) {
    return Status::error(ErrorCode::kInvalidField, "index_bytes",
                         "too small for " + std::to_string(t.keptValues()) + " indices", ctx);
  }
  TANDEM_TRY(readVarint(r, "level_bytes", r.remaining(), t.levelBytes, ctx));
  if (t.levelBytes < 4) {
    return Status::error(ErrorCode::kInvalidField, "level_bytes", "must be >= 4", ctx);
  }
  t.headerBytes = r.offset() - start;
  const uint8_t* p = nullptr;
  if (!r.skip(t.indexBytes, p)) return truncated("index_bytes", ctx);
  t.indexOffset = r.offset() - t.indexBytes;
  if (!r.skip(t.levelBytes, p)) return truncated("level_bytes", ctx);
  t.levelOffset = r.offset() - t.levelBytes;
  return Status::success();
}

}  // namespace

Status parsePayload(const uint8_t* data, size_t size, const DecodeOptions& options,
                    PayloadInfo& info) {
  info = PayloadInfo{};
  if (data == nullptr && size != 0) {
    return Status::error(ErrorCode::kInvalidArgument, "payload", "null buffer");
  }
  if (size < 4) return truncated("magic", "");
  if (std::memcmp(data, kPayloadMagic, 4) != 0) {
    return Status::error(ErrorCode::kBadMagic, "magic", "not a Tandem codec payload (expected 'TNDC')");
  }
  if (size < 6) return truncated("version", "");
  info.version = uint16_t(data[4] | data[5] << 8);
  if (info.version != kPayloadVersion) {
    return Status::error(ErrorCode::kUnsupportedVersion, "version",
                         "payload is protocol version " + std::to_string(info.version) +
                             ", this codec reads version " + std::to_string(kPayloadVersion));
  }
  if (size < kPayloadHeaderBytes + kPayloadTrailerBytes) return truncated("total_length", "");
  const uint64_t declared = detail::loadLE64(data + 8);
  if (declared != size) {
    return Status::error(declared > size ? ErrorCode::kTruncated : ErrorCode::kInvalidField,
                         "total_length",
                         "header says " + std::to_string(declared) + " bytes, got " +
                             std::to_string(size));
  }
  const uint32_t stored = detail::loadLE32(data + size - 4);
  const uint32_t actual = crc32c(data, size - 4);
  if (stored != actual) {
    return Status::error(ErrorCode::kChecksumMismatch, "checksum",
                         "crc32c mismatch (payload corrupted)");
  }
  ByteReader r(data, size - kPayloadTrailerBytes);
  const uint8_t* skipped;
  r.skip(6, skipped);
  uint16_t flags = 0;
  r.u16(flags);
  if (flags != 0) {
    return Status::error(ErrorCode::kInvalidField, "flags", "unknown flags set in version 1");
  }
  uint64_t len;
  r.u64(len);
  uint32_t count = 0, k = 0;
  r.u32(count);
  r.u32(k);
  // Every tensor descriptor takes at least 30 bytes, so the count is bounded
  // by the payload size before anything is allocated.
  if (count > kMaxTensorCount || uint64_t(count) * 30 > r.remaining()) {
    return Status::error(ErrorCode::kInvalidField, "tensor_count",
                         std::to_string(count) + " tensors cannot fit in " +
                             std::to_string(size) + " bytes");
  }
  if (k == 0 || k > kMaxChunkSize) {
    return Status::error(ErrorCode::kInvalidField, "k", "must be in 1..65536");
  }
  if (options.expectedK != 0 && k != options.expectedK) {
    return Status::error(ErrorCode::kInvalidField, "k",
                         "payload k=" + std::to_string(k) + " but the run expects k=" +
                             std::to_string(options.expectedK));
  }
  info.k = k;
  info.totalBytes = size;
  try {
    info.tensors.resize(count);
    std::unordered_set<std::string> names;
    uint64_t budget = options.maxValues;
    for (uint32_t i = 0; i < count; ++i) {
      TensorInfo& t = info.tensors[i];
      TANDEM_TRY(parseTensor(r, i, k, options, budget, t));
      if (!names.insert(t.name).second) {
        return Status::error(ErrorCode::kInvalidField, "name", "duplicate tensor name",
                             tensorContext(i, t.name));
      }
      info.totalValues += t.layout.numel();
      info.keptValues += t.keptValues();
    }
  } catch (const std::bad_alloc&) {
    return Status::error(ErrorCode::kOutOfMemory, "tensor_count", "out of memory while parsing");
  }
  if (r.remaining() != 0) {
    return Status::error(ErrorCode::kInvalidField, "total_length",
                         std::to_string(r.remaining()) + " unused bytes after the last tensor");
  }
  return Status::success();
}

Status decodeTensorStreams(const uint8_t* data, const PayloadInfo& info, size_t index,
                           uint16_t* locals, uint8_t* levels) {
  const TensorInfo& t = info.tensors[index];
  const std::string ctx = tensorContext(index, t.name);
  const ChunkLayout& L = t.layout;
  if (t.k == L.chunkSize) {
    for (uint64_t c = 0; c < L.chunkCount; ++c) {
      for (uint32_t j = 0; j < t.k; ++j) locals[c * t.k + j] = uint16_t(j);
    }
  } else {
    TANDEM_TRY(detail::decodeIndexGaps(data + t.indexOffset, t.indexBytes, L.chunkCount, t.k,
                                       L.chunkSize, t.golombM, locals, ctx));
  }
  return detail::decodeLevels(data + t.levelOffset, t.levelBytes, t.keptValues(), t.levelFreq,
                              levels, ctx);
}

void scatterAdd(const ChunkLayout& L, uint32_t k, const uint16_t* locals, const uint8_t* levels,
                const std::array<float, 4>& table, float scale, float* dense) {
  const float scaled[4] = {table[0] * scale, table[1] * scale, table[2] * scale,
                           table[3] * scale};
  forEachKeptPosition(L, k, locals, [&](uint64_t at, uint64_t j) { dense[at] += scaled[levels[j]]; });
}

Status decodePayloadSparse(const uint8_t* data, size_t size, const DecodeOptions& options,
                           SparsePayload& out) {
  PayloadInfo info;
  TANDEM_TRY(parsePayload(data, size, options, info));
  try {
    out.k = info.k;
    out.tensors.clear();
    out.tensors.resize(info.tensors.size());
    for (size_t i = 0; i < info.tensors.size(); ++i) {
      const TensorInfo& ti = info.tensors[i];
      SparseTensor& t = out.tensors[i];
      t.name = ti.name;
      t.shape = ti.shape;
      t.layout = ti.layout;
      t.k = ti.k;
      t.table = ti.table;
      t.golombM = ti.golombM;
      t.levelFreq = ti.levelFreq;
      t.locals.resize(ti.keptValues());
      t.levels.resize(ti.keptValues());
      TANDEM_TRY(decodeTensorStreams(data, info, i, t.locals.data(), t.levels.data()));
    }
  } catch (const std::bad_alloc&) {
    return Status::error(ErrorCode::kOutOfMemory, "tensors", "out of memory while decoding");
  }
  return Status::success();
}

Status decodePayloadDense(const uint8_t* data, size_t size, const DecodeOptions& options,
                          std::vector<DenseTensor>& out) {
  PayloadInfo info;
  TANDEM_TRY(parsePayload(data, size, options, info));
  try {
    out.clear();
    out.resize(info.tensors.size());
    std::vector<uint16_t> locals;
    std::vector<uint8_t> levels;
    for (size_t i = 0; i < info.tensors.size(); ++i) {
      const TensorInfo& ti = info.tensors[i];
      locals.resize(ti.keptValues());
      levels.resize(ti.keptValues());
      TANDEM_TRY(decodeTensorStreams(data, info, i, locals.data(), levels.data()));
      DenseTensor& d = out[i];
      d.name = ti.name;
      d.shape = ti.shape;
      d.values.assign(ti.layout.numel(), 0.0f);
      scatterAdd(ti.layout, ti.k, locals.data(), levels.data(), ti.table, 1.0f, d.values.data());
    }
  } catch (const std::bad_alloc&) {
    return Status::error(ErrorCode::kOutOfMemory, "tensors", "out of memory while decoding");
  }
  return Status::success();
}

Status validatePayload(const uint8_t* data, size_t size, const DecodeOptions& options) {
  SparsePayload sparse;
  return decodePayloadSparse(data, size, options, sparse);
}

}  // namespace tandem
