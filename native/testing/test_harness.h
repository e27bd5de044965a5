// The C++ tests' harness, shared by the codec (native/codec/tests) and the
// trainer (native/trainer/tests); no external dependencies.
//
//   TEST(name) { ... }      registers a test;
//   CHECK*(...)             record a failure (file:line and a message) and
//                           let the test continue;
//   SKIP_TEST(reason)       ends a test that cannot run here (no device, no
//                           library named by the environment): it is
//                           reported as skipped with its reason, never as
//                           passed. Call it before any CHECK.
//
// A test binary prints one line per test, "ok   name (12 ms)",
// "FAIL name (12 ms)" or "skip name: reason", and last
// "tests: N passed, M failed, K skipped (C checks)", which
// native/scripts/test-native.mjs and trainer-test.mjs parse.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace testing {

struct TestCase {
  const char* name;
  std::function<void()> body;
};

std::vector<TestCase>& registry();
void recordFailure(const char* file, int line, const std::string& message);
// Marks the running test skipped (SKIP_TEST returns from it right after).
void recordSkip(const std::string& reason);
int& assertionCount();
// Scratch directory unique to this test process (created on first use,
// removed when the tests are done).
std::string scratchDir();
// Runs every registered test whose name contains `filter` (all when null)
// and prints the summary; returns the process exit code. With
// `skipAllReason`, runs none and reports each as skipped for that reason
// (a suite that cannot run on this machine, e.g. no CUDA device).
int runRegisteredTests(const char* filter, const char* skipAllReason = nullptr);
// A suite whose tests are not even compiled here (e.g. built without CUDA):
// one skipped entry named `suite`, with its reason, and the summary line.
int reportSuiteSkipped(const char* suite, const char* reason);

struct Registrar {
  Registrar(const char* name, std::function<void()> body) { registry().push_back(TestCase{name, std::move(body)}); }
};

// Deterministic PRNG (xoshiro256**), so failures reproduce from the seed.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& s : s_) {
      seed += 0x9E3779B97F4A7C15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      s = z ^ (z >> 31);
    }
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0]; s_[3] ^= s_[1]; s_[1] ^= s_[2]; s_[0] ^= s_[3];
    s_[2] ^= t; s_[3] = rotl(s_[3], 45);
    return result;
  }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
  double uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }
  double gaussian() {
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace testing

#define TEST_CONCAT_INNER(a, b) a##b
#define TEST_CONCAT(a, b) TEST_CONCAT_INNER(a, b)
#define TEST(name)                                                                        \
  static void TEST_CONCAT(test_fn_, name)();                                              \
  static ::testing::Registrar TEST_CONCAT(test_reg_, name)(#name, TEST_CONCAT(test_fn_, name)); \
  static void TEST_CONCAT(test_fn_, name)()

#define SKIP_TEST(reason)                                                                 \
  do {                                                                                    \
    std::ostringstream os_;                                                               \
    os_ << reason;                                                                        \
    ::testing::recordSkip(os_.str());                                                     \
    return;                                                                               \
  } while (0)

#define CHECK(cond)                                                                       \
  do {                                                                                    \
    ++::testing::assertionCount();                                                        \
    if (!(cond)) ::testing::recordFailure(__FILE__, __LINE__, "CHECK(" #cond ")");        \
  } while (0)

#define CHECK_MSG(cond, msg)                                                              \
  do {                                                                                    \
    ++::testing::assertionCount();                                                        \
    if (!(cond)) {                                                                        \
      std::ostringstream os_;                                                             \
      os_ << "CHECK(" #cond "): " << msg;                                                 \
      ::testing::recordFailure(__FILE__, __LINE__, os_.str());                            \
    }                                                                                     \
  } while (0)

#define CHECK_OK(status) CHECK_MSG((status).ok(), (status).message)

#define CHECK_NEAR(a, b, tol)                                                             \
  do {                                                                                    \
    ++::testing::assertionCount();                                                        \
    const double a_ = (a), b_ = (b);                                                      \
    if (!(std::fabs(a_ - b_) <= (tol))) {                                                 \
      std::ostringstream os_;                                                             \
      os_ << #a " = " << a_ << " vs " #b " = " << b_ << " (tol " << (tol) << ")";         \
      ::testing::recordFailure(__FILE__, __LINE__, os_.str());                            \
    }                                                                                     \
  } while (0)

#define CHECK_THROWS(expr)                                                                \
  do {                                                                                    \
    ++::testing::assertionCount();                                                        \
    bool threw_ = false;                                                                  \
    try {                                                                                 \
      (void)(expr);                                                                       \
    } catch (...) {                                                                       \
      threw_ = true;                                                                      \
    }                                                                                     \
    if (!threw_) ::testing::recordFailure(__FILE__, __LINE__, "expected throw: " #expr);  \
  } while (0)
