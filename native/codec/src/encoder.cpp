#include "tandem_codec/encoder.h"

#include "tandem_codec/decoder.h"

#include <cmath>
#include <cstring>
#include <new>
#include <unordered_set>

#include "level_coder.h"
#include "quantizer.h"
#include "topk.h"

namespace tandem {
namespace {

std::string tensorContext(size_t i, const std::string& name) {
  return "tensor " + std::to_string(i) + " \"" + name + "\"";
}

// True if any of n floats is NaN/Inf (exponent all ones). Branch-free OR
// reduction so it vectorises; run before touching any EF state.
bool anyNonFinite(const float* p, uint64_t n) {
  uint32_t bad = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint32_t b;
    std::memcpy(&b, p + i, 4);
    bad |= uint32_t((b & 0x7F800000u) == 0x7F800000u);
  }
  return bad != 0;
}

Status validateInputs(const std::vector<TensorInput>& tensors, const EncodeParams& params,
                      std::vector<ChunkLayout>& layouts) {
  if (params.k == 0) {
    return Status::error(ErrorCode::kInvalidArgument, "k", "must be >= 1");
  }
  if (!(params.beta >= 0.0f && params.beta <= 1.0f)) {
    return Status::error(ErrorCode::kInvalidArgument, "beta", "must be a number in [0, 1]");
  }
  if (tensors.size() > kMaxTensorCount) {
    return Status::error(ErrorCode::kInvalidArgument, "tensor_count", "too many tensors");
  }
  std::unordered_set<std::string> names;
  layouts.resize(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorInput& t = tensors[i];
    const std::string ctx = tensorContext(i, t.name);
    if (t.name.empty() || t.name.size() > kMaxNameBytes) {
      return Status::error(ErrorCode::kInvalidArgument, "name", "must be 1..1024 bytes", ctx);
    }
    if (!names.insert(t.name).second) {
      return Status::error(ErrorCode::kInvalidArgument, "name", "duplicate tensor name", ctx);
    }
    Status s = layoutForShape(t.shape, params.blockSize, params.maxValues, layouts[i], ctx);
    if (!s.ok()) { s.code = ErrorCode::kInvalidArgument; return s; }
    if (t.delta == nullptr) {
      return Status::error(ErrorCode::kInvalidArgument, "delta", "missing data", ctx);
    }
    const uint64_t n = layouts[i].numel();
    if (anyNonFinite(t.delta, n)) {
      return Status::error(ErrorCode::kNonFiniteInput, "delta", "contains NaN or Inf", ctx);
    }
    if (t.errorFeedback && anyNonFinite(t.errorFeedback, n)) {
      return Status::error(ErrorCode::kNonFiniteInput, "errorFeedback", "contains NaN or Inf",
                           ctx);
    }
  }
  return Status::success();
}

// Per-thread scratch so repeated encodes do not reallocate.
struct ChunkScratch {
  std::vector<float> values;
  std::vector<uint32_t> keys;
  detail::TopKSelector selector;
};

// e <- beta*e + delta over a contiguous range. Separate restrict-qualified
// function so the compiler vectorises it without alias checks.
void updateErrorFeedback(float* __restrict e, const float* __restrict d, uint64_t n, float beta) {
  for (uint64_t i = 0; i < n; ++i) e[i] = beta * e[i] + d[i];
}

// Copies one block into contiguous scratch and computes |x| keys; returns
// the largest key (>= 0x7F800000 means Inf/NaN).
uint32_t gatherBlock(const float* __restrict src, const ChunkLayout& L, float* __restrict buf,
                     uint32_t* __restrict keys) {
  uint32_t maxKey = 0;
  for (uint32_t r = 0; r < L.chunkRows; ++r) {
    const float* row = src + uint64_t(r) * L.cols;
    float* vb = buf + uint64_t(r) * L.chunkCols;
    uint32_t* kb = keys + uint64_t(r) * L.chunkCols;
    for (uint32_t j = 0; j < L.chunkCols; ++j) {
      const float v = row[j];
      uint32_t b;
      std::memcpy(&b, &v, 4);
      b &= 0x7FFFFFFFu;
      vb[j] = v;
      kb[j] = b;
      maxKey = b > maxKey ? b : maxKey;
    }
  }
  return maxKey;
}

// EF update + top-k for one tensor. Returns false if beta*e + delta
// overflowed to Inf (inputs were finite, so only for values near FLT_MAX).
//
// Memory order matters more than arithmetic here: a 64x64 block of a
// row-major matrix is 64 short strided segments, which defeats hardware
// prefetch when read cold. So we first stream one whole block row (chunkRows
// full matrix rows, contiguous in memory) through the EF update, then gather
// its blocks while they are still cache-resident.
bool selectTensor(const TensorInput& in, const ChunkLayout& L, uint32_t k, float beta,
                  SparseTensor& out, std::vector<float>& keptValues, ChunkScratch& scratch) {
  scratch.values.resize(L.chunkSize);
  scratch.keys.resize(L.chunkSize);
  scratch.selector.resetHint();
  out.locals.resize(L.chunkCount * k);
  keptValues.resize(L.chunkCount * k);
  const float* source = in.errorFeedback ? in.errorFeedback : in.delta;
  uint32_t maxKey = 0;
  const uint64_t blockRowValues = uint64_t(L.chunkRows) * L.cols;
  for (uint64_t c = 0; c < L.chunkCount; ++c) {
    const uint64_t origin = L.chunkOrigin(c);
    if (in.errorFeedback && c % L.gridCols == 0) {
      updateErrorFeedback(in.errorFeedback + origin, in.delta + origin, blockRowValues, beta);
    }
    float* buf = scratch.values.data();
    const uint32_t m = gatherBlock(source + origin, L, buf, scratch.keys.data());
    maxKey = m > maxKey ? m : maxKey;
    uint16_t* idx = out.locals.data() + c * k;
    scratch.selector.select(scratch.keys.data(), L.chunkSize, k, idx);
    float* kept = keptValues.data() + c * k;
    for (uint32_t j = 0; j < k; ++j) kept[j] = buf[idx[j]];
  }
  return maxKey < 0x7F800000u;
}

}  // namespace

