// Causal GQA attention on CUDA (part of tandem_trainer_cuda_tests, which
// skips itself without a device): the flash kernels (the default) against
// the CPU reference (kernels/attention.cpp) and against the first CUDA kernels
// (TANDEM_CUDA_ATTENTION=reference), on sequence lengths with tails (not a
// multiple of the 64-row tiles), GQA groups of 1 to 4 heads, head dims 16 to
// 256 (padded, with 16-byte or scalar staging); and bit-identical run to run.
#ifdef TANDEM_TRAINER_HAVE_CUDA

#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "cuda_test_buffers.h"
#include "kernels/attention.h"
#include "kernels/attention_path.h"
#include "kernels/cuda_kernels.h"

using namespace trainer;
using namespace cudatest;

namespace {

struct Shape {
  int B, T, heads, kvHeads, hd;
  std::string name() const {
    std::ostringstream s;
    s << "(B " << B << ", T " << T << ", H " << heads << ", KV " << kvHeads << ", hd " << hd << ")";
    return s.str();
  }
  size_t queryValues() const { return static_cast<size_t>(B) * T * heads * hd; }
  size_t keyValues() const { return static_cast<size_t>(B) * T * kvHeads * hd; }
  size_t rows() const { return static_cast<size_t>(B) * heads * T; }
};

// Inputs rounded to bf16; the gradients start non-zero because the backward
// pass adds to them.
struct Inputs {
  std::vector<float> q, k, v, dout, dq, dk, dv;
};
Inputs inputsFor(const Shape& s) {
  return Inputs{roundedRandom(s.queryValues(), 10),       roundedRandom(s.keyValues(), 11),
                roundedRandom(s.keyValues(), 12),         roundedRandom(s.queryValues(), 13),
                roundedRandom(s.queryValues(), 14, 0.25), roundedRandom(s.keyValues(), 15, 0.25),
                roundedRandom(s.keyValues(), 16, 0.25)};
}

struct Results {
  std::vector<float> out, lse, dq, dk, dv;
};

Results cpuAttention(const Shape& s, const Inputs& in) {
  Results r{std::vector<float>(s.queryValues()), std::vector<float>(s.rows()), in.dq, in.dk, in.dv};
  std::vector<float> probs(s.rows() * s.T);
  cpu::attentionForward(r.out.data(), probs.data(), in.q.data(), in.k.data(), in.v.data(), s.B, s.T, s.heads,
                        s.kvHeads, s.hd);
  cpu::attentionBackward(r.dq.data(), r.dk.data(), r.dv.data(), in.dout.data(), probs.data(), in.q.data(),
                         in.k.data(), in.v.data(), s.B, s.T, s.heads, s.kvHeads, s.hd);
  // The device keeps each row's log-sum-exp instead of the probabilities.
  const int group = s.heads / s.kvHeads;
  for (int b = 0; b < s.B; ++b) {
    for (int h = 0; h < s.heads; ++h) {
      for (int t = 0; t < s.T; ++t) {
        double sum = 0;
        for (int u = 0; u <= t; ++u) {
          double dot = 0;
          for (int i = 0; i < s.hd; ++i) {
            dot += double(in.q[((b * s.T + t) * s.heads + h) * s.hd + i]) *
                   in.k[((b * s.T + u) * s.kvHeads + h / group) * s.hd + i];
          }
          sum += std::exp(dot / std::sqrt(double(s.hd)));
        }
        r.lse[(static_cast<size_t>(b) * s.heads + h) * s.T + t] = static_cast<float>(std::log(sum));
      }
    }
  }
  return r;
}

// Runs attention on `path` while in scope, then restores the previous one.
class ScopedAttentionPath {
 public:
  explicit ScopedAttentionPath(cuda::AttentionPath path) : before_(cuda::attentionPath()) {
    cuda::setAttentionPath(path);
  }
  ~ScopedAttentionPath() { cuda::setAttentionPath(before_); }

