// Finite-difference gradient checks of every CPU kernel on its own.
#include <cstdint>
#include <vector>

#include "gradcheck.h"
#include "kernels/attention.h"
#include "kernels/cross_entropy.h"
#include "kernels/embedding.h"
#include "kernels/matmul.h"
#include "kernels/rmsnorm.h"
#include "kernels/rope.h"
#include "kernels/swiglu.h"
#include "test_harness.h"

using namespace trainer;
using testing::numericGradient;
using testing::probe;
using testing::randomVector;
using testing::relativeError;

namespace {
constexpr double kTolerance = 1e-2;
constexpr float kEps = 1e-2f;
}  // namespace

TEST(gradcheck_matmul) {
  const int rows = 5, in = 7, out = 6;
  auto x = randomVector(rows * in, 1), w = randomVector(out * in, 2), r = randomVector(rows * out, 3);
  std::vector<float> y(rows * out);
  auto loss = [&] {
    cpu::matmulForward(y.data(), x.data(), w.data(), rows, in, out);
    return probe(y, r);
  };
  std::vector<float> dx(x.size(), 0.0f), dw(w.size(), 0.0f);
  cpu::matmulBackward(dx.data(), dw.data(), r.data(), x.data(), w.data(), rows, in, out);
  const double ex = relativeError(numericGradient(x, loss, kEps), dx);
  const double ew = relativeError(numericGradient(w, loss, kEps), dw);
  CHECK_MSG(ex < kTolerance, "dinp rel err " << ex);
  CHECK_MSG(ew < kTolerance, "dweight rel err " << ew);
  // Backward accumulates: a second call doubles the gradient.
  std::vector<float> dx2 = dx;
  cpu::matmulBackward(dx2.data(), dw.data(), r.data(), x.data(), w.data(), rows, in, out);
  CHECK_NEAR(dx2[3], 2 * dx[3], 1e-6);
}

TEST(gradcheck_embedding) {
  const int vocab = 9, dim = 4, count = 6;
  std::vector<int32_t> tokens = {3, 1, 3, 8, 0, 3};  // repeats must accumulate
  auto table = randomVector(vocab * dim, 4), r = randomVector(count * dim, 5);
  std::vector<float> y(count * dim);
  auto loss = [&] {
    cpu::embeddingForward(y.data(), tokens.data(), table.data(), count, dim);
    return probe(y, r);
  };
  std::vector<float> dt(table.size(), 0.0f);
  cpu::embeddingBackward(dt.data(), r.data(), tokens.data(), count, dim);
  const double e = relativeError(numericGradient(table, loss, kEps), dt);
  CHECK_MSG(e < kTolerance, "rel err " << e);
  for (int c = 0; c < dim; ++c) CHECK_NEAR(dt[2 * dim + c], 0.0, 0.0);  // token 2 unused
}

TEST(gradcheck_rmsnorm) {
  const int rows = 4, dim = 8;
  auto x = randomVector(rows * dim, 6), w = randomVector(dim, 7, 0.5), r = randomVector(rows * dim, 8);
  for (auto& v : w) v += 1.0f;
  std::vector<float> y(rows * dim), rstd(rows);
  auto loss = [&] {
    cpu::rmsnormForward(y.data(), rstd.data(), x.data(), w.data(), rows, dim, 1e-5f);
    return probe(y, r);
  };
  loss();
  std::vector<float> dx(x.size(), 0.0f), dw(w.size(), 0.0f);
  cpu::rmsnormBackward(dx.data(), dw.data(), r.data(), x.data(), w.data(), rstd.data(), rows, dim);
  const double ex = relativeError(numericGradient(x, loss, kEps), dx);
  const double ew = relativeError(numericGradient(w, loss, kEps), dw);
  CHECK_MSG(ex < kTolerance, "dinp rel err " << ex);
  CHECK_MSG(ew < kTolerance, "dweight rel err " << ew);
}

TEST(gradcheck_rope) {
  const int B = 2, T = 5, heads = 3, hd = 8;
  std::vector<float> cosT(T * hd / 2), sinT(T * hd / 2);
  cpu::ropeTables(cosT.data(), sinT.data(), T, hd, 10000.0);
  auto x = randomVector(B * T * heads * hd, 9), r = randomVector(x.size(), 10);
  auto loss = [&] {
    std::vector<float> y = x;
    cpu::ropeForward(y.data(), cosT.data(), sinT.data(), B, T, heads, hd);
    return probe(y, r);
  };
  std::vector<float> dx = r;
  cpu::ropeBackward(dx.data(), cosT.data(), sinT.data(), B, T, heads, hd);
  const double e = relativeError(numericGradient(x, loss, kEps), dx);
  CHECK_MSG(e < kTolerance, "rel err " << e);
  // Position 0 is the identity; rotation preserves norms.
  std::vector<float> y = x;
  cpu::ropeForward(y.data(), cosT.data(), sinT.data(), B, T, heads, hd);
  for (int i = 0; i < heads * hd; ++i) CHECK_NEAR(y[i], x[i], 1e-7);
  CHECK_NEAR(testing::norm(y), testing::norm(x), 1e-4);
}