Status compressTensors(const std::vector<TensorInput>& tensors, const EncodeParams& params,
                       SparsePayload& out) {
  std::vector<ChunkLayout> layouts;
  Status s = validateInputs(tensors, params, layouts);
  if (!s.ok()) return s;
  try {
    out.k = params.k;
    out.tensors.clear();
    out.tensors.resize(tensors.size());
    ChunkScratch scratch;
    std::vector<float> keptValues;
    for (size_t i = 0; i < tensors.size(); ++i) {
      const TensorInput& in = tensors[i];
      const ChunkLayout& L = layouts[i];
      SparseTensor& t = out.tensors[i];
      t.name = in.name;
      t.shape = in.shape;
      t.layout = L;
      t.k = params.k < L.chunkSize ? params.k : L.chunkSize;
      if (!selectTensor(in, L, t.k, params.beta, t, keptValues, scratch)) {
        return Status::error(ErrorCode::kNonFiniteInput, "errorFeedback",
                             "beta*e + delta overflowed to Inf (error feedback state is now "
                             "partially updated)",
                             tensorContext(i, in.name));
      }
      t.levels.resize(keptValues.size());
      std::array<uint64_t, 4> counts{};
      detail::quantizeLevels(keptValues.data(), keptValues.size(), t.levels.data(), t.table,
                             counts);
      t.levelFreq = detail::normaliseLevelFrequencies(counts);
      t.golombM = 0;  // chosen at serialisation from the actual gaps
      // e <- e - decompress(compress(e)): only kept positions are non-zero.
      if (in.errorFeedback) {
        // scatterAdd with scale -1 performs exactly e[i] -= table[level].
        scatterAdd(L, t.k, t.locals.data(), t.levels.data(), t.table, -1.0f, in.errorFeedback);
      }
    }
  } catch (const std::bad_alloc&) {
    return Status::error(ErrorCode::kOutOfMemory, "tensors", "out of memory while encoding");
  }
  return Status::success();
}

Status encodeTensors(const std::vector<TensorInput>& tensors, const EncodeParams& params,
                     std::vector<uint8_t>& payload) {
  SparsePayload sparse;
  Status s = compressTensors(tensors, params, sparse);
  if (!s.ok()) return s;
  try {
    serializePayload(sparse, payload);
  } catch (const std::bad_alloc&) {
    return Status::error(ErrorCode::kOutOfMemory, "tensors", "out of memory while serialising");
  }
  return Status::success();
}

}  // namespace tandem
