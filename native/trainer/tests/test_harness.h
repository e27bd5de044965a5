// Minimal test harness: TEST(name) registers a function; CHECK* record a
// failure (with file:line and a message) and let the test continue.
// The binary prints "tests: N passed, M failed" last.
#pragma once

#include <cmath>
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
// Scratch directory unique to this test process (created on first use).
std::string scratchDir();
int runRegisteredTests(const char* filter);

struct Registrar {
  Registrar(const char* name, std::function<void()> body) { registry().push_back({name, std::move(body)}); }
};

}  // namespace testing

#define TEST_CONCAT_INNER(a, b) a##b
#define TEST_CONCAT(a, b) TEST_CONCAT_INNER(a, b)
#define TEST(name)                                                                   \
  static void name();                                                                \
  static ::testing::Registrar TEST_CONCAT(registrar_, name)(#name, name);            \
  static void name()

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (!(cond)) ::testing::recordFailure(__FILE__, __LINE__, "CHECK(" #cond ")");   \
  } while (0)

#define CHECK_MSG(cond, msg)                                                         \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::ostringstream os_;                                                        \
      os_ << "CHECK(" #cond "): " << msg;                                            \
      ::testing::recordFailure(__FILE__, __LINE__, os_.str());                       \
    }                                                                                \
  } while (0)

#define CHECK_NEAR(a, b, tol)                                                        \
  do {                                                                               \
    const double a_ = (a), b_ = (b);                                                 \
    if (!(std::fabs(a_ - b_) <= (tol))) {                                            \
      std::ostringstream os_;                                                        \
      os_ << #a " = " << a_ << " vs " #b " = " << b_ << " (tol " << (tol) << ")";    \
      ::testing::recordFailure(__FILE__, __LINE__, os_.str());                       \
    }                                                                                \
  } while (0)

#define CHECK_THROWS(expr)                                                           \
  do {                                                                               \
    bool threw_ = false;                                                             \
    try {                                                                            \
      (void)(expr);                                                                  \
    } catch (...) {                                                                  \
      threw_ = true;                                                                 \
    }                                                                                \
    if (!threw_) ::testing::recordFailure(__FILE__, __LINE__, "expected throw: " #expr); \
  } while (0)