 private:
  cuda::AttentionPath before_;
};

Results cudaAttention(const Shape& s, const Inputs& in, cuda::AttentionPath path) {
  const ScopedAttentionPath scoped(path);
  Bf16Buffer q(in.q), k(in.k), v(in.v), dout(in.dout), out(zeros(s.queryValues()));
  Bf16Buffer dq(in.dq), dk(in.dk), dv(in.dv);
  FloatBuffer lse(zeros(s.rows())), delta(zeros(s.rows()));
  cuda::attentionForward(out.get(), lse.get(), q.get(), k.get(), v.get(), s.B, s.T, s.heads, s.kvHeads, s.hd);
  cuda::attentionBackward(dq.get(), dk.get(), dv.get(), delta.get(), dout.get(), out.get(), lse.get(), q.get(),
                          k.get(), v.get(), s.B, s.T, s.heads, s.kvHeads, s.hd);
  CHECK(cudaDeviceSynchronize() == cudaSuccess);
  return Results{out.floats(), lse.download(), dq.floats(), dk.floats(), dv.floats()};
}

void checkClose(const Results& expected, const Results& got, const std::string& what) {
  CHECK_CLOSE(expected.out, got.out, what + " out");
  CHECK_CLOSE(expected.lse, got.lse, what + " log-sum-exp");
  CHECK_CLOSE(expected.dq, got.dq, what + " dq");
  CHECK_CLOSE(expected.dk, got.dk, what + " dk");
  CHECK_CLOSE(expected.dv, got.dv, what + " dv");
}

// Bit for bit (the bf16 results are floats that came from bf16).
void checkIdentical(const Results& a, const Results& b, const std::string& what) {
  CHECK_MSG(a.out == b.out, what << ": out differs between runs");
  CHECK_MSG(a.lse == b.lse, what << ": log-sum-exp differs between runs");
  CHECK_MSG(a.dq == b.dq, what << ": dq differs between runs");
  CHECK_MSG(a.dk == b.dk, what << ": dk differs between runs");
  CHECK_MSG(a.dv == b.dv, what << ": dv differs between runs");
}

}  // namespace

// The shapes of the task that introduced the flash kernels, and the two the
// first kernels were tested on: tails (7, 33, 257), one tile exactly (64),
// GQA groups of 4, 2 and 1 (plain multi-head), head dims 16, 64 and 128.
TEST(cuda_attention_flash_matches_cpu_and_reference) {
  for (const Shape& s : std::vector<Shape>{{2, 7, 4, 2, 16},
                                           {2, 33, 4, 1, 16},
                                           {1, 33, 8, 2, 64},
                                           {1, 64, 8, 2, 64},
                                           {2, 128, 4, 4, 64},
                                           {1, 257, 2, 1, 128}}) {
    const Inputs in = inputsFor(s);
    const Results cpu = cpuAttention(s, in);
    const Results flash = cudaAttention(s, in, cuda::AttentionPath::flash);
    const Results reference = cudaAttention(s, in, cuda::AttentionPath::reference);
    checkClose(cpu, flash, "flash vs cpu " + s.name());
    checkClose(cpu, reference, "reference vs cpu " + s.name());
    checkClose(reference, flash, "flash vs reference " + s.name());
  }
}

// Head dims off the fast paths: 20 (padded to 32, not a multiple of 8, so
// staged element by element), 48 (padded to 64) and 256 (its own tile sizes,
// dK and dV in two passes).
TEST(cuda_attention_flash_other_head_dims) {
  for (const Shape& s : std::vector<Shape>{{1, 40, 2, 1, 20}, {1, 70, 4, 2, 48}, {1, 70, 4, 2, 256}}) {
    const Inputs in = inputsFor(s);
    const Results cpu = cpuAttention(s, in);
    checkClose(cpu, cudaAttention(s, in, cuda::AttentionPath::flash), "flash vs cpu " + s.name());
  }
}

// Peers must reproduce each other's steps: no float atomics, fixed orders.
TEST(cuda_attention_flash_is_deterministic) {
  for (const Shape& s : std::vector<Shape>{{2, 33, 4, 1, 16}, {1, 97, 4, 2, 64}}) {
    const Inputs in = inputsFor(s);
    const Results first = cudaAttention(s, in, cuda::AttentionPath::flash);
    const Results second = cudaAttention(s, in, cuda::AttentionPath::flash);
    checkIdentical(first, second, s.name());
  }
}

TEST(cuda_attention_path_selection) {
  const char* env = std::getenv("TANDEM_CUDA_ATTENTION");
  if (!env || std::string(env) != "reference") CHECK(cuda::attentionPath() == cuda::AttentionPath::flash);
  const ScopedAttentionPath scoped(cuda::AttentionPath::reference);
  CHECK(cuda::attentionPath() == cuda::AttentionPath::reference);
  CHECK(std::string(cuda::attentionPathName(cuda::AttentionPath::reference)) == "reference");
  CHECK(std::string(cuda::attentionPathName(cuda::AttentionPath::flash)) == "flash");
}

#endif
