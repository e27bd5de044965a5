// Causal GQA attention backward, FlashAttention-2 style (CPU reference:
// attention.cpp; the first CUDA kernels: attention_reference.cu). Inputs: the
// forward pass's lse (natural log, [B,H,T]) and delta = rowsum(dout ∘ out)
// (attention.cu). Each probability is recomputed, p = exp(q·k/√hd − lse), and
// dS = p ∘ (dout·v − delta). Two kernels, both deterministic (no atomics: each
// gradient row is summed by one warp, in a fixed order):
//  * keys/values: one block per 64 keys of one (batch, kv head), 4 warps of
//    16 keys. It walks the query tiles from the causal start to T, for every
//    query head of the kv head's group in order (so the GQA sum over heads
//    is fixed), staging queries and output gradients in shared memory, and
//    accumulates dV += pᵀ·dout and dK += dSᵀ·q in fp32 fragments. For head
//    dim 256 it runs twice (dV, then dK): both accumulators would not fit in
//    registers.
//  * queries: one block per 64 queries of one (batch, head), 4 warps of 16
//    queries, walking the key/value tiles up to the causal limit and
//    accumulating dQ += dS·k. It recomputes the scores the keys/values kernel
//    also computes: FlashAttention-2 adds dQ with float atomics instead, whose
//    order varies from run to run.
// Gradients are added to dq, dk, dv (bf16), like every backward kernel here.
#include <cmath>

#include "kernels/attention_flash_tiles.cuh"
#include "kernels/attention_implementations.h"