static void checkAttention(int heads, int kvHeads) {
  const int B = 2, T = 5, hd = 4;
  auto q = randomVector(B * T * heads * hd, 11), k = randomVector(B * T * kvHeads * hd, 12);
  auto v = randomVector(B * T * kvHeads * hd, 13), r = randomVector(B * T * heads * hd, 14);
  std::vector<float> out(q.size()), probs(static_cast<size_t>(B) * heads * T * T);
  auto loss = [&] {
    cpu::attentionForward(out.data(), probs.data(), q.data(), k.data(), v.data(), B, T, heads, kvHeads, hd);
    return probe(out, r);
  };
  loss();
  std::vector<float> dq(q.size(), 0.0f), dk(k.size(), 0.0f), dv(v.size(), 0.0f);
  cpu::attentionBackward(dq.data(), dk.data(), dv.data(), r.data(), probs.data(), q.data(), k.data(), v.data(), B, T,
                         heads, kvHeads, hd);
  const double eq = relativeError(numericGradient(q, loss, kEps), dq);
  const double ek = relativeError(numericGradient(k, loss, kEps), dk);
  const double ev = relativeError(numericGradient(v, loss, kEps), dv);
  CHECK_MSG(eq < kTolerance, "dq rel err " << eq << " (heads " << heads << ", kv " << kvHeads << ")");
  CHECK_MSG(ek < kTolerance, "dk rel err " << ek << " (heads " << heads << ", kv " << kvHeads << ")");
  CHECK_MSG(ev < kTolerance, "dv rel err " << ev << " (heads " << heads << ", kv " << kvHeads << ")");
  // Causality: the first position attends only to itself.
  CHECK_NEAR(probs[0], 1.0, 1e-6);
  CHECK_NEAR(probs[1], 0.0, 0.0);
}

TEST(gradcheck_attention_mha) { checkAttention(2, 2); }
TEST(gradcheck_attention_gqa) { checkAttention(4, 2); }
TEST(gradcheck_attention_mqa) { checkAttention(3, 1); }

TEST(gradcheck_swiglu) {
  const long n = 24;
  auto g = randomVector(n, 15, 2.0), u = randomVector(n, 16), r = randomVector(n, 17);
  std::vector<float> y(n);
  auto loss = [&] {
    cpu::swigluForward(y.data(), g.data(), u.data(), n);
    return probe(y, r);
  };
  std::vector<float> dg(n, 0.0f), du(n, 0.0f);
  cpu::swigluBackward(dg.data(), du.data(), r.data(), g.data(), u.data(), n);
  const double eg = relativeError(numericGradient(g, loss, kEps), dg);
  const double eu = relativeError(numericGradient(u, loss, kEps), du);
  CHECK_MSG(eg < kTolerance, "dgate rel err " << eg);
  CHECK_MSG(eu < kTolerance, "dup rel err " << eu);
}

// LM head (matmul) followed by mean cross-entropy, with one masked target.
TEST(gradcheck_lm_head_cross_entropy) {
  const int rows = 6, dim = 5, vocab = 11;
  auto x = randomVector(rows * dim, 18), w = randomVector(vocab * dim, 19);
  std::vector<int32_t> targets = {1, 10, -1, 4, 4, 0};
  std::vector<float> logits(rows * vocab), losses(rows);
  long valid = 0;
  auto loss = [&] {
    cpu::matmulForward(logits.data(), x.data(), w.data(), rows, dim, vocab);
    const double total = cpu::crossEntropyForward(losses.data(), logits.data(), targets.data(), rows, vocab, &valid);
    return total / valid;
  };
  loss();
  CHECK(valid == 5);
  CHECK_NEAR(losses[2], 0.0, 0.0);
  std::vector<float> dlogits(logits.size());
  cpu::crossEntropyBackward(dlogits.data(), logits.data(), targets.data(), rows, vocab, 1.0f / valid);
  std::vector<float> dx(x.size(), 0.0f), dw(w.size(), 0.0f);
  cpu::matmulBackward(dx.data(), dw.data(), dlogits.data(), x.data(), w.data(), rows, dim, vocab);
  const double ex = relativeError(numericGradient(x, loss, kEps), dx);
  const double ew = relativeError(numericGradient(w, loss, kEps), dw);
  CHECK_MSG(ex < kTolerance, "dinp rel err " << ex);
  CHECK_MSG(ew < kTolerance, "dweight rel err " << ew);
  // Uniform logits give log(vocab).
  std::vector<float> flat(vocab, 0.5f);
  int32_t t = 3;
  float l;
  cpu::crossEntropyForward(&l, flat.data(), &t, 1, vocab, &valid);
  CHECK_NEAR(l, std::log(static_cast<double>(vocab)), 1e-6);
}
