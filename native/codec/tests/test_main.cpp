#include <cstdio>
#include <cstring>

#include "test_harness.h"

namespace testing {
namespace {
int gFailuresInCurrentTest = 0;
}
std::vector<TestCase>& registry() {
  static std::vector<TestCase> tests;
  return tests;
}
int& assertionCount() {
  static int n = 0;
  return n;
}
void reportFailure(const char* file, int line, const std::string& what) {
  // Cap output per test so a broken loop does not flood the log.
  if (++gFailuresInCurrentTest <= 5) std::printf("    FAIL %s:%d: %s\n", file, line, what.c_str());
}
}  // namespace testing

// Prints one line per test and a final summary line "tests: N passed, M failed"
// (parsed by native/scripts/test-native.mjs).
int main(int argc, char** argv) {
  const char* filter = argc > 1 ? argv[1] : nullptr;
  int passed = 0, failed = 0;
  for (const auto& t : testing::registry()) {
    if (filter && !std::strstr(t.name, filter)) continue;
    testing::gFailuresInCurrentTest = 0;
    t.body();
    if (testing::gFailuresInCurrentTest == 0) {
      ++passed;
      std::printf("  ok   %s\n", t.name);
    } else {
      ++failed;
      std::printf("  FAIL %s (%d failed checks)\n", t.name, testing::gFailuresInCurrentTest);
    }
  }
  std::printf("tests: %d passed, %d failed (%d checks)\n", passed, failed,
              testing::assertionCount());
  return failed == 0 ? 0 : 1;
}
