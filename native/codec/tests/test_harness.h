// Minimal self-registering test harness (no external dependencies).
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
void reportFailure(const char* file, int line, const std::string& what);
int& assertionCount();

struct Registrar {
  Registrar(const char* name, std::function<void()> body) {
    registry().push_back(TestCase{name, std::move(body)});
  }
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

#define TEST_CAT2(a, b) a##b
#define TEST_CAT(a, b) TEST_CAT2(a, b)
#define TEST(name)                                                          \
  static void TEST_CAT(test_fn_, name)();                                   \
  static ::testing::Registrar TEST_CAT(test_reg_, name)(#name, TEST_CAT(test_fn_, name)); \
  static void TEST_CAT(test_fn_, name)()

#define CHECK(cond)                                                         \
  do {                                                                      \
    ++::testing::assertionCount();                                          \
    if (!(cond)) ::testing::reportFailure(__FILE__, __LINE__, #cond);       \
  } while (0)

#define CHECK_MSG(cond, msg)                                                \
  do {                                                                      \
    ++::testing::assertionCount();                                          \
    if (!(cond)) {                                                          \
      std::ostringstream os_;                                               \
      os_ << #cond << " -- " << msg;                                        \
      ::testing::reportFailure(__FILE__, __LINE__, os_.str());              \
    }                                                                       \
  } while (0)

#define CHECK_OK(status) CHECK_MSG((status).ok(), (status).message)
