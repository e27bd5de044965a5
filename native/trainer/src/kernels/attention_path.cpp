#include "kernels/attention_path.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace trainer {
namespace cuda {

namespace {
AttentionPath fromEnvironment() {
  const char* env = std::getenv("TANDEM_CUDA_ATTENTION");
  const std::string wanted = env ? env : "";
  if (wanted == "reference") {
    std::fprintf(stderr, "tandem-trainer: attention on the reference kernels, chosen by TANDEM_CUDA_ATTENTION\n");
    return AttentionPath::reference;
  }
  if (!wanted.empty() && wanted != "flash") {
    std::fprintf(stderr, "tandem-trainer: TANDEM_CUDA_ATTENTION=%s is not one of flash|reference; using flash\n",
                 wanted.c_str());
  }
  return AttentionPath::flash;
}

std::atomic<AttentionPath>& current() {
  static std::atomic<AttentionPath> path{fromEnvironment()};
  return path;
}
}  // namespace

const char* attentionPathName(AttentionPath path) {
  return path == AttentionPath::reference ? "reference" : "flash";
}

AttentionPath attentionPath() { return current().load(std::memory_order_relaxed); }

void setAttentionPath(AttentionPath path) { current().store(path, std::memory_order_relaxed); }

}  // namespace cuda
}  // namespace trainer
