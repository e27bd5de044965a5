// The runner behind test_harness.h: registry, failure and skip records,
// scratch directory, and the per-test and summary lines.
#include "test_harness.h"

#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <system_error>

namespace testing {

namespace {
// Past this many failed checks in one test, only their number is printed,
// so a broken loop does not flood the log.
constexpr int kPrintedFailuresPerTest = 10;
int failuresInCurrent = 0;
bool skippedCurrent = false;
std::string skipReason;

std::string& scratchPath() {
  static std::string dir;
  return dir;
}
}  // namespace

std::vector<TestCase>& registry() {
  static std::vector<TestCase> tests;
  return tests;
}

int& assertionCount() {
  static int n = 0;
  return n;
}

void recordFailure(const char* file, int line, const std::string& message) {
  if (++failuresInCurrent <= kPrintedFailuresPerTest) std::printf("    %s:%d: %s\n", file, line, message.c_str());
}

void recordSkip(const std::string& reason) {
  skippedCurrent = true;
  skipReason = reason.empty() ? "no reason given" : reason;
}

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

namespace {
int summary(int passed, int failed, int skipped) {
  std::printf("tests: %d passed, %d failed, %d skipped (%d checks)\n", passed, failed, skipped, assertionCount());
  std::fflush(stdout);
  return failed == 0 ? 0 : 1;
}
}  // namespace

int runRegisteredTests(const char* filter, const char* skipAllReason) {
  int passed = 0, failed = 0, skipped = 0;
  for (const auto& t : registry()) {
    if (filter && !std::strstr(t.name, filter)) continue;
    if (skipAllReason) {
      ++skipped;
      std::printf("skip %s: %s\n", t.name, skipAllReason);
      continue;
    }
    failuresInCurrent = 0;
    skippedCurrent = false;
    skipReason.clear();
    const auto start = std::chrono::steady_clock::now();
    try {
      t.body();
    } catch (const std::exception& e) {
      recordFailure(__FILE__, __LINE__, std::string("uncaught exception: ") + e.what());
    } catch (...) {
      recordFailure(__FILE__, __LINE__, "uncaught exception of an unknown type");
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (failuresInCurrent > kPrintedFailuresPerTest) {
      std::printf("    ... and %d more failed checks\n", failuresInCurrent - kPrintedFailuresPerTest);
    }
    if (failuresInCurrent > 0) {
      ++failed;
      std::printf("FAIL %s (%.0f ms, %d failed checks)\n", t.name, ms, failuresInCurrent);
    } else if (skippedCurrent) {
      ++skipped;
      std::printf("skip %s: %s\n", t.name, skipReason.c_str());
    } else {
      ++passed;
      std::printf("ok   %s (%.0f ms)\n", t.name, ms);
    }
    std::fflush(stdout);
  }
  // Scratch files are only needed while the tests run.
  if (!scratchPath().empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(scratchPath(), ignored);
  }
  return summary(passed, failed, skipped);
}

int reportSuiteSkipped(const char* suite, const char* reason) {
  std::printf("skip %s: %s\n", suite, reason);
  return summary(0, 0, 1);
}

}  // namespace testing
