// Usage: tandem_codec_tests [substring filter]
// The runner is native/testing/test_harness.cpp, shared with the trainer's tests.
#include "test_harness.h"

int main(int argc, char** argv) { return testing::runRegisteredTests(argc > 1 ? argv[1] : nullptr); }
