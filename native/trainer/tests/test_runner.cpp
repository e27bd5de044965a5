#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <system_error>

#include "test_harness.h"

namespace testing {

namespace {
int failuresInCurrent = 0;
}

std::vector<TestCase>& registry() {
  static std::vector<TestCase> tests;
  return tests;
}

void recordFailure(const char* file, int line, const std::string& message) {
  ++failuresInCurrent;
  std::printf("    %s:%d: %s\n", file, line, message.c_str());
}

namespace {
std::string& scratchPath() {
  static std::string dir;
  return dir;
}
}  // namespace

std::string scratchDir() {
  std::string& dir = scratchPath();
  if (dir.empty()) {
    const char* base = std::getenv("TMPDIR");
    char templ[512];
    std::snprintf(templ, sizeof templ, "%s/tandem-trainer-test-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(templ)) {
      std::perror("mkdtemp");
      std::abort();
    }
    dir = templ;
  }
  return dir;
}

}  // namespace testing

namespace testing {
// Runs every registered test whose name contains `filter` (all when null);
// prints one line per test and the summary; returns the process exit code.
int runRegisteredTests(const char* filter) {
  int passed = 0, failed = 0;
  for (const auto& t : registry()) {
    if (filter && !std::strstr(t.name, filter)) continue;
    failuresInCurrent = 0;
    const auto start = std::chrono::steady_clock::now();
    try {
      t.body();
    } catch (const std::exception& e) {
      recordFailure(__FILE__, __LINE__, std::string("uncaught exception: ") + e.what());
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (failuresInCurrent == 0) {
      ++passed;
      std::printf("ok   %s (%.0f ms)\n", t.name, ms);
    } else {
      ++failed;
      std::printf("FAIL %s (%.0f ms)\n", t.name, ms);
    }
    std::fflush(stdout);
  }
  // Scratch files are only needed while the tests run.
  if (!scratchPath().empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(scratchPath(), ignored);
  }
  std::printf("tests: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
}  // namespace testing
