// Finite-difference helpers. Gradients are checked through a scalar probe
// loss L = sum(out * R) with a fixed random R, so every output element
// contributes. Central differences in fp32 are noisy per element, so the
// comparison is the relative error of the whole gradient vector:
//   |g_numeric - g_analytic| / max(|g_numeric| + |g_analytic|, tiny)
// A wrong gradient scores ~1; a correct one ~1e-4.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "util/rng.h"

namespace testing {

inline std::vector<float> randomVector(size_t n, uint64_t seed, double scale = 1.0) {
  trainer::SplitMix64 rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(rng.normal() * scale);
  return v;
}

inline double probe(const std::vector<float>& out, const std::vector<float>& weights) {
  double s = 0;
  for (size_t i = 0; i < out.size(); ++i) s += static_cast<double>(out[i]) * weights[i];
  return s;
}

// Central difference of loss() w.r.t. every element of x (restored after).
inline std::vector<double> numericGradient(std::vector<float>& x, const std::function<double()>& loss,
                                           float eps) {
  std::vector<double> g(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const float saved = x[i];
    x[i] = saved + eps;
    const double plus = loss();
    x[i] = saved - eps;
    const double minus = loss();
    x[i] = saved;
    // Divide by the step actually taken in fp32, not the nominal 2*eps.
    const double step = static_cast<double>(saved + eps) - static_cast<double>(saved - eps);
    g[i] = (plus - minus) / step;
  }
  return g;
}

inline double relativeError(const std::vector<double>& numeric, const std::vector<float>& analytic) {
  double diff = 0, a = 0, b = 0;
  for (size_t i = 0; i < numeric.size(); ++i) {
    const double d = numeric[i] - analytic[i];
    diff += d * d;
    a += numeric[i] * numeric[i];
    b += static_cast<double>(analytic[i]) * analytic[i];
  }
  const double denom = std::sqrt(a) + std::sqrt(b);
  return denom < 1e-30 ? 0.0 : std::sqrt(diff) / denom;
}

inline double norm(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += static_cast<double>(x) * x;
  return std::sqrt(s);
}

}  // namespace testing
