// Causal GQA attention forward, FlashAttention-2 style (CPU reference:
// attention.cpp; the first CUDA kernel, one thread per row, is
// attention_reference.cu). One block per 64 query rows of one (batch, head),
// 4 warps of 16 rows each. The block stages its queries once, then walks the
// key/value tiles up to the causal limit: each tile of keys and values is
// staged in shared memory, each warp computes its 16 x keys scores on tensor
// cores, updates the running max and sum of its rows (online softmax; masks
// for the causal limit and the sequence's tail), writes the probabilities as
// bf16 and adds probabilities x values to its fp32 output fragments, first
// rescaled by exp(old max - new max) per row. At the end each row is divided
// by its sum and its log-sum-exp (natural log, [B,H,T]) kept for the backward
// pass (attention_flash_backward.cu). Memory stays linear in T. For head dim
// 256 two blocks share a query tile, each computing the scores and one half
// of the output columns: 16 output fragments per warp would spill.
#include <cmath>

#include "kernels/attention_flash_tiles.cuh"
#include "kernels/attention_implementations.h"

namespace trainer {
namespace cuda {

namespace {
using namespace flash;

// The block's shared memory, in bytes from its start: the query tile, one
// key and one value tile (the block's output columns only), then per warp an
// fp32 score tile, a bf16 probability tile and its rows' rescaling factors,
// and the row numbers. Keys per tile shrink for head dim 256 to stay within
// kPortableSharedBytes.
template <int kDim>
struct ForwardTiles {
  static constexpr int kOutDim = kDim <= 128 ? kDim : 128;  // output columns per block
  static constexpr int kColumnBlocks = kDim / kOutDim;
  static constexpr int kKeys = kDim <= 128 ? 64 : 32;
  static constexpr int kLd = bf16Stride(kDim);
  static constexpr int kLdValues = bf16Stride(kOutDim);
  static constexpr int kLdScores = floatStride(kKeys);
  static constexpr int kLdProbs = bf16Stride(kKeys);
  static constexpr int kQueriesAt = 0;
  static constexpr int kKeysAt = kQueriesAt + sharedBytes(kBlockRows * kLd * 2);
  static constexpr int kValuesAt = kKeysAt + sharedBytes(kKeys * kLd * 2);
  static constexpr int kScoresAt = kValuesAt + sharedBytes(kKeys * kLdValues * 2);
  static constexpr int kProbsAt = kScoresAt + sharedBytes(kWarps * kFrag * kLdScores * 4);
  static constexpr int kRowScaleAt = kProbsAt + sharedBytes(kWarps * kFrag * kLdProbs * 2);
  static constexpr int kRowNumbersAt = kRowScaleAt + sharedBytes(kWarps * kFrag * 4);
  static constexpr int kBytes = kRowNumbersAt + sharedBytes(kRowNumberBytes);
  static_assert(kBytes <= kPortableSharedBytes, "attention forward tiles exceed the portable shared memory");
};

// scaleLog2 = log2(e)/sqrt(hd): scores live in base 2 (exp2f) until lse.
template <int kDim>
__global__ void __launch_bounds__(kThreads, minBlocksPerSm(kDim))
    flashForwardKernel(bf16* out, float* lse, const bf16* q, const bf16* k, const bf16* v, int T, int heads,
                       int kvHeads, int hd, float scaleLog2, bool vectorized) {
  using Tiles = ForwardTiles<kDim>;
  constexpr int kKeys = Tiles::kKeys, kOutDim = Tiles::kOutDim, ld = Tiles::kLd, ldValues = Tiles::kLdValues;
  constexpr int ldScores = Tiles::kLdScores, ldProbs = Tiles::kLdProbs;
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  unsigned char* shared = dynamicSharedMemory();
  Bf16* queries = reinterpret_cast<Bf16*>(shared + Tiles::kQueriesAt);
  Bf16* keys = reinterpret_cast<Bf16*>(shared + Tiles::kKeysAt);
  Bf16* values = reinterpret_cast<Bf16*>(shared + Tiles::kValuesAt);
  float* scores = reinterpret_cast<float*>(shared + Tiles::kScoresAt) + warp * kFrag * ldScores;
  Bf16* probs = reinterpret_cast<Bf16*>(shared + Tiles::kProbsAt) + warp * kFrag * ldProbs;
  float* rowScale = reinterpret_cast<float*>(shared + Tiles::kRowScaleAt) + warp * kFrag;
  float* rowNumbers = reinterpret_cast<float*>(shared + Tiles::kRowNumbersAt);

  // The last query tiles have the most keys to visit: they start first.
  const int queryTiles = (T + kBlockRows - 1) / kBlockRows;
  const int tile = static_cast<int>(blockIdx.x) / Tiles::kColumnBlocks;
  const int col0 = static_cast<int>(blockIdx.x) % Tiles::kColumnBlocks * kOutDim;
  const int q0 = (queryTiles - 1 - tile) * kBlockRows;
  const int h = static_cast<int>(blockIdx.y), b = static_cast<int>(blockIdx.z);
  const int g = h / (heads / kvHeads);
  const long qStride = static_cast<long>(heads) * hd, kvStride = static_cast<long>(kvHeads) * hd;
  const long qAt = headStart(b, h, T, heads, hd), kvAt = headStart(b, g, T, kvHeads, hd);

  writeRowNumbers(rowNumbers);
  stageRows<kDim>(queries, q + qAt, qStride, q0, kBlockRows, T, hd, vectorized);
  __syncthreads();
  RowOfElement rowOf;
  rowOf.load(rowNumbers);
  const Bf16* warpQueries = queries + warp * kFrag * ld;

  AccumulatorFragment o[kOutDim / kFrag];
  TANDEM_UNROLL
  for (int n = 0; n < kOutDim / kFrag; ++n) wmma::fill_fragment(o[n], 0.0f);
  // Lanes r and r + 16 share row r of the warp's tile, each half its columns.
  const int row = lane % kFrag, half = lane / kFrag;
  const int query = q0 + warp * kFrag + row;
  float runningMax = -INFINITY, runningSum = 0.0f;

  const int keyEnd = T < q0 + kBlockRows ? T : q0 + kBlockRows;  // causal limit of the block's last row
  for (int k0 = 0; k0 < keyEnd; k0 += kKeys) {
    stageRows<kDim>(keys, k + kvAt, kvStride, k0, kKeys, T, hd, vectorized);
    stageRows<kOutDim>(values, v + kvAt + col0, kvStride, k0, kKeys, T, hd - col0, vectorized);
    __syncthreads();

    // scores = queries · keysᵀ for the warp's 16 rows
    AccumulatorFragment s[kKeys / kFrag];
    multiplyTransposed<kDim>(s, warpQueries, keys, ld);
    storeFragments(scores, s, ldScores);
    __syncwarp();

    // Online softmax over the tile: key s counts for query t when s <= t and s < T.
    const float* scoreRow = scores + row * ldScores;
    float tileMax = -INFINITY;
    for (int c = half; c < kKeys; c += 2) {
      const int key = k0 + c;
      if (key <= query && key < T) tileMax = fmaxf(tileMax, scoreRow[c]);
    }
    tileMax = fmaxf(tileMax, __shfl_xor_sync(0xFFFFFFFFu, tileMax, 16));
    // Finite from the first tile on: key 0 counts for every row.
    const float newMax = fmaxf(runningMax, tileMax * scaleLog2);
    float tileSum = 0.0f;
    for (int c = half; c < kKeys; c += 2) {
      const int key = k0 + c;
      const float p = (key <= query && key < T) ? exp2f(scoreRow[c] * scaleLog2 - newMax) : 0.0f;
      probs[row * ldProbs + c] = __float2bfloat16(p);
      tileSum += p;
    }
    tileSum += __shfl_xor_sync(0xFFFFFFFFu, tileSum, 16);
    const float rescale = exp2f(runningMax - newMax);  // 0 on the first tile (running max -inf)
    runningSum = runningSum * rescale + tileSum;
    runningMax = newMax;
    if (half == 0) rowScale[row] = rescale;
    __syncwarp();

    // out = out · rescale (per row) + probs · values
    rowOf.scaleRows(o, rowScale);
    multiplyAccumulate<kKeys>(o, probs, ldProbs, values, ldValues);
    __syncthreads();  // every warp is done with the key and value tiles before they are refilled
  }

  if (half == 0) {
    rowScale[row] = 1.0f / runningSum;
    if (query < T && col0 == 0) lse[(static_cast<long>(b) * heads + h) * T + query] = (runningMax + log2f(runningSum)) * kLn2;
  }
  __syncwarp();
  rowOf.scaleRows(o, rowScale);
  TANDEM_UNROLL
  for (int n = 0; n < kOutDim / kFrag; ++n) {
    storeFragmentRows(out + qAt + col0, qStride, q0 + warp * kFrag, n * kFrag, T, hd - col0, o[n], 1.0f, false,
                      scores, ldScores);
  }
}

template <int kDim>
void launchForward(bf16* out, float* lse, const bf16* q, const bf16* k, const bf16* v, int B, int T, int heads,
                   int kvHeads, int hd, bool vectorized) {
  constexpr int bytes = ForwardTiles<kDim>::kBytes;
  const auto kernel = flashForwardKernel<kDim>;
  allowSharedMemory(kernel, bytes, "attentionForward");
  const dim3 grid((T + kBlockRows - 1) / kBlockRows * ForwardTiles<kDim>::kColumnBlocks, heads, B);
  const float scaleLog2 = kLog2e / std::sqrt(static_cast<float>(hd));
  TANDEM_LAUNCH_SHARED(kernel, grid, kThreads, bytes)(out, lse, q, k, v, T, heads, kvHeads, hd, scaleLog2, vectorized);
  checkLastError("attentionForward (flash)");
}
}  // namespace

void flashAttentionForward(bf16* out, float* lse, const bf16* q, const bf16* k, const bf16* v, int B, int T,
                           int heads, int kvHeads, int headDim) {
  const bool vectorized = headDim % 8 == 0 && aligned16(q) && aligned16(k) && aligned16(v);
  switch (paddedHeadDim(headDim)) {
    case 16: return launchForward<16>(out, lse, q, k, v, B, T, heads, kvHeads, headDim, vectorized);
    case 32: return launchForward<32>(out, lse, q, k, v, B, T, heads, kvHeads, headDim, vectorized);
    case 64: return launchForward<64>(out, lse, q, k, v, B, T, heads, kvHeads, headDim, vectorized);
    case 128: return launchForward<128>(out, lse, q, k, v, B, T, heads, kvHeads, headDim, vectorized);
    default: return launchForward<256>(out, lse, q, k, v, B, T, heads, kvHeads, headDim, vectorized);
  }
}

}  // namespace cuda
}  // namespace trainer
