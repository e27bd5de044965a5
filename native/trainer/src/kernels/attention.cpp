#include "kernels/attention.h"

#include <cmath>
#include <vector>

#include "util/parallel.h"

namespace trainer {
namespace cpu {

namespace {
inline long qIndex(int b, int t, int h, int T, int heads, int hd) {
  return ((static_cast<long>(b) * T + t) * heads + h) * hd;
}
}  // namespace

void attentionForward(float* out, float* probs, const float* q, const float* k, const float* v,
                      int B, int T, int heads, int kvHeads, int headDim) {
  const int group = heads / kvHeads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(headDim));
  const int pairs = B * heads;
  TANDEM_PARALLEL_FOR
  for (int bh = 0; bh < pairs; ++bh) {
    const int b = bh / heads, h = bh % heads, g = h / group;
    for (int t = 0; t < T; ++t) {
      const float* qt = q + qIndex(b, t, h, T, heads, headDim);
      float* p = probs + (static_cast<long>(bh) * T + t) * T;
      float maxScore = -INFINITY;
      for (int s = 0; s <= t; ++s) {
        const float* ks = k + qIndex(b, s, g, T, kvHeads, headDim);
        float dot = 0;
        for (int i = 0; i < headDim; ++i) dot += qt[i] * ks[i];
        p[s] = dot * scale;
        if (p[s] > maxScore) maxScore = p[s];
      }
      double sum = 0;
      for (int s = 0; s <= t; ++s) {
        p[s] = std::exp(p[s] - maxScore);
        sum += p[s];
      }
      const float inv = static_cast<float>(1.0 / sum);
      for (int s = 0; s <= t; ++s) p[s] *= inv;
      for (int s = t + 1; s < T; ++s) p[s] = 0.0f;
      float* o = out + qIndex(b, t, h, T, heads, headDim);
      for (int i = 0; i < headDim; ++i) o[i] = 0.0f;
      for (int s = 0; s <= t; ++s) {
        const float* vs = v + qIndex(b, s, g, T, kvHeads, headDim);
        for (int i = 0; i < headDim; ++i) o[i] += p[s] * vs[i];
      }
    }
  }
}

void attentionBackward(float* dq, float* dk, float* dv, const float* dout, const float* probs,
                       const float* q, const float* k, const float* v,
                       int B, int T, int heads, int kvHeads, int headDim) {
  const int group = heads / kvHeads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(headDim));
  const int pairs = B * kvHeads;
  TANDEM_PARALLEL_FOR
  for (int bg = 0; bg < pairs; ++bg) {
    const int b = bg / kvHeads, g = bg % kvHeads;
    std::vector<float> dscore(static_cast<size_t>(T));
    for (int h = g * group; h < (g + 1) * group; ++h) {
      for (int t = 0; t < T; ++t) {
        const float* p = probs + ((static_cast<long>(b) * heads + h) * T + t) * T;
        const float* go = dout + qIndex(b, t, h, T, heads, headDim);
        // dp[s] = dout_t . v_s ; dv_s += p[s] * dout_t
        double rowDot = 0;  // sum_s p[s] * dp[s]
        for (int s = 0; s <= t; ++s) {
          const float* vs = v + qIndex(b, s, g, T, kvHeads, headDim);
          float* dvs = dv + qIndex(b, s, g, T, kvHeads, headDim);
          float dp = 0;
          for (int i = 0; i < headDim; ++i) {
            dp += go[i] * vs[i];
            dvs[i] += p[s] * go[i];
          }
          dscore[s] = dp;
          rowDot += static_cast<double>(p[s]) * dp;
        }
        // Softmax backward, then through the scaled dot product.
        const float* qt = q + qIndex(b, t, h, T, heads, headDim);
        float* dqt = dq + qIndex(b, t, h, T, heads, headDim);
        for (int s = 0; s <= t; ++s) {
          const float ds = p[s] * (dscore[s] - static_cast<float>(rowDot)) * scale;
          const float* ks = k + qIndex(b, s, g, T, kvHeads, headDim);
          float* dks = dk + qIndex(b, s, g, T, kvHeads, headDim);
          for (int i = 0; i < headDim; ++i) {
            dqt[i] += ds * ks[i];
            dks[i] += ds * qt[i];
          }
        }
      }
    }
  }
}

}  // namespace cpu
}  // namespace trainer
