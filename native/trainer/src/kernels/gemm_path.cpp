#include "kernels/gemm_path.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

#include "kernels/cublas_library.h"

namespace trainer {
namespace cuda {

namespace {
struct State {
  std::mutex mutex;
  GemmPathInfo info;
  std::atomic<bool> announced{false};
  bool chosenByEnvironment = false;
  State() {
#ifdef TANDEM_CUDA_EMULATOR
    info.cublasReason = "not on the CPU CUDA emulator (its device memory is host memory)";
#else
    const cublas::Library lib = cublas::library();
    info.cublasUsable = lib.available;
    info.cublasLibrary = lib.library;
    info.cublasVersion = lib.version;
    info.cublasReason = lib.reason;
#endif
    const char* env = std::getenv("TANDEM_CUDA_GEMM");
    const std::string wanted = env ? env : "";
    if (wanted == "simt" || wanted == "wmma") {
      info.path = wanted == "simt" ? GemmPath::simt : GemmPath::wmma;
      info.forced = true;
    } else {
      // "cublas" where it does not load falls back like the default, and
      // says so (describe() names the reason).
      info.path = info.cublasUsable ? GemmPath::cublas : GemmPath::wmma;
      info.forced = wanted == "cublas" && info.cublasUsable;
    }
    chosenByEnvironment = info.forced;
    if (!wanted.empty() && wanted != "auto" && wanted != "cublas" && wanted != "wmma" && wanted != "simt") {
      std::fprintf(stderr, "tandem-trainer: TANDEM_CUDA_GEMM=%s is not one of cublas|wmma|simt|auto; using %s\n",
                   wanted.c_str(), gemmPathName(info.path));
    }
  }
};
State& state() {
  static State s;
  return s;
}

std::string describe(const GemmPathInfo& i, bool chosenByEnvironment) {
  std::string s = std::string("GEMMs on ") + gemmPathName(i.path);
  if (i.path == GemmPath::cublas) return s + " (cuBLAS " + i.cublasVersion + ", " + i.cublasLibrary + ")";
  s += i.path == GemmPath::wmma ? " (our tensor-core kernel, CUDA cores for other shapes)" : " (our CUDA-core kernel)";
  if (i.forced) return s + (chosenByEnvironment ? ", chosen by TANDEM_CUDA_GEMM" : ", chosen by the caller");
  return s + "; cuBLAS not loadable: " + i.cublasReason;
}
}  // namespace

const char* gemmPathName(GemmPath path) {
  switch (path) {
    case GemmPath::cublas: return "cublas";
    case GemmPath::wmma: return "wmma";
    case GemmPath::simt: return "simt";
  }
  return "?";
}

GemmPathInfo gemmPathInfo() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.info;
}

GemmPath gemmPath() { return gemmPathInfo().path; }

void setGemmPath(GemmPath path) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (path == GemmPath::cublas && !s.info.cublasUsable) {
    throw std::runtime_error("cuBLAS not loadable: " + s.info.cublasReason);
  }
  s.info.path = path;
  s.info.forced = true;
  s.chosenByEnvironment = false;
}

void disableCublas(const std::string& why) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.info.cublasUsable) return;
  s.info.cublasUsable = false;
  s.info.cublasReason = why;
  if (s.info.path == GemmPath::cublas) s.info.path = GemmPath::wmma;
  std::fprintf(stderr, "tandem-trainer: cuBLAS disabled (%s); GEMMs on %s\n", why.c_str(), gemmPathName(s.info.path));
}

void announceGemmPath() {
  State& s = state();
  if (s.announced.load(std::memory_order_relaxed)) return;  // every GEMM calls this
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.announced.exchange(true)) return;
  std::fprintf(stderr, "tandem-trainer: %s\n", describe(s.info, s.chosenByEnvironment).c_str());
}

}  // namespace cuda
}  // namespace trainer