namespace trainer {
namespace cuda {

namespace {
using namespace flash;

// ---- dQ ---------------------------------------------------------------------

// Shared memory: the block's queries and output gradients, a key and a value
// tile, then per warp fp32 scores and probability gradients and bf16 score
// gradients. Keys per tile shrink for head dim 256 (kPortableSharedBytes).
template <int kDim>
struct QueryGradientTiles {
  static constexpr int kKeys = kDim <= 128 ? 32 : 16;
  static constexpr int kLd = bf16Stride(kDim);
  static constexpr int kLdScores = floatStride(kKeys);
  static constexpr int kLdGrads = bf16Stride(kKeys);
  static constexpr int kQueriesAt = 0;
  static constexpr int kOutputGradsAt = kQueriesAt + sharedBytes(kBlockRows * kLd * 2);
  static constexpr int kKeysAt = kOutputGradsAt + sharedBytes(kBlockRows * kLd * 2);
  static constexpr int kValuesAt = kKeysAt + sharedBytes(kKeys * kLd * 2);
  static constexpr int kScoresAt = kValuesAt + sharedBytes(kKeys * kLd * 2);
  static constexpr int kProbGradsAt = kScoresAt + sharedBytes(kWarps * kFrag * kLdScores * 4);
  static constexpr int kScoreGradsAt = kProbGradsAt + sharedBytes(kWarps * kFrag * kLdScores * 4);
  static constexpr int kBytes = kScoreGradsAt + sharedBytes(kWarps * kFrag * kLdGrads * 2);
  static_assert(kBytes <= kPortableSharedBytes, "attention dq tiles exceed the portable shared memory");
};

template <int kDim>
__global__ void __launch_bounds__(kThreads, minBlocksPerSm(kDim))
    flashQueryGradientKernel(bf16* dq, const bf16* dout, const float* lse, const float* delta, const bf16* q,
                             const bf16* k, const bf16* v, int T, int heads, int kvHeads, int hd, float scaleLog2,
                             float scale, bool vectorized) {
  using Tiles = QueryGradientTiles<kDim>;
  constexpr int kKeys = Tiles::kKeys, ld = Tiles::kLd, ldScores = Tiles::kLdScores, ldGrads = Tiles::kLdGrads;
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  unsigned char* shared = dynamicSharedMemory();
  Bf16* queries = reinterpret_cast<Bf16*>(shared + Tiles::kQueriesAt);
  Bf16* outputGrads = reinterpret_cast<Bf16*>(shared + Tiles::kOutputGradsAt);
  Bf16* keys = reinterpret_cast<Bf16*>(shared + Tiles::kKeysAt);
  Bf16* values = reinterpret_cast<Bf16*>(shared + Tiles::kValuesAt);
  float* scores = reinterpret_cast<float*>(shared + Tiles::kScoresAt) + warp * kFrag * ldScores;
  float* probGrads = reinterpret_cast<float*>(shared + Tiles::kProbGradsAt) + warp * kFrag * ldScores;
  Bf16* scoreGrads = reinterpret_cast<Bf16*>(shared + Tiles::kScoreGradsAt) + warp * kFrag * ldGrads;

  // The last query tiles have the most keys to visit: they start first.
  const int queryTiles = (T + kBlockRows - 1) / kBlockRows;
  const int q0 = (queryTiles - 1 - static_cast<int>(blockIdx.x)) * kBlockRows;
  const int h = static_cast<int>(blockIdx.y), b = static_cast<int>(blockIdx.z);
  const int g = h / (heads / kvHeads);
  const long qStride = static_cast<long>(heads) * hd, kvStride = static_cast<long>(kvHeads) * hd;
  const long qAt = headStart(b, h, T, heads, hd), kvAt = headStart(b, g, T, kvHeads, hd);

  stageRows<kDim>(queries, q + qAt, qStride, q0, kBlockRows, T, hd, vectorized);
  stageRows<kDim>(outputGrads, dout + qAt, qStride, q0, kBlockRows, T, hd, vectorized);
  const Bf16* warpQueries = queries + warp * kFrag * ld;
  const Bf16* warpOutputGrads = outputGrads + warp * kFrag * ld;
  // Lanes r and r + 16 share row r of the warp's tile, each half its columns.
  const int row = lane % kFrag, half = lane / kFrag;
  const int query = q0 + warp * kFrag + row;
  const long statAt = (static_cast<long>(b) * heads + h) * T + query;
  const float rowLseLog2 = query < T ? lse[statAt] * kLog2e : 0.0f;
  const float rowDelta = query < T ? delta[statAt] : 0.0f;

  AccumulatorFragment dqAcc[kDim / kFrag];
  TANDEM_UNROLL
  for (int n = 0; n < kDim / kFrag; ++n) wmma::fill_fragment(dqAcc[n], 0.0f);

  const int keyEnd = T < q0 + kBlockRows ? T : q0 + kBlockRows;  // causal limit of the block's last row
  for (int k0 = 0; k0 < keyEnd; k0 += kKeys) {
    stageRows<kDim>(keys, k + kvAt, kvStride, k0, kKeys, T, hd, vectorized);
    stageRows<kDim>(values, v + kvAt, kvStride, k0, kKeys, T, hd, vectorized);
    __syncthreads();

    // scores = q · kᵀ, probGrads = dout · vᵀ for the warp's 16 queries
    AccumulatorFragment s[kKeys / kFrag], dp[kKeys / kFrag];
    multiplyTransposed<kDim>(s, warpQueries, keys, ld);
    multiplyTransposed<kDim>(dp, warpOutputGrads, values, ld);
    storeFragments(scores, s, ldScores);
    storeFragments(probGrads, dp, ldScores);
    __syncwarp();

    // dS = p ∘ (dp − delta), zero where key s does not count (s > t or s >= T)
    for (int c = half; c < kKeys; c += 2) {
      const int key = k0 + c;
      const int at = row * ldScores + c;
      const float p = (key <= query && key < T) ? exp2f(scores[at] * scaleLog2 - rowLseLog2) : 0.0f;
      scoreGrads[row * ldGrads + c] = __float2bfloat16(p * (probGrads[at] - rowDelta));
    }
    __syncwarp();

    // dq += dS · k
    multiplyAccumulate<kKeys>(dqAcc, scoreGrads, ldGrads, keys, ld);
    __syncthreads();  // every warp is done with the key and value tiles before they are refilled
  }

  TANDEM_UNROLL
  for (int n = 0; n < kDim / kFrag; ++n) {
    storeFragmentRows(dq + qAt, qStride, q0 + warp * kFrag, n * kFrag, T, hd, dqAcc[n], scale, true, scores,
                      ldScores);
  }
}

// ---- dK, dV -----------------------------------------------------------------

// Shared memory: the block's keys and values, a query and an output-gradient
// tile with their rows' lse (base 2) and delta, then per warp fp32 transposed
// scores and probability gradients and bf16 transposed probabilities and
// score gradients. Queries per tile shrink for head dim 256.
template <int kDim>
struct KeyValueGradientTiles {
  static constexpr int kQueries = kDim <= 128 ? 32 : 16;
  static constexpr int kLd = bf16Stride(kDim);
  static constexpr int kLdScores = floatStride(kQueries);
  static constexpr int kLdProbs = bf16Stride(kQueries);
  static constexpr int kKeysAt = 0;
  static constexpr int kValuesAt = kKeysAt + sharedBytes(kBlockRows * kLd * 2);
  static constexpr int kQueriesAt = kValuesAt + sharedBytes(kBlockRows * kLd * 2);
  static constexpr int kOutputGradsAt = kQueriesAt + sharedBytes(kQueries * kLd * 2);
  static constexpr int kLseAt = kOutputGradsAt + sharedBytes(kQueries * kLd * 2);
  static constexpr int kDeltaAt = kLseAt + sharedBytes(kQueries * 4);
  static constexpr int kScoresAt = kDeltaAt + sharedBytes(kQueries * 4);
  static constexpr int kProbGradsAt = kScoresAt + sharedBytes(kWarps * kFrag * kLdScores * 4);
  static constexpr int kProbsAt = kProbGradsAt + sharedBytes(kWarps * kFrag * kLdScores * 4);
  static constexpr int kScoreGradsAt = kProbsAt + sharedBytes(kWarps * kFrag * kLdProbs * 2);
  static constexpr int kBytes = kScoreGradsAt + sharedBytes(kWarps * kFrag * kLdProbs * 2);
  static_assert(kBytes <= kPortableSharedBytes, "attention dk/dv tiles exceed the portable shared memory");
};

// kKeyGrads / kValueGrads: which of dK, dV this launch accumulates.
template <int kDim, bool kKeyGrads, bool kValueGrads>
__global__ void __launch_bounds__(kThreads, minBlocksPerSm(kDim, int{kKeyGrads} + int{kValueGrads}))
    flashKeyValueGradientKernel(bf16* dk, bf16* dv, const bf16* dout, const float* lse, const float* delta,
                                const bf16* q, const bf16* k, const bf16* v, int T, int heads, int kvHeads, int hd,
                                float scaleLog2, float scale, bool vectorized) {
  using Tiles = KeyValueGradientTiles<kDim>;
  constexpr int kQueries = Tiles::kQueries, ld = Tiles::kLd, ldScores = Tiles::kLdScores, ldProbs = Tiles::kLdProbs;
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  unsigned char* shared = dynamicSharedMemory();
  Bf16* keys = reinterpret_cast<Bf16*>(shared + Tiles::kKeysAt);
  Bf16* values = reinterpret_cast<Bf16*>(shared + Tiles::kValuesAt);
  Bf16* queries = reinterpret_cast<Bf16*>(shared + Tiles::kQueriesAt);
  Bf16* outputGrads = reinterpret_cast<Bf16*>(shared + Tiles::kOutputGradsAt);
  float* tileLseLog2 = reinterpret_cast<float*>(shared + Tiles::kLseAt);
  float* tileDelta = reinterpret_cast<float*>(shared + Tiles::kDeltaAt);
  float* scoresT = reinterpret_cast<float*>(shared + Tiles::kScoresAt) + warp * kFrag * ldScores;
  float* probGradsT = reinterpret_cast<float*>(shared + Tiles::kProbGradsAt) + warp * kFrag * ldScores;
  Bf16* probsT = reinterpret_cast<Bf16*>(shared + Tiles::kProbsAt) + warp * kFrag * ldProbs;
  Bf16* scoreGradsT = reinterpret_cast<Bf16*>(shared + Tiles::kScoreGradsAt) + warp * kFrag * ldProbs;

  // Block 0 (the first keys) has the most queries to visit and starts first.
  const int k0 = static_cast<int>(blockIdx.x) * kBlockRows;
  const int g = static_cast<int>(blockIdx.y), b = static_cast<int>(blockIdx.z);
  const int group = heads / kvHeads;
  const long qStride = static_cast<long>(heads) * hd, kvStride = static_cast<long>(kvHeads) * hd;
  const long kvAt = headStart(b, g, T, kvHeads, hd);

  stageRows<kDim>(keys, k + kvAt, kvStride, k0, kBlockRows, T, hd, vectorized);
  stageRows<kDim>(values, v + kvAt, kvStride, k0, kBlockRows, T, hd, vectorized);
  const Bf16* warpKeys = keys + warp * kFrag * ld;
  const Bf16* warpValues = values + warp * kFrag * ld;
  // Lanes r and r + 16 share key row r of the warp's tile, each half its columns.
  const int row = lane % kFrag, half = lane / kFrag;
  const int key = k0 + warp * kFrag + row;

  // Unused when the launch does not accumulate them (size 1: no empty arrays).
  AccumulatorFragment dkAcc[kKeyGrads ? kDim / kFrag : 1], dvAcc[kValueGrads ? kDim / kFrag : 1];
  TANDEM_UNROLL
  for (int n = 0; n < kDim / kFrag; ++n) {
    if constexpr (kKeyGrads) wmma::fill_fragment(dkAcc[n], 0.0f);
    if constexpr (kValueGrads) wmma::fill_fragment(dvAcc[n], 0.0f);
  }

  for (int h = g * group; h < (g + 1) * group; ++h) {  // the group's heads in order: a fixed GQA sum
    const long qAt = headStart(b, h, T, heads, hd);
    const long statAt = (static_cast<long>(b) * heads + h) * T;
    for (int q0 = k0; q0 < T; q0 += kQueries) {  // queries before k0 see none of these keys
      stageRows<kDim>(queries, q + qAt, qStride, q0, kQueries, T, hd, vectorized);
      stageRows<kDim>(outputGrads, dout + qAt, qStride, q0, kQueries, T, hd, vectorized);
      for (int i = static_cast<int>(threadIdx.x); i < kQueries; i += kThreads) {
        const int t = q0 + i;
        tileLseLog2[i] = t < T ? lse[statAt + t] * kLog2e : 0.0f;
        tileDelta[i] = t < T ? delta[statAt + t] : 0.0f;
      }
      __syncthreads();

      // scoresᵀ = k · qᵀ, probGradsᵀ = v · doutᵀ for the warp's 16 keys
      AccumulatorFragment s[kQueries / kFrag];
      multiplyTransposed<kDim>(s, warpKeys, queries, ld);
      storeFragments(scoresT, s, ldScores);
      if constexpr (kKeyGrads) {
        AccumulatorFragment dp[kQueries / kFrag];
        multiplyTransposed<kDim>(dp, warpValues, outputGrads, ld);
        storeFragments(probGradsT, dp, ldScores);
      }
      __syncwarp();

      // pᵀ and dSᵀ, zero where query t does not see key s (t < s or t >= T)
      for (int c = half; c < kQueries; c += 2) {
        const int query = q0 + c;
        const int at = row * ldScores + c;
        const float p = (query >= key && query < T) ? exp2f(scoresT[at] * scaleLog2 - tileLseLog2[c]) : 0.0f;
        if constexpr (kValueGrads) probsT[row * ldProbs + c] = __float2bfloat16(p);
        if constexpr (kKeyGrads) scoreGradsT[row * ldProbs + c] = __float2bfloat16(p * (probGradsT[at] - tileDelta[c]));
      }
      __syncwarp();

      if constexpr (kValueGrads) multiplyAccumulate<kQueries>(dvAcc, probsT, ldProbs, outputGrads, ld);  // dv += pᵀ·dout
      // dk += dSᵀ · q (times the score scale, at the end)
      if constexpr (kKeyGrads) multiplyAccumulate<kQueries>(dkAcc, scoreGradsT, ldProbs, queries, ld);
      __syncthreads();  // every warp is done with the query tiles before they are refilled
    }
  }

  const int row0 = k0 + warp * kFrag;
  TANDEM_UNROLL
  for (int n = 0; n < kDim / kFrag; ++n) {
    if constexpr (kKeyGrads) storeFragmentRows(dk + kvAt, kvStride, row0, n * kFrag, T, hd, dkAcc[n], scale, true, scoresT, ldScores);
    if constexpr (kValueGrads) storeFragmentRows(dv + kvAt, kvStride, row0, n * kFrag, T, hd, dvAcc[n], 1.0f, true, scoresT, ldScores);
  }
}

struct BackwardArgs {
  bf16 *dq, *dk, *dv;
  const float *delta, *lse;
  const bf16 *dout, *q, *k, *v;
  int B, T, heads, kvHeads, hd;
  float scaleLog2, scale;
  bool vectorized;
};

template <int kDim, bool kKeyGrads, bool kValueGrads>
void launchKeyValueGradients(const BackwardArgs& a) {
  constexpr int bytes = KeyValueGradientTiles<kDim>::kBytes;
  const auto kernel = flashKeyValueGradientKernel<kDim, kKeyGrads, kValueGrads>;
  allowSharedMemory(kernel, bytes, "attentionBackward");
  const dim3 grid((a.T + kBlockRows - 1) / kBlockRows, a.kvHeads, a.B);
  TANDEM_LAUNCH_SHARED(kernel, grid, kThreads, bytes)(a.dk, a.dv, a.dout, a.lse, a.delta, a.q, a.k, a.v, a.T, a.heads,
                                                      a.kvHeads, a.hd, a.scaleLog2, a.scale, a.vectorized);
  checkLastError("attentionBackward(dk, dv, flash)");
}

template <int kDim>
void launchBackward(const BackwardArgs& a) {
  constexpr int bytes = QueryGradientTiles<kDim>::kBytes;
  const auto kernel = flashQueryGradientKernel<kDim>;
  allowSharedMemory(kernel, bytes, "attentionBackward");
  const dim3 grid((a.T + kBlockRows - 1) / kBlockRows, a.heads, a.B);
  TANDEM_LAUNCH_SHARED(kernel, grid, kThreads, bytes)(a.dq, a.dout, a.lse, a.delta, a.q, a.k, a.v, a.T, a.heads,
                                                      a.kvHeads, a.hd, a.scaleLog2, a.scale, a.vectorized);
  checkLastError("attentionBackward(dq, flash)");
  if constexpr (kDim <= 128) {
    launchKeyValueGradients<kDim, true, true>(a);
  } else {  // 2 x 16 accumulator fragments would spill: one pass each
    launchKeyValueGradients<kDim, false, true>(a);
    launchKeyValueGradients<kDim, true, false>(a);
  }
}
}  // namespace

void flashAttentionBackward(bf16* dq, bf16* dk, bf16* dv, const float* delta, const bf16* dout, const float* lse,
                            const bf16* q, const bf16* k, const bf16* v, int B, int T, int heads, int kvHeads,
                            int headDim) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(headDim));
  const bool vectorized = headDim % 8 == 0 && aligned16(q) && aligned16(k) && aligned16(v) && aligned16(dout);
  const BackwardArgs a{dq, dk, dv, delta, lse, dout, q, k, v, B, T, heads, kvHeads, headDim, scale * kLog2e, scale,
                       vectorized};
  switch (paddedHeadDim(headDim)) {
    case 16: return launchBackward<16>(a);
    case 32: return launchBackward<32>(a);
    case 64: return launchBackward<64>(a);
    case 128: return launchBackward<128>(a);
    default: return launchBackward<256>(a);
  }
}

}  // namespace cuda
}  // namespace trainer
