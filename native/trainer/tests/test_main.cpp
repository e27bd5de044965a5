// Usage: tandem_trainer_tests [substring filter]
#include "test_harness.h"

int main(int argc, char** argv) { return testing::runRegisteredTests(argc > 1 ? argv[1] : nullptr); }
